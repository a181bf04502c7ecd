// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

#include "api/login_throttle.h"
#include "core/clock.h"
#include "core/worker.h"
#include "net/http_types.h"
#include "net/router.h"
#include "store/store.h"

namespace atelier::api {

/// Password sign-in for browsers (docs/api.md "Sign-in"). `POST /api/login {username, password}`
/// checks the password (argon2id, in the store), creates an API token labelled "browser sign-in"
/// for the user and sets it as the same HttpOnly SameSite=Strict cookie that `/?token=` sets, so
/// everything after sign-in works exactly as with a token. `POST /api/logout` revokes that token
/// and clears the cookies.
///
/// A wrong user name and a wrong password get the same 401, in the same time (the store burns a
/// hash check for unknown users). Failures are throttled per client address and per address and
/// user name (429 with Retry-After). Password checks run one at a time on their own thread: each
/// costs about 64 MiB and a tenth of a second, which must not hold a network thread, and a burst
/// of sign-ins then cannot exhaust memory.
///
/// Thread-safety: handlers may be called from any network thread.
class SignInApi {
public:
    /// `cookie_name`: the cookie the hub authenticates browsers by (TokenAuth's).
    SignInApi(store::Store& store, std::string cookie_name);

    /// POST /api/login; answers from the password thread.
    void sign_in(const net::HttpRequest& request, net::HttpResponder responder);
    /// POST /api/logout. `subject` is the user the request authenticates as, if any: only a
    /// sign-in token of that user is revoked.
    [[nodiscard]] net::HttpResponse sign_out(const net::HttpRequest& request,
                                             const std::optional<std::string>& subject);

    /// The cookie that names the sign-in token (its id, not its secret), sent only to /api/logout.
    static constexpr const char* kSignInCookie = "atelier_sign_in";
    /// Per address: failures over all user names.
    static constexpr LoginThrottle::Limit kAddressLimit{20, std::chrono::seconds(300)};
    /// Per address and user name.
    static constexpr LoginThrottle::Limit kUserLimit{5, std::chrono::seconds(300)};

private:
    [[nodiscard]] net::HttpResponse check_password(const std::string& address, const std::string& username,
                                                   const std::string& password);

    store::Store& m_store;
    std::string m_cookie_name;
    SystemClock m_clock;
    LoginThrottle m_throttle{m_clock};
    /// Declared last: destroyed first, finishing queued checks while the rest is still there.
    Worker m_passwords{"atelier-sign-in"};
};

} // namespace atelier::api
