// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "fake_model.h"
#include "net/http_client.h"

namespace atelier::net {
namespace {

TEST(Url, ParsesSchemeHostPortAndTarget) {
    auto url = Url::parse("https://api.example.com/v1/messages?x=1");
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_TRUE(url->is_https());
    EXPECT_EQ(url->host, "api.example.com");
    EXPECT_EQ(url->port, 443);
    EXPECT_EQ(url->target, "/v1/messages?x=1");

    url = Url::parse("http://127.0.0.1:8080");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->port, 8080);
    EXPECT_EQ(url->target, "/");

    url = Url::parse("HTTP://[::1]:11434/v1");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->scheme, "http");
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->port, 11434);
}

TEST(Url, RejectsWhatItCannotServe) {
    EXPECT_FALSE(Url::parse("ftp://example.com"));
    EXPECT_FALSE(Url::parse("example.com/v1"));
    EXPECT_FALSE(Url::parse("http://host:99999/"));
    EXPECT_FALSE(Url::parse("http:///path"));
}

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name)) {
            m_old = old;
        }
        if (value != nullptr) {
            setenv(name, value, 1);
        } else {
            unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (m_old) {
            setenv(m_name, m_old->c_str(), 1);
        } else {
            unsetenv(m_name);
        }
    }

private:
    const char* m_name;
    std::optional<std::string> m_old;
};

TEST(HttpsProxy, IsUsedUnlessNoProxyNamesTheHost) {
    const ScopedEnv lower("https_proxy", nullptr);
    const ScopedEnv upper("HTTPS_PROXY", "proxy.internal:3128");
    const ScopedEnv no_lower("no_proxy", nullptr);
    const ScopedEnv no_upper("NO_PROXY", "localhost, .corp.example");
    const auto proxy = https_proxy_for("api.anthropic.com");
    ASSERT_TRUE(proxy);
    EXPECT_EQ(proxy->host, "proxy.internal");
    EXPECT_EQ(proxy->port, 3128);
    EXPECT_FALSE(https_proxy_for("localhost"));
    EXPECT_FALSE(https_proxy_for("models.corp.example"));
    EXPECT_TRUE(https_proxy_for("corp.example.org"));
}

TEST(HttpClient, StreamsABodyOverPlainHttp) {
    std::string error;
    auto server = testing::FakeModelServer::start(&error);
    ASSERT_NE(server, nullptr) << error;
    ClientRequest request;
    request.method = "GET";
    request.url = server->base_url() + "/_requests";
    int status = 0;
    std::string body;
    const auto done = http_stream(
        request, [&](const ClientResponseHead& head) { status = head.status; },
        [&](std::string_view bytes) {
            body.append(bytes);
            return true;
        });
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(status, 200);
    EXPECT_EQ(body, "[]");
}

TEST(HttpClient, ATlsHandshakeWithAPlainServerFailsClearly) {
    std::string error;
    auto server = testing::FakeModelServer::start(&error);
    ASSERT_NE(server, nullptr) << error;
    const ScopedEnv lower("https_proxy", nullptr);
    const ScopedEnv upper("HTTPS_PROXY", nullptr);
    ClientRequest request;
    request.url = "https://127.0.0.1:" + std::to_string(server->port()) + "/v1/messages";
    const auto done = http_stream(
        request, [](const ClientResponseHead&) {}, [](std::string_view) { return true; });
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code, ErrorCode::Unavailable);
    EXPECT_NE(done.error().message.find("TLS handshake"), std::string::npos) << done.error().message;
}

TEST(HttpClient, ARefusedConnectionIsUnavailableAndACancelledOneCancelled) {
    ClientRequest request;
    request.url = "http://127.0.0.1:1/";
    auto done = http_stream(
        request, [](const ClientResponseHead&) {}, [](std::string_view) { return true; });
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code, ErrorCode::Unavailable);

    CancelSignal cancel;
    cancel.cancel();
    done = http_stream(
        request, [](const ClientResponseHead&) {}, [](std::string_view) { return true; }, &cancel);
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code, ErrorCode::Cancelled);
}

} // namespace
} // namespace atelier::net
