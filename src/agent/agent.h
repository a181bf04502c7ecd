// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/hub_tools.h"
#include "agent/model_client.h"
#include "agent/transcript.h"
#include "core/metrics.h"
#include "sessions/agent_handler.h"
#include "store/store.h"

namespace atelier::agent {

/// Everything the agent is told by the config (see agent_config.h).
struct AgentOptions {
    std::optional<ModelSettings> model; ///< nullopt: no model configured
    std::string not_configured;         ///< why not, for the user, when `model` is nullopt
    RetryPolicy retry;
    std::chrono::milliseconds model_timeout{300'000}; ///< longest silence of a model stream
    int max_steps = 24;                               ///< model requests per turn
    int tool_retry_budget = 2;                        ///< failed calls of one tool in a row before the turn ends
    std::size_t context_chars = 400'000;              ///< transcript budget sent to the model (≈ 4 chars per token)
    std::chrono::milliseconds commit_timeout{120'000};
};

/// The hub's agent (DESIGN §6): turns each `message:send` into model requests and tool calls on
/// the session's engine, streams every step to the session's tabs, keeps the project's
/// transcript in the store, and after a turn that changed something saves and commits a
/// version whose message is the prompt. Turns of one session run one at a time, in order, on
/// a thread of their own; `agent:cancel` stops the running one at once (the model stream is
/// closed, the engine call cancelled) and drops the queued ones. Thread-safe.
class Agent final : public sessions::AgentHandler {
public:
    Agent(store::Store& store, AgentOptions options);
    ~Agent() override;
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    /// Call once, before serving.
    void set_sessions(std::weak_ptr<sessions::AgentHost> sessions);
    /// Counts turns, model requests and tokens (cached and not) into `metrics` for /metrics.
    /// Call once, before serving; `metrics` outlives the agent.
    void set_metrics(MetricsRegistry& metrics);
    /// The hub's own tools and asset listing (hub_tools.h). Call once, before serving.
    void set_hub_services(HubServices hub);
    [[nodiscard]] bool has_model() const { return m_client != nullptr; }

    [[nodiscard]] std::optional<Error> unavailable() const override;
    void message(const std::shared_ptr<sessions::Session>& session, const std::string& text,
                 const nlohmann::json& attachments, const Client& tab, const std::string& re) override;
    void cancel(const std::shared_ptr<sessions::Session>& session, const Client& tab, const std::string& re) override;
    void session_ending(const std::shared_ptr<sessions::Session>& session) override;
    void changed_by_other(const std::shared_ptr<sessions::Session>& session, const nlohmann::json& by,
                          const std::string& label) override;
    /// Starts an automatic fix turn for a preview error (auto_fix.cpp): at most
    /// `kMaxAutoFixes` after each user turn, never while one is queued for the same error.
    std::string preview_error(const std::shared_ptr<sessions::Session>& session, const nlohmann::json& error) override;
    static constexpr int kMaxAutoFixes = 2;

    /// Cancels every turn and waits for their threads (hub shutdown).
    void shutdown();

private:
    struct Turn {
        std::string id;
        std::string text;
        nlohmann::json attachments;
        Client tab; ///< null for an automatic fix turn (its events go to every tab)
        std::string re;
        int auto_fix = 0;            ///< 1 or 2: the automatic fix this turn is; 0: a user turn
        std::string version_message; ///< for the turn's version; empty: the prompt
    };
    struct Conversation {
        std::shared_ptr<sessions::Session> session;
        std::mutex mutex; ///< guards the members below
        std::deque<Turn> queue;
        std::shared_ptr<net::CancelSignal> cancel; ///< of the running turn
        bool running = false;     ///< the worker thread is on (between turns too, until the queue is empty)
        bool turn_active = false; ///< a turn was taken from the queue and has not finished
        bool ending = false;
        std::thread worker;
        std::optional<Transcript> transcript;        ///< loaded from the store by the first turn
        int fixes_left = 0;                          ///< automatic fix turns the last user turn may still start
        std::optional<nlohmann::json> pending_error; ///< a preview error seen while a turn ran
        /// What other clients changed while a turn ran, not yet told to the model.
        std::vector<std::string> changes_by_others;
    };
    struct TurnState;

    /// The running turn is over (idempotent): queues a fix for a preview error that still stands.
    void finish_turn(Conversation& conversation);
    /// Queues the next automatic fix turn for `error` (conversation mutex held).
    void queue_fix(Conversation& conversation, const nlohmann::json& error);
    /// Starts the conversation's thread when it is not running (conversation mutex held).
    void ensure_worker(const std::shared_ptr<Conversation>& conversation);
    std::shared_ptr<Conversation> conversation_for(const std::shared_ptr<sessions::Session>& session);
    void work(const std::shared_ptr<Conversation>& conversation);
    void run_turn(Conversation& conversation, const Turn& turn, net::CancelSignal& cancel);
    void run_tools(TurnState& state, const Message& reply, Message& results);
    /// Stops the running turn and drops the queued ones (told to the tabs as cancelled turns).
    bool stop(const std::shared_ptr<Conversation>& conversation, bool ending);
    /// Joins the threads of ended sessions whose last turn is over, and forgets those sessions.
    void reap_retired();

    store::Store& m_store;
    AgentOptions m_options;
    std::unique_ptr<ModelClient> m_client;
    std::weak_ptr<sessions::AgentHost> m_sessions;
    HubServices m_hub;
    /// Series in the hub's MetricsRegistry; null until set_metrics().
    struct Meters {
        Counter& turns;
        Counter& requests;
        Counter& uncached_input;
        Counter& cached_input;
        Counter& cache_write_input;
        Counter& output;
    };
    std::unique_ptr<Meters> m_meters;

    std::mutex m_mutex;                                                   ///< guards the members below
    std::map<std::string, std::shared_ptr<Conversation>> m_conversations; ///< by session id
    std::vector<std::shared_ptr<Conversation>> m_retired;                 ///< ended sessions, joined at shutdown
    bool m_stopping = false;
};

} // namespace atelier::agent
