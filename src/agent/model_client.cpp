// SPDX-License-Identifier: Apache-2.0
#include "agent/model_client.h"

#include <condition_variable>
#include <mutex>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace atelier::agent {
namespace {

constexpr std::size_t kErrorBodyLimit = 64 * 1024;

ErrorCode code_for_status(int status) {
    switch (status) {
    case 400:
    case 413:
    case 422:
        return ErrorCode::InvalidArgument;
    case 401:
        return ErrorCode::Unauthorized;
    case 403:
        return ErrorCode::Forbidden;
    case 404:
        return ErrorCode::NotFound;
    case 408:
        return ErrorCode::Timeout;
    default:
        return ErrorCode::Unavailable;
    }
}

double random01() {
    thread_local std::mt19937 generator{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

} // namespace

ModelClient::ModelClient(ModelSettings settings, std::unique_ptr<WireFormat> format, RetryPolicy policy)
    : m_settings(std::move(settings)), m_format(std::move(format)), m_policy(policy) {}

bool wait_unless_cancelled(std::chrono::milliseconds delay, net::CancelSignal& cancel) {
    std::mutex mutex;
    std::condition_variable wake;
    bool cancelled = false;
    const auto id = cancel.on_cancel([&] {
        const std::lock_guard lock(mutex);
        cancelled = true;
        wake.notify_all();
    });
    {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, delay, [&] { return cancelled; });
    }
    cancel.remove(id);
    return !cancel.cancelled();
}

ModelResult<ModelReply> ModelClient::attempt(const net::ClientRequest& http,
                                             const std::function<void(std::string_view)>& on_text,
                                             net::CancelSignal& cancel) const {
    auto decoder = m_format->decoder(on_text);
    SseParser parser;
    net::ClientResponseHead head;
    std::string error_body;
    std::optional<ModelFailure> stream_failure;
    const auto feed = [&](const std::vector<SseEvent>& events) {
        for (const auto& event : events) {
            if (auto handled = decoder->on_event(event); !handled) {
                stream_failure = std::move(handled).error();
                return false;
            }
        }
        return true;
    };
    auto outcome = m_http.stream(
        http, [&](const net::ClientResponseHead& received) { head = received; },
        [&](std::string_view bytes) {
            if (head.status != 200) {
                error_body.append(bytes.substr(0, kErrorBodyLimit - std::min(kErrorBodyLimit, error_body.size())));
                return error_body.size() < kErrorBodyLimit;
            }
            // Read to the end of the body even after the last event, so the connection can be kept.
            return feed(parser.feed(bytes));
        },
        &cancel);
    if (cancel.cancelled()) {
        return tl::unexpected(ModelFailure{Error{ErrorCode::Cancelled, "the turn was cancelled"}, false, 0, {}});
    }
    if (stream_failure) {
        return tl::unexpected(std::move(*stream_failure));
    }
    if (head.status != 0 && head.status != 200) {
        const auto message = provider_error_message(error_body);
        return tl::unexpected(
            ModelFailure{Error{code_for_status(head.status), fmt::format("the model provider ({}) answered {}: {}",
                                                                         m_format->name(), head.status, message)},
                         retryable_status(head.status), head.status, retry_after(head.headers)});
    }
    if (!outcome) {
        const bool retryable = outcome.error().code != ErrorCode::InvalidArgument;
        return tl::unexpected(ModelFailure{
            Error{outcome.error().code,
                  fmt::format("the model provider ({}) at {}: {}", m_format->name(),
                              m_settings.base_url.empty() ? http.url : m_settings.base_url, outcome.error().message)},
            retryable,
            0,
            {}});
    }
    if (!decoder->done() && !feed(parser.finish())) {
        return tl::unexpected(std::move(*stream_failure));
    }
    return decoder->finish();
}

Result<ModelReply> ModelClient::complete(const ModelRequest& request,
                                         const std::function<void(std::string_view)>& on_text,
                                         const std::function<void(const RetryNotice&)>& on_retry,
                                         net::CancelSignal& cancel) const {
    auto http = m_format->build(m_settings, request);
    http.read_timeout = m_settings.timeout;
    for (int retry = 0;; ++retry) {
        auto reply = attempt(http, on_text, cancel);
        if (reply) {
            return std::move(*reply);
        }
        auto failure = std::move(reply).error();
        if (failure.error.code == ErrorCode::Cancelled) {
            return fail(std::move(failure.error));
        }
        if (!failure.retryable || retry >= m_policy.max_retries) {
            if (failure.retryable && retry > 0) {
                failure.error.message += fmt::format(" (after {} retries)", retry);
            }
            return fail(std::move(failure.error));
        }
        auto delay = failure.retry_after.value_or(backoff_delay(m_policy, retry, random01()));
        if (delay > m_policy.max_retry_after) {
            failure.error.message += fmt::format(" (the provider asked to wait {} s)", delay.count() / 1000);
            return fail(std::move(failure.error));
        }
        spdlog::warn("model request failed ({}); retry {} of {} in {} ms", failure.error.message, retry + 1,
                     m_policy.max_retries, delay.count());
        on_retry(RetryNotice{retry + 1, m_policy.max_retries, delay, failure.error.message, failure.status});
        if (!wait_unless_cancelled(delay, cancel)) {
            return fail(ErrorCode::Cancelled, "the turn was cancelled");
        }
    }
}

} // namespace atelier::agent
