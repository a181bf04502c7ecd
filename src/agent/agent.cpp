// SPDX-License-Identifier: Apache-2.0
#include "agent/agent.h"

#include <future>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/agent_config.h"
#include "agent/asset_prompt.h"
#include "agent/prompt.h"
#include "core/ids.h"
#include "registry/validation_error.h"

namespace atelier::agent {
namespace {

/// How long the first step of a turn waits for the engine's first scene summary.
constexpr std::chrono::milliseconds kFirstSceneWait{5'000};

std::string short_id(const std::string& id) {
    return id.substr(0, 8);
}

std::string clip(const std::string& text, std::size_t limit) {
    return text.size() <= limit ? text : text.substr(0, limit) + "…";
}

nlohmann::json error_json(const Error& error) {
    return {{"code", error_code_name(error.code)}, {"message", error.message}};
}

// The engine's content blocks ({type: text|image, ...}) as transcript blocks.
std::vector<Block> content_blocks(const engines::ToolCallResult& result) {
    std::vector<Block> blocks;
    bool has_text = false;
    if (result.content.is_array()) {
        for (const auto& item : result.content) {
            if (!item.is_object()) {
                continue;
            }
            const std::string type = item.value("type", "");
            if (type == "text") {
                blocks.push_back(Block::text_block(item.value("text", "")));
                has_text = true;
            } else if (type == "image" && item.contains("data") && item["data"].is_string()) {
                blocks.push_back(
                    Block::image_block(item.value("mimeType", item.value("media_type", "image/png")), item["data"]));
            }
        }
    }
    if (!has_text && !result.data.is_null()) {
        blocks.insert(blocks.begin(), Block::text_block(clip(result.data.dump(), 20'000)));
    }
    if (blocks.empty()) {
        blocks.push_back(Block::text_block("done"));
    }
    return blocks;
}

} // namespace

/// What one turn knows while it runs (on the conversation's thread).
struct Agent::TurnState {
    Conversation& conversation;
    const Turn& turn;
    net::CancelSignal& cancel;
    std::shared_ptr<sessions::AgentHost> sessions;
    std::shared_ptr<sessions::Session> session;
    std::shared_ptr<engines::EngineLink> link;
    std::shared_ptr<const registry::RegistrySnapshot> snapshot;
    int step = 0;
    int calls = 0;
    Usage usage;
    std::map<std::string, int> failures; ///< failed calls in a row, per tool
    nlohmann::json scene;                ///< the scene a tool reported this turn (newer than the link's, which may lag)
    bool mutated = false;
    bool cancelled = false;
    std::optional<Error> error;
    nlohmann::json actions = nlohmann::json::array();

    void publish(const std::string& type, nlohmann::json payload) const {
        payload["turn_id"] = turn.id;
        if (turn.auto_fix > 0) {
            payload["auto_fix"] = true;
        }
        sessions->publish(session, type, payload);
    }
};

Agent::Agent(store::Store& store, AgentOptions options) : m_store(store), m_options(std::move(options)) {
    if (m_options.model) {
        if (auto format = make_wire_format(m_options.model->provider)) {
            m_client = std::make_unique<ModelClient>(*m_options.model, std::move(format), m_options.retry);
        } else {
            m_options.not_configured = fmt::format("unknown provider '{}'", m_options.model->provider);
        }
    }
}

Agent::~Agent() {
    shutdown();
}

void Agent::set_sessions(std::weak_ptr<sessions::AgentHost> sessions) {
    m_sessions = std::move(sessions);
}

void Agent::set_hub_services(HubServices hub) {
    m_hub = std::move(hub);
}

void Agent::set_metrics(MetricsRegistry& metrics) {
    const std::string provider = m_options.model ? m_options.model->provider : "none";
    const std::string input_help = "Prompt tokens sent to the model, by whether the provider's prompt cache served "
                                   "them (read), stored them (write) or neither (uncached)";
    m_meters = std::unique_ptr<Meters>(new Meters{
        metrics.counter("atelier_agent_turns_total", "Agent turns run", {{"provider", provider}}),
        metrics.counter("atelier_agent_model_requests_total", "Model requests (steps) that answered",
                        {{"provider", provider}}),
        metrics.counter("atelier_agent_input_tokens_total", input_help,
                        {{"provider", provider}, {"cache", "uncached"}}),
        metrics.counter("atelier_agent_input_tokens_total", input_help, {{"provider", provider}, {"cache", "read"}}),
        metrics.counter("atelier_agent_input_tokens_total", input_help, {{"provider", provider}, {"cache", "write"}}),
        metrics.counter("atelier_agent_output_tokens_total", "Tokens the model answered with",
                        {{"provider", provider}})});
}

std::shared_ptr<Agent::Conversation> Agent::conversation_for(const std::shared_ptr<sessions::Session>& session) {
    reap_retired();
    const std::lock_guard lock(m_mutex);
    if (m_stopping) {
        return nullptr;
    }
    auto& conversation = m_conversations[session->id];
    if (!conversation) {
        conversation = std::make_shared<Conversation>();
        conversation->session = session;
    }
    return conversation;
}

std::optional<Error> Agent::unavailable() const {
    if (m_client) {
        return std::nullopt;
    }
    return Error{ErrorCode::Unavailable, no_model_message(m_options.not_configured)};
}

void Agent::message(const std::shared_ptr<sessions::Session>& session, const std::string& text,
                    const nlohmann::json& attachments, const Client& tab, const std::string& re) {
    if (auto why = unavailable()) {
        return sessions::send_error_event(tab, *why, re);
    }
    if (auto host = m_sessions.lock(); host && !host->accepting(session)) {
        return sessions::send_error_event(tab, Error{ErrorCode::Unavailable, "the session is ending; start a new one"},
                                          re);
    }
    auto conversation = conversation_for(session);
    if (!conversation) {
        return sessions::send_error_event(tab, Error{ErrorCode::Unavailable, "the hub is shutting down"}, re);
    }
    Turn turn{new_uuid(), text, attachments.is_array() ? attachments : nlohmann::json::array(), tab, re};
    const std::lock_guard lock(conversation->mutex);
    if (conversation->ending) {
        return sessions::send_error_event(tab, Error{ErrorCode::Unavailable, "the session is ending; start a new one"},
                                          re);
    }
    // The ack goes out before the turn can start, so the tab knows the turn id before its events.
    const std::size_t position = conversation->queue.size() + (conversation->turn_active ? 1 : 0);
    sessions::send_event(tab, "ack", {{"turn_id", turn.id}, {"queued", position}}, re);
    conversation->queue.push_back(turn);
    conversation->fixes_left = kMaxAutoFixes; // each user turn may be followed by automatic fixes
    conversation->pending_error.reset();
    ensure_worker(conversation);
}

void Agent::ensure_worker(const std::shared_ptr<Conversation>& conversation) {
    if (!conversation->running) {
        conversation->running = true;
        if (conversation->worker.joinable()) {
            conversation->worker.join(); // it has finished: `running` went false as its last step
        }
        // The thread refers to the agent by `this`: shutdown(), which the destructor runs, joins it.
        conversation->worker = std::thread([this, conversation] { work(conversation); });
    }
}

bool Agent::stop(const std::shared_ptr<Conversation>& conversation, bool ending) {
    std::deque<Turn> dropped;
    std::shared_ptr<net::CancelSignal> cancel;
    {
        const std::lock_guard lock(conversation->mutex);
        conversation->ending = conversation->ending || ending;
        dropped.swap(conversation->queue);
        conversation->fixes_left = 0; // a cancelled turn is not followed by automatic fixes
        conversation->pending_error.reset();
        cancel = conversation->cancel;
    }
    if (auto sessions = m_sessions.lock()) {
        for (const auto& turn : dropped) {
            sessions->publish(conversation->session, "agent:complete",
                              {{"turn_id", turn.id}, {"ok", false}, {"cancelled", true}, {"steps", 0}});
        }
    }
    if (cancel) {
        cancel->cancel();
    }
    return cancel != nullptr || !dropped.empty();
}

void Agent::cancel(const std::shared_ptr<sessions::Session>& session, const Client& tab, const std::string& re) {
    std::shared_ptr<Conversation> conversation;
    {
        const std::lock_guard lock(m_mutex);
        if (const auto it = m_conversations.find(session->id); it != m_conversations.end()) {
            conversation = it->second;
        }
    }
    const bool stopped = conversation && stop(conversation, false);
    sessions::send_event(tab, "ack", {{"cancelled", stopped}}, re);
}

void Agent::session_ending(const std::shared_ptr<sessions::Session>& session) {
    std::shared_ptr<Conversation> conversation;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_conversations.find(session->id);
        if (it == m_conversations.end()) {
            return;
        }
        conversation = it->second;
        m_conversations.erase(it);
        m_retired.push_back(conversation);
    }
    stop(conversation, true);
}

void Agent::changed_by_other(const std::shared_ptr<sessions::Session>& session, const nlohmann::json& by,
                             const std::string& label) {
    std::shared_ptr<Conversation> conversation;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_conversations.find(session->id);
        if (it == m_conversations.end()) {
            return;
        }
        conversation = it->second;
    }
    const std::string kind = by.value("kind", "");
    const std::string who = kind == "mcp" ? fmt::format("the MCP client {}", by.value("name", "?"))
                                          : fmt::format("{} {}", kind.empty() ? "a client" : kind, by.value("id", ""));
    const std::lock_guard lock(conversation->mutex);
    if (conversation->turn_active) { // between turns the next turn's scene shows it anyway
        conversation->changes_by_others.push_back(fmt::format("{} ran {}", who, label));
    }
}

void Agent::reap_retired() {
    std::vector<std::thread> finished;
    {
        const std::lock_guard lock(m_mutex);
        std::erase_if(m_retired, [&finished](const std::shared_ptr<Conversation>& conversation) {
            const std::lock_guard inner(conversation->mutex);
            if (conversation->running) {
                return false;
            }
            if (conversation->worker.joinable()) {
                finished.push_back(std::move(conversation->worker));
            }
            return true;
        });
    }
    // These threads have set `running` to false as their last step: joining them is immediate.
    for (auto& thread : finished) {
        thread.join();
    }
}

void Agent::shutdown() {
    std::vector<std::shared_ptr<Conversation>> all;
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
        for (auto& [id, conversation] : m_conversations) {
            all.push_back(conversation);
        }
        all.insert(all.end(), m_retired.begin(), m_retired.end());
        m_conversations.clear();
        m_retired.clear();
    }
    for (const auto& conversation : all) {
        stop(conversation, true);
    }
    for (const auto& conversation : all) {
        std::thread worker;
        {
            const std::lock_guard lock(conversation->mutex);
            worker = std::move(conversation->worker);
        }
        if (worker.joinable()) {
            worker.join();
        }
    }
}

void Agent::work(const std::shared_ptr<Conversation>& conversation) {
    for (;;) {
        Turn turn;
        std::shared_ptr<net::CancelSignal> cancel;
        {
            const std::lock_guard lock(conversation->mutex);
            if (conversation->queue.empty()) {
                conversation->running = false;
                conversation->cancel.reset();
                return;
            }
            turn = std::move(conversation->queue.front());
            conversation->queue.pop_front();
            cancel = std::make_shared<net::CancelSignal>();
            conversation->cancel = cancel;
            conversation->turn_active = true;
            if (conversation->ending) {
                cancel->cancel();
            }
        }
        auto sessions = m_sessions.lock();
        if (sessions) {
            sessions->set_busy(conversation->session, true);
        }
        try {
            run_turn(*conversation, turn, *cancel);
        } catch (const std::exception& error) {
            // Last resort: a turn must never take the hub down.
            spdlog::error("agent: turn {} failed: {}", short_id(turn.id), error.what());
            sessions::send_error_event(turn.tab, Error{ErrorCode::Internal, error.what()}, turn.re);
        }
        if (sessions) {
            sessions->set_busy(conversation->session, false);
        }
        finish_turn(*conversation);
    }
}

void Agent::finish_turn(Conversation& conversation) {
    const std::lock_guard lock(conversation.mutex);
    if (!conversation.turn_active) {
        return;
    }
    conversation.turn_active = false;
    conversation.changes_by_others.clear(); // the next turn starts from the scene as it is
    // An error the preview reported during the turn, not followed by another change: fix it now.
    if (conversation.pending_error && conversation.queue.empty() && conversation.fixes_left > 0 &&
        !conversation.ending) {
        queue_fix(conversation, *conversation.pending_error);
    }
    conversation.pending_error.reset();
}

void Agent::run_turn(Conversation& conversation, const Turn& turn, net::CancelSignal& cancel) {
    const auto started = std::chrono::steady_clock::now();
    auto sessions = m_sessions.lock();
    if (!sessions) {
        return;
    }
    const auto& session = conversation.session;
    TurnState state{conversation, turn, cancel, sessions, session, nullptr, nullptr};

    if (!conversation.transcript) {
        Transcript loaded;
        if (auto stored = m_store.load_transcript(session->user_id, session->project_id)) {
            auto parsed = transcript_from_json(nlohmann::json::parse(stored->turns, nullptr, false));
            if (parsed) {
                loaded = std::move(*parsed);
            } else {
                spdlog::warn("agent: project {}: stored transcript unreadable ({}); starting afresh",
                             short_id(session->project_id), parsed.error().message);
            }
        }
        conversation.transcript = std::move(loaded);
    }
    auto& transcript = *conversation.transcript;
    const auto project = m_store.get_project(session->user_id, session->project_id);
    const std::string project_name = project ? project->name : session->project_id;

    Message prompt{Role::User, {Block::text_block(turn.text)}};
    // Attachments become files of the project (a version) before the model sees them.
    if (auto note = keep_turn_attachments(m_hub, session->user_id, session->project_id, turn.attachments);
        !note.empty()) {
        prompt.content.push_back(Block::text_block(note));
    }
    for (const auto& attachment : turn.attachments) {
        if (attachment.is_object() && attachment.value("type", "") == "image" && attachment.contains("data") &&
            attachment["data"].is_string()) {
            prompt.content.push_back(
                Block::image_block(attachment.value("media_type", "image/png"), attachment["data"].get<std::string>()));
        }
    }
    // The user's message is stored before anything else happens: a turn whose message the store
    // refused would run without a trace, and the message would be lost. The tab hears why instead.
    if (auto stored =
            m_store.add_message(session->user_id, session->project_id, store::NewMessage{"user", turn.text, "[]"});
        !stored) {
        const Error error{stored.error().code,
                          "your message was not saved, so the turn did not run: " + stored.error().message};
        spdlog::error("agent: project {}: turn {} refused: {}", short_id(session->project_id), short_id(turn.id),
                      error.message);
        finish_turn(conversation);
        state.publish("agent:complete",
                      {{"ok", false}, {"cancelled", false}, {"version", nullptr}, {"error", error_json(error)}});
        sessions::send_error_event(turn.tab, error, turn.re);
        return;
    }
    transcript.push_back(std::move(prompt));
    spdlog::info("agent: session {} turn {}{}: {}", short_id(session->id), short_id(turn.id),
                 turn.auto_fix > 0 ? fmt::format(" (automatic fix {} of {})", turn.auto_fix, kMaxAutoFixes) : "",
                 clip(turn.text, 80));
    // Every tab shows the turn's prompt, including turns it did not send (another tab, a fix).
    nlohmann::json turn_payload{{"text", turn.text}};
    if (turn.auto_fix > 0) {
        turn_payload["fix"] = turn.auto_fix;
        turn_payload["max_fixes"] = kMaxAutoFixes;
    }
    state.publish("agent:turn", turn_payload);

    std::string final_text;
    std::string stop_reason;
    for (;;) {
        if (cancel.cancelled()) {
            state.cancelled = true;
            break;
        }
        if (state.step >= m_options.max_steps) {
            state.error = Error{ErrorCode::Unavailable,
                                fmt::format("the turn stopped after {} steps, the limit per turn (agent.max_steps); "
                                            "ask again to continue",
                                            m_options.max_steps)};
            break;
        }
        state.link = sessions->engine(session);
        if (!state.link) {
            state.error = Error{ErrorCode::Unavailable, "the engine is not connected right now; try again when the "
                                                        "session is ready"};
            break;
        }
        // Rebuilt every step: a tool added or a scene changed mid-turn is seen by the next request,
        // and so is what other clients changed meanwhile.
        state.snapshot = state.link->tools().snapshot();
        std::vector<std::string> changes_by_others;
        {
            const std::lock_guard lock(conversation.mutex);
            changes_by_others.swap(conversation.changes_by_others);
        }
        if (!changes_by_others.empty()) {
            spdlog::info("agent: session {} turn {}: told the model of {} change(s) by other clients",
                         short_id(session->id), short_id(turn.id), changes_by_others.size());
        }
        // A turn asked for right after session:ready may come before the engine's first scene.
        const nlohmann::json scene =
            state.scene.is_null() ? state.link->scene(state.step == 0 ? kFirstSceneWait : std::chrono::milliseconds(0))
                                  : state.scene;
        // Laid out for prompt caching (wire_format.h): tools and the static system prompt, the
        // transcript, then the scene as it is now.
        ModelRequest request{
            build_system_prompt({project_name, state.link->info().kind, state.link->info().instructions, state.snapshot,
                                 m_options.max_steps}),
            trim_transcript(transcript, m_options.context_chars),
            with_hub_tools(tool_definitions(*state.snapshot), m_hub),
            with_assets(build_context(scene, state.snapshot.get(), changes_by_others),
                        assets_context(m_hub, session->user_id, session->project_id))};
        ++state.step;
        auto reply = m_client->complete(
            request,
            [&state](std::string_view delta) {
                state.publish("agent:message", {{"delta", delta}});
            },
            [&state](const RetryNotice& notice) {
                state.publish("agent:retry", {{"kind", "model"},
                                              {"attempt", notice.attempt},
                                              {"max_attempts", notice.max_attempts},
                                              {"delay_ms", notice.delay.count()},
                                              {"reason", notice.reason},
                                              {"status", notice.status}});
            },
            cancel);
        if (!reply) {
            if (reply.error().code == ErrorCode::Cancelled) {
                state.cancelled = true;
            } else {
                state.error = reply.error();
            }
            break;
        }
        state.usage += reply->usage;
        if (m_meters) {
            const auto& usage = reply->usage;
            m_meters->requests.increment();
            m_meters->cached_input.increment(
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, usage.cached_input_tokens)));
            m_meters->cache_write_input.increment(
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, usage.cache_write_input_tokens)));
            m_meters->uncached_input.increment(static_cast<std::uint64_t>(std::max<std::int64_t>(
                0, usage.input_tokens - usage.cached_input_tokens - usage.cache_write_input_tokens)));
            m_meters->output.increment(static_cast<std::uint64_t>(std::max<std::int64_t>(0, usage.output_tokens)));
        }
        stop_reason = reply->stop_reason;
        if (reply->message.content.empty()) {
            reply->message.content.push_back(Block::text_block("(no answer)"));
        }
        const auto text = reply->message.text();
        if (!text.empty()) {
            final_text += (final_text.empty() ? "" : "\n") + text;
        }
        transcript.push_back(reply->message);
        if (reply->message.tool_uses().empty()) {
            break; // the model answered without asking for tools: the turn is done
        }
        Message results{Role::User, {}};
        run_tools(state, transcript.back(), results);
        transcript.push_back(std::move(results));
        if (state.cancelled || state.error) {
            break;
        }
    }
    // The transcript keeps alternating user / assistant whatever happened.
    if (transcript.back().role == Role::User) {
        const std::string note = state.cancelled ? "[the user cancelled this turn]"
                                 : state.error   ? "[the turn ended: " + state.error->message + "]"
                                                 : "[no answer]";
        transcript.push_back(Message{Role::Assistant, {Block::text_block(note)}});
    }
    transcript.back().usage = state.usage; // what the turn cost, kept with it
    if (m_meters) {
        m_meters->turns.increment();
    }
    transcript = trim_transcript(std::move(transcript), m_options.context_chars);
    if (auto saved = m_store.save_transcript(session->user_id, session->project_id, to_json(transcript).dump());
        !saved) {
        spdlog::warn("agent: project {}: transcript not saved: {}", short_id(session->project_id),
                     saved.error().message);
    }
    if (auto stored = m_store.add_message(session->user_id, session->project_id,
                                          store::NewMessage{"assistant", final_text, state.actions.dump()});
        !stored) {
        spdlog::error("agent: project {}: the answer to turn {} was not stored: {}", short_id(session->project_id),
                      short_id(turn.id), stored.error().message);
        if (!state.error) {
            state.error = Error{stored.error().code, "the answer was not saved: " + stored.error().message};
        }
    }

    // The engine changed something: save it as a version named after the prompt.
    nlohmann::json version = nullptr;
    if (state.mutated) {
        auto done = std::make_shared<std::promise<Result<std::string>>>();
        auto future = done->get_future();
        sessions->commit_turn(session, turn.version_message.empty() ? turn.text : turn.version_message,
                              [done](Result<std::string> revision) { done->set_value(std::move(revision)); });
        // Wait for the save, unless the session ends meanwhile (its own final save commits then).
        const auto deadline = std::chrono::steady_clock::now() + m_options.commit_timeout;
        const auto ending = [&conversation] {
            const std::lock_guard lock(conversation.mutex);
            return conversation.ending;
        };
        while (future.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready &&
               std::chrono::steady_clock::now() < deadline && !ending()) {
        }
        if (future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
            auto revision = future.get();
            if (revision) {
                version = *revision;
            } else if (!state.error) {
                state.error =
                    Error{revision.error().code, "the turn's changes were not saved: " + revision.error().message};
            }
        } else if (!state.error && !ending()) {
            state.error = Error{ErrorCode::Timeout, "saving the turn's changes did not finish in time"};
        }
    }
    const auto duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    nlohmann::json complete{
        {"ok", !state.error && !state.cancelled}, {"cancelled", state.cancelled}, {"version", version},
        {"usage", to_json(state.usage)},          {"steps", state.step},          {"tool_calls", state.calls},
        {"duration_ms", duration.count()},        {"stop_reason", stop_reason}};
    if (state.error) {
        complete["error"] = error_json(*state.error);
    }
    // Over for the tabs once they read agent:complete: a preview error from now on is after it.
    finish_turn(conversation);
    state.publish("agent:complete", complete);
    if (state.error) {
        sessions::send_error_event(turn.tab, *state.error, turn.re);
    }
    spdlog::info("agent: session {} turn {}: {} in {} step(s), {} ms; input tokens {} ({} cached, {} written to the "
                 "cache), output tokens {}",
                 short_id(session->id), short_id(turn.id),
                 state.cancelled ? "cancelled"
                 : state.error   ? "failed: " + state.error->message
                                 : "done",
                 state.step, duration.count(), state.usage.input_tokens, state.usage.cached_input_tokens,
                 state.usage.cache_write_input_tokens, state.usage.output_tokens);
}

void Agent::run_tools(TurnState& state, const Message& reply, Message& results) {
    bool stopped = false;
    for (const auto* use : reply.tool_uses()) {
        const auto& name = use->tool_name;
        if (stopped || state.cancel.cancelled()) {
            state.cancelled = state.cancelled || state.cancel.cancelled();
            results.content.push_back(
                Block::tool_result(use->tool_id, name,
                                   {Block::text_block(state.cancelled ? "not run: the user cancelled the turn"
                                                                      : "not run: the turn ended")},
                                   true));
            continue;
        }
        ++state.calls;
        state.publish("agent:tool_call",
                      {{"call_id", use->tool_id},
                       {"tool", name},
                       {"arguments", use->raw_input.empty() ? use->input : nlohmann::json(use->raw_input)},
                       {"step", state.step}});
        nlohmann::json action{{"tool", name}, {"arguments", use->input}};

        // Refused in the hub, before the engine: the model gets every problem and may try again.
        std::string refusal;
        nlohmann::json errors = nlohmann::json::array();
        const auto tool = state.snapshot->find(name);
        const bool hub_tool = !tool && m_hub.offers(name); // the hub answers it (hub_tools.h)
        if (!use->raw_input.empty()) {
            refusal = fmt::format("The arguments of {} are not valid JSON ({}). Send one JSON object that matches the "
                                  "tool's input schema; fix the arguments and try again.",
                                  name, clip(use->raw_input, 300));
            errors.push_back({{"pointer", ""}, {"message", "not a valid JSON object"}});
        } else if (!tool && !hub_tool) {
            std::string names;
            for (const auto& valid : state.snapshot->tool_names()) {
                names += (names.empty() ? "" : ", ") + valid;
            }
            for (const auto& offered : m_hub.tools) {
                names += (names.empty() ? "" : ", ") + offered.name;
            }
            refusal = fmt::format("There is no tool named '{}'. Valid tools are: {}. Call one of these names exactly.",
                                  name, names.empty() ? "(none yet)" : names);
            errors.push_back({{"pointer", ""}, {"message", fmt::format("unknown tool '{}'", name)}});
        } else if (const auto problems = tool ? tool->validate(use->input) : std::vector<registry::ValidationError>{};
                   !problems.empty()) {
            refusal = fmt::format("Invalid arguments for {}:\n{}\nFix the arguments and try again.", name,
                                  registry::describe(problems));
            errors = registry::to_json(problems);
        }

        std::optional<Error> failure;
        Block result;
        if (!refusal.empty()) {
            failure = Error{ErrorCode::InvalidArgument, refusal, errors.dump()};
            result = Block::tool_result(use->tool_id, name, {Block::text_block(refusal)}, true);
            state.publish("agent:tool_result",
                          {{"call_id", use->tool_id},
                           {"tool", name},
                           {"ok", false},
                           {"is_error", true},
                           {"error", {{"code", "invalid_argument"}, {"message", refusal}, {"details", errors}}}});
        } else {
            const auto call_id = fmt::format("{}-{}", short_id(state.turn.id), state.calls);
            auto done = std::make_shared<std::promise<Result<engines::ToolCallResult>>>();
            auto future = done->get_future();
            auto link = state.link;
            state.sessions->track_call(state.session, call_id,
                                       {{"turn_id", state.turn.id}, {"tool_call_id", use->tool_id}, {"tool", name}});
            const auto cancel_id = state.cancel.on_cancel([link, call_id] { link->cancel(call_id); });
            if (state.cancel.cancelled()) {
                done->set_value(fail(ErrorCode::Cancelled, "cancelled by the user"));
            } else if (hub_tool) {
                done->set_value(
                    run_hub_tool(m_hub, state.session->user_id, state.session->project_id, name, use->input));
            } else {
                link->call(
                    name, use->input,
                    [done](Result<engines::ToolCallResult> outcome) { done->set_value(std::move(outcome)); }, call_id);
                if (state.cancel.cancelled()) {
                    link->cancel(call_id); // raised between the check and the call
                }
            }
            auto outcome = future.get();
            state.cancel.remove(cancel_id);
            state.sessions->untrack_call(state.session, call_id);
            if (outcome) {
                state.failures[name] = 0;
                state.mutated = state.mutated || outcome->mutates;
                if (outcome->mutates) {
                    // The preview reloads after a change: an error it reported before is stale.
                    const std::lock_guard lock(state.conversation.mutex);
                    state.conversation.pending_error.reset();
                }
                if (!outcome->scene.is_null()) {
                    state.scene = outcome->scene;
                }
                result = Block::tool_result(use->tool_id, name, content_blocks(*outcome), false);
                state.publish("agent:tool_result", {{"call_id", use->tool_id},
                                                    {"tool", name},
                                                    {"ok", true},
                                                    {"is_error", false},
                                                    {"content", outcome->content},
                                                    {"data", outcome->data},
                                                    {"duration_ms", outcome->duration_ms}});
                action["ok"] = true;
            } else {
                failure = outcome.error();
                std::string text = failure->message;
                if (!failure->details.empty()) {
                    const auto details = nlohmann::json::parse(failure->details, nullptr, false);
                    if (details.is_object() && details.contains("traceback") && details["traceback"].is_string()) {
                        text += "\n" + clip(details["traceback"].get<std::string>(), 2000);
                    }
                }
                result = Block::tool_result(use->tool_id, name, {Block::text_block(text)}, true);
                state.publish("agent:tool_result", {{"call_id", use->tool_id},
                                                    {"tool", name},
                                                    {"ok", false},
                                                    {"is_error", true},
                                                    {"error", error_json(*failure)}});
            }
        }
        results.content.push_back(std::move(result));
        if (!failure) {
            state.actions.push_back(std::move(action));
            continue;
        }
        action["ok"] = false;
        action["error"] = failure->message;
        state.actions.push_back(std::move(action));
        if (failure->code == ErrorCode::Cancelled && state.cancel.cancelled()) {
            state.cancelled = true;
            stopped = true;
            continue;
        }
        const int failed = ++state.failures[name];
        if (failed > m_options.tool_retry_budget) {
            state.error = Error{ErrorCode::InvalidArgument,
                                fmt::format("{} failed {} times in a row, more than the retry budget of {} "
                                            "(agent.tool_retries); last error: {}",
                                            name, failed, m_options.tool_retry_budget, clip(failure->message, 500))};
            stopped = true;
            continue;
        }
        if (!refusal.empty()) {
            state.publish("agent:retry", {{"kind", "tool"},
                                          {"tool", name},
                                          {"errors", errors},
                                          {"attempt", failed},
                                          {"max_attempts", m_options.tool_retry_budget},
                                          {"reason", clip(refusal, 500)}});
        }
    }
}

} // namespace atelier::agent
