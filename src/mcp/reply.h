// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "net/router.h"
#include "net/sse_stream.h"

namespace atelier::mcp {

/// How a POST is answered: one `application/json` body; an SSE stream that carries the request's
/// notifications (progress) and then its response; or JSON unless a notification must precede the
/// response (the client's tools changed during the request), then one `text/event-stream` body
/// with the notification first and the response last (for clients that accept both).
enum class ReplyMode { Json, Stream, JsonOrEvents };
/// Results of the session-based revisions as they are; those of the stateless revision
/// (2026-07-28) get `resultType: "complete"` and the server's identity in `_meta`.
enum class ResultStyle { Session, Stateless };

/// The answer to one JSON-RPC request at `/mcp`. Answers exactly once; later answers are
/// dropped. Thread-safe: tool calls answer from the session manager's threads. Held by shared_ptr.
class Reply : public std::enable_shared_from_this<Reply> {
public:
    /// Must be called while the HTTP handler runs (a stream takes the connection over at once).
    Reply(net::HttpResponder respond, nlohmann::json id, ReplyMode mode, ResultStyle style);
    ~Reply();
    Reply(const Reply&) = delete;
    Reply& operator=(const Reply&) = delete;

    [[nodiscard]] const nlohmann::json& id() const { return m_id; }
    [[nodiscard]] bool streaming() const { return m_mode == ReplyMode::Stream; }
    [[nodiscard]] ResultStyle style() const { return m_style; }
    /// Streaming only: `callback` runs (once, on the stream's thread) when the client closes the
    /// stream before the answer went out — the stateless revision's way to cancel a request.
    void on_abandoned(std::function<void()> callback);
    /// A notification about this request (progress); dropped unless streaming.
    void notify(const nlohmann::json& message);
    /// From now on, watches the tools of the caller: `generation` counts their changes. When it
    /// moved by the time the answer goes out, `notifications/tools/list_changed` goes first on
    /// this answer's stream (Stream, JsonOrEvents; a Json answer cannot carry it), so a client
    /// that follows no other stream still learns that its tool list is stale.
    void track_tools(std::function<std::uint64_t()> generation);
    /// Streaming only: when list_changed goes before the response, `hold` gets a function that
    /// sends the response and ends the stream, to call once the client has listed its tools again
    /// (or has waited long enough): a client that refreshes its list in parallel then has the new
    /// tools before it sees the result. Without `hold`, the response follows at once.
    using Release = std::function<void()>;
    void hold_after_tools_changed(std::function<void(Release release)> hold);
    void result(nlohmann::json result);
    /// `status` applies to a JSON answer; a stream has already said 200.
    void error(int status, int code, std::string_view message, const nlohmann::json& data = nullptr);

private:
    /// Sends `message` and ends the answer; false when it had already been answered.
    bool finish(const nlohmann::json& message, int status);
    /// Sends the held response and ends the stream (once).
    void release();

    const nlohmann::json m_id;
    const ReplyMode m_mode;
    const ResultStyle m_style;
    std::mutex m_mutex;
    bool m_done = false;
    std::unique_ptr<net::HttpResponder> m_respond; ///< JSON modes
    std::shared_ptr<net::SseStream> m_stream;      ///< stream mode
    std::function<std::uint64_t()> m_generation;   ///< set by track_tools
    std::uint64_t m_generation_seen = 0;
    std::function<void(Release)> m_hold; ///< set by hold_after_tools_changed
    std::string m_held;                  ///< the response while it is held
};

/// `result` with what a stateless (2026-07-28) result carries: `resultType` and `_meta` serverInfo.
[[nodiscard]] nlohmann::json stateless_result(nlohmann::json result);

} // namespace atelier::mcp
