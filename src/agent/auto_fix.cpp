// SPDX-License-Identifier: Apache-2.0
// Automatic fix turns (issue #9): when the live preview reports an error after a user turn, the
// agent gets the error as a new turn, at most Agent::kMaxAutoFixes times per user turn. Errors
// reported while a turn runs wait for its end, and are dropped when a later change of that turn
// reloaded the preview (the page reports again if the error is still there).

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "core/ids.h"

namespace atelier::agent {
namespace {

std::string fix_prompt(const nlohmann::json& error, int number) {
    std::string text =
        fmt::format("[Automatic fix {} of {}] The live preview failed after your last change with this error:\n\n{}\n",
                    number, Agent::kMaxAutoFixes, error.value("message", std::string("(no message)")));
    if (error.contains("composition") && error["composition"].is_string()) {
        text += fmt::format("\nComposition: {}\n", error["composition"].get<std::string>());
    }
    if (error.contains("stack") && error["stack"].is_string()) {
        text += fmt::format("\nStack:\n{}\n", error["stack"].get<std::string>());
    }
    text += "\nFind the cause in the project's files and fix it with the smallest change that works. Do not "
            "rewrite unrelated code.";
    return text;
}

} // namespace

std::string Agent::preview_error(const std::shared_ptr<sessions::Session>& session, const nlohmann::json& error) {
    if (unavailable()) {
        return "no_model";
    }
    auto conversation = conversation_for(session);
    if (!conversation) {
        return "limit";
    }
    const std::lock_guard lock(conversation->mutex);
    if (conversation->ending || conversation->fixes_left <= 0) {
        return "limit";
    }
    const bool fix_waiting = std::any_of(conversation->queue.begin(), conversation->queue.end(),
                                         [](const Turn& turn) { return turn.auto_fix > 0; });
    if (fix_waiting) {
        return "duplicate";
    }
    if (conversation->turn_active || !conversation->queue.empty()) {
        conversation->pending_error = error;
        return "queued";
    }
    queue_fix(*conversation, error);
    ensure_worker(conversation);
    return "started";
}

void Agent::queue_fix(Conversation& conversation, const nlohmann::json& error) {
    const int number = kMaxAutoFixes - conversation.fixes_left + 1;
    --conversation.fixes_left;
    Turn turn{new_uuid(), fix_prompt(error, number), nlohmann::json::array(), nullptr, ""};
    turn.auto_fix = number;
    const std::string message = error.value("message", std::string("preview error"));
    turn.version_message =
        fmt::format("Automatic fix {}: {}", number, message.substr(0, message.find('\n')).substr(0, 80));
    spdlog::info("agent: session {}: preview error, automatic fix {} of {} queued",
                 conversation.session->id.substr(0, 8), number, kMaxAutoFixes);
    conversation.queue.push_back(std::move(turn));
}

} // namespace atelier::agent
