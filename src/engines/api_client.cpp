// SPDX-License-Identifier: Apache-2.0
#include "engines/api_client.h"

#include <curl/curl.h>

#include <cctype>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace atelier::engines {
namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct ListDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct StreamContext {
    const std::function<bool(std::string_view)>* on_data = nullptr;
    std::string* collected = nullptr;
    const std::atomic<bool>* cancel = nullptr;
    bool stopped_by_us = false;
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
    auto& context = *static_cast<StreamContext*>(user);
    const std::string_view bytes(data, size * count);
    if (context.collected != nullptr) {
        context.collected->append(bytes);
        return bytes.size();
    }
    if ((context.cancel != nullptr && context.cancel->load()) || !(*context.on_data)(bytes)) {
        context.stopped_by_us = true;
        return CURL_WRITEFUNC_ERROR;
    }
    return bytes.size();
}

int progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto& context = *static_cast<StreamContext*>(user);
    if (context.cancel != nullptr && context.cancel->load()) {
        context.stopped_by_us = true;
        return 1;
    }
    return 0;
}

void set_blob(CURL* handle, CURLoption option, const std::string& pem) {
    curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(handle, option, &blob);
}

} // namespace

ApiClient::ApiClient(ApiEndpoint endpoint) : m_endpoint(std::move(endpoint)) {
    global_init();
}

namespace {

// Runs one transfer; `context` decides whether the body is collected or streamed.
Result<long> perform(const ApiEndpoint& endpoint, std::string_view method, const std::string& path,
                     const std::string& body, std::string_view content_type, std::chrono::milliseconds timeout,
                     StreamContext& context) {
    std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
    if (!handle) {
        return fail(ErrorCode::Internal, "libcurl: cannot create a handle");
    }
    CURL* curl = handle.get();
    const std::string url = endpoint.base_url + path;
    const std::string method_text(method);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
    if (timeout.count() > 0) {
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    }
    if (!endpoint.unix_socket.empty()) {
        curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, endpoint.unix_socket.c_str());
    }
    if (!endpoint.ca_pem.empty()) {
        set_blob(curl, CURLOPT_CAINFO_BLOB, endpoint.ca_pem);
    }
    if (!endpoint.client_cert_pem.empty()) {
        set_blob(curl, CURLOPT_SSLCERT_BLOB, endpoint.client_cert_pem);
        curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
        set_blob(curl, CURLOPT_SSLKEY_BLOB, endpoint.client_key_pem);
        curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (endpoint.skip_tls_verify) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_slist* raw_headers = nullptr;
    raw_headers = curl_slist_append(raw_headers, "Accept: application/json");
    raw_headers = curl_slist_append(raw_headers, fmt::format("Content-Type: {}", content_type).c_str());
    if (!endpoint.bearer_token.empty()) {
        raw_headers = curl_slist_append(raw_headers, ("Authorization: Bearer " + endpoint.bearer_token).c_str());
    }
    const std::unique_ptr<curl_slist, ListDeleter> headers(raw_headers);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &context);
    if (context.cancel != nullptr) {
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &context);
    }
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK && !context.stopped_by_us) {
        const std::string where = endpoint.label.empty() ? endpoint.base_url : endpoint.label;
        if (code == CURLE_OPERATION_TIMEDOUT) {
            return fail(ErrorCode::Timeout, fmt::format("{}: {} {} timed out", where, method, path));
        }
        return fail(ErrorCode::Unavailable,
                    fmt::format("{}: {} {}: {}", where, method, path, curl_easy_strerror(code)));
    }
    return status;
}

} // namespace

Result<ApiResponse> ApiClient::request(std::string_view method, const std::string& path, const std::string& body,
                                       std::chrono::milliseconds timeout, std::string_view content_type) const {
    ApiResponse response;
    StreamContext context;
    context.collected = &response.body;
    response.status = ATELIER_TRY(perform(m_endpoint, method, path, body, content_type, timeout, context));
    return response;
}

Result<long> ApiClient::stream(std::string_view method, const std::string& path, const std::string& body,
                               const std::function<bool(std::string_view)>& on_data,
                               const std::atomic<bool>* cancel) const {
    StreamContext context;
    context.on_data = &on_data;
    context.cancel = cancel;
    return perform(m_endpoint, method, path, body, "application/json", std::chrono::milliseconds(0), context);
}

std::string url_encode(std::string_view text) {
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

std::string api_error_message(const ApiResponse& response) {
    const auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string()) {
        return parsed["message"].get<std::string>();
    }
    std::string text = response.body.substr(0, 300);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    return text.empty() ? fmt::format("HTTP {}", response.status) : text;
}

} // namespace atelier::engines
