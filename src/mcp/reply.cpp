// SPDX-License-Identifier: Apache-2.0
#include "mcp/reply.h"

#include <utility>

#include <fmt/format.h>

#include "mcp/json_rpc.h"

namespace atelier::mcp {

Reply::Reply(net::HttpResponder respond, nlohmann::json id, ReplyMode mode, ResultStyle style)
    : m_id(std::move(id)), m_mode(mode), m_style(style) {
    if (mode == ReplyMode::Stream) {
        m_stream = respond.start_sse();
    } else {
        m_respond = std::make_unique<net::HttpResponder>(std::move(respond));
    }
}

Reply::~Reply() {
    // Every path answers; should one not, the client still gets an error instead of a hang.
    error(500, kInternalError, "Internal error: the request was dropped without an answer");
}

void Reply::on_abandoned(std::function<void()> callback) {
    if (!m_stream) {
        return;
    }
    // The stream closes after every answer too; only a close before it means the client left.
    m_stream->on_close([this_reply = weak_from_this(), callback = std::move(callback)] {
        auto self = this_reply.lock();
        if (!self) {
            return;
        }
        {
            const std::lock_guard lock(self->m_mutex);
            if (self->m_done) {
                return;
            }
        }
        callback();
    });
}

void Reply::notify(const nlohmann::json& message) {
    const std::lock_guard lock(m_mutex);
    if (!m_done && m_stream) {
        m_stream->send("message", message.dump());
    }
}

void Reply::track_tools(std::function<std::uint64_t()> generation) {
    const std::lock_guard lock(m_mutex);
    m_generation_seen = generation();
    m_generation = std::move(generation);
}

void Reply::hold_after_tools_changed(std::function<void(Release release)> hold) {
    const std::lock_guard lock(m_mutex);
    m_hold = std::move(hold);
}

void Reply::result(nlohmann::json result) {
    if (m_style == ResultStyle::Stateless) {
        result = stateless_result(std::move(result));
    }
    finish(result_message(m_id, result), 200);
}

void Reply::error(int status, int code, std::string_view message, const nlohmann::json& data) {
    finish(error_message(m_id, code, message, data), status);
}

bool Reply::finish(const nlohmann::json& message, int status) {
    std::unique_lock lock(m_mutex);
    if (m_done) {
        return false;
    }
    m_done = true;
    const bool tools_changed = m_generation && m_generation() != m_generation_seen;
    const std::string changed = notification("notifications/tools/list_changed", nullptr).dump();
    if (m_stream && tools_changed && m_hold) {
        m_stream->send("message", changed);
        m_held = message.dump();
        auto hold = std::move(m_hold);
        lock.unlock(); // the holder may release at once
        // The release keeps the reply alive: whoever holds it releases it, at the latest when
        // the wait is over.
        hold([self = shared_from_this()] { self->release(); });
        return true;
    }
    if (m_stream) {
        if (tools_changed) {
            m_stream->send("message", changed);
        }
        m_stream->send("message", message.dump());
        m_stream->close(); // the response ends the stream
    } else if (m_respond && tools_changed && m_mode == ReplyMode::JsonOrEvents && status == 200) {
        // The whole stream at once: the notification, then the response, then its end.
        auto response = net::HttpResponse::text(
            200, fmt::format("event: message\ndata: {}\n\nevent: message\ndata: {}\n\n", changed, message.dump()),
            "text/event-stream");
        response.headers.set("Cache-Control", "no-cache");
        m_respond->send(std::move(response));
    } else if (m_respond) {
        m_respond->send(net::HttpResponse::json(status, message.dump()));
    }
    return true;
}

nlohmann::json stateless_result(nlohmann::json result) {
    result["resultType"] = "complete";
    result["_meta"]["io.modelcontextprotocol/serverInfo"] = {{"name", "atelier"}, {"version", ATELIER_VERSION}};
    return result;
}

void Reply::release() {
    const std::lock_guard lock(m_mutex);
    if (m_held.empty()) {
        return; // released already
    }
    m_stream->send("message", m_held);
    m_stream->close();
    m_held.clear();
}

} // namespace atelier::mcp
