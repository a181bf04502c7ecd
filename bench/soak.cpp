// SPDX-License-Identifier: Apache-2.0
// Soak (issue 22 §3, docs/reliability.md): the real hub under a steady mix for SOAK_MINUTES.
// N simulated users, each on a project of its own with the test engine: a browser tab starts the
// project's session and runs mutating commands (each a save, a commit and a version), asks the
// agent for a change (a turn against the fake model server, tests/support/fake_model_server.py,
// whose tool call makes a version), restores an earlier version over REST, uploads a file, and
// reconnects with a new tab. Meanwhile the engines are killed with SIGKILL, one session at a time;
// each session must come back (the hub relaunches the engine from the last version), and a request
// that fails because of a kill is counted apart. A sampler prints the hub's resident memory and
// open descriptors over time. At the end every version a client was told about must be listed,
// every message the agent acknowledged (`agent:turn`) must be in the transcript, every killed
// session must have served a request again, and the run fails on any other error or on growth
// beyond the documented bound (docs/reliability.md §3): RSS more than 64 MiB + 25 % and descriptors
// more than 64 above the first sample taken after the warm-up (the first fifth of the run).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "clients.h"
#include "fake_model.h"
#include "hub_process.h"

namespace {

using atelier::testing::FakeModelServer;
using atelier::testing::HttpResult;
using atelier::testing::HubProcess;
using atelier::testing::WsClient;
using nlohmann::json;
using namespace std::chrono_literals;

struct Sample {
    double seconds = 0;
    double rss_mib = 0;
    std::size_t fds = 0;
};

Sample sample_of(pid_t pid, double seconds) {
    Sample sample{seconds, 0, 0};
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) {
            sample.rss_mib = std::atof(line.c_str() + 6) / 1024.0;
        }
    }
    std::error_code error;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error);
         !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
        ++sample.fds;
    }
    return sample;
}

/// What the clients were told, and every failure by kind.
struct Ledger {
    std::mutex mutex;
    std::map<std::string, std::set<std::string>> versions; // project → acknowledged revs
    std::map<std::string, std::set<std::string>> messages; // project → acknowledged user messages
    std::map<std::string, int> errors;                     // failures no kill explains
    std::map<std::string, int> after_kill;                 // failures of requests a kill interrupted
    std::atomic<long> commands{0}, turns{0}, restores{0}, uploads{0}, reconnects{0}, kills{0};

    void acknowledge(const std::string& project, const std::string& rev) {
        const std::lock_guard lock(mutex);
        versions[project].insert(rev);
    }
    void acknowledge_message(const std::string& project, const std::string& text) {
        const std::lock_guard lock(mutex);
        messages[project].insert(text);
    }
    int error_count() {
        const std::lock_guard lock(mutex);
        int total = 0;
        for (const auto& [kind, count] : errors) {
            total += count;
        }
        return total;
    }
};

/// The fake model's script for one user: every turn is a tool call that creates an object (a
/// version), then a short answer. Object names carry `generation` so a new script never repeats one.
json user_script(int user, int generation) {
    json replies = json::array();
    for (int n = 0; n < 400; ++n) {
        const std::string name =
            "a" + std::to_string(user) + "-" + std::to_string(generation) + "-" + std::to_string(n);
        replies.push_back(
            {{"text", "Adding " + name + "."},
             {"tool_calls",
              {{{"id", "call-" + name}, {"name", "scene__create_object"}, {"arguments", {{"name", name}}}}}}});
        replies.push_back({{"text", "Done."}});
    }
    return replies;
}

/// What every message of user `user` starts with: the fake model picks the user's script by it.
std::string user_key(int user) {
    return "[soak-user-" + std::to_string(user) + "]";
}

class User {
public:
    User(const HubProcess& hub, Ledger& ledger, int index) : m_hub(hub), m_ledger(ledger), m_index(index) {}

    void run(const std::atomic<bool>& stopping) {
        const auto created = request("POST", "/api/projects",
                                     json{{"name", "soak " + std::to_string(m_index)}, {"kind", "test"}}.dump());
        if (created.status != 201) {
            return fail("create project " + std::to_string(created.status));
        }
        {
            const std::lock_guard lock(m_mutex);
            m_project = json::parse(created.body)["id"];
        }
        for (int round = 0; !stopping; ++round) {
            if (!connect()) {
                std::this_thread::sleep_for(1s); // the failure is counted; try again
                continue;
            }
            for (int n = 0; n < 5 && !stopping; ++n) {
                command(round * 5 + n);
            }
            if (!stopping) {
                turn(round);
            }
            restore();
            upload(round);
            m_tab.reset(); // a reconnect: the next round opens a new tab on the same session
            ++m_ledger.reconnects;
        }
    }

    [[nodiscard]] std::string project() const {
        const std::lock_guard lock(m_mutex);
        return m_project;
    }

    /// Called by the killer just before it kills this user's engine.
    void killed() { ++m_kills; }
    /// Kills this user's session has not yet served a request after.
    [[nodiscard]] long unrecovered_kills() const { return m_kills - m_recovered; }

private:
    /// Requests succeed or fail; a failure counts as the kill's when an engine kill came after the
    /// last success (the session may still be relaunching), else as an error.
    struct Attempt {
        long kills_before;
    };
    Attempt begin() const { return {m_kills.load()}; }
    void succeeded(const Attempt& attempt) { m_recovered = std::max(m_recovered.load(), attempt.kills_before); }
    void fail(const std::string& kind) {
        const std::lock_guard lock(m_ledger.mutex);
        ++(m_kills > m_recovered ? m_ledger.after_kill : m_ledger.errors)[kind];
    }

    HttpResult request(const std::string& method, const std::string& target, const std::string& body = {}) {
        std::map<std::string, std::string> headers{{"Authorization", m_hub.bearer()}};
        if (!body.empty()) {
            headers["Content-Type"] = "application/json";
        }
        return atelier::testing::http_request(m_hub.port(), method, target, headers, body);
    }

    /// The next message of `type`, or the `error` message that answers instead (null on timeout).
    /// Marks `agent:turn` when it passes.
    json next(const std::string& type, std::chrono::seconds timeout = 120s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto message = m_tab->read(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
            if (!message) {
                return nullptr;
            }
            if (!message->is_text) {
                continue;
            }
            auto parsed = json::parse(message->data, nullptr, false);
            if (!parsed.is_object()) {
                continue;
            }
            if (parsed["type"] == "agent:turn") {
                m_turn_started = true;
            }
            if (parsed["type"] == type || parsed["type"] == "error") {
                return parsed;
            }
        }
        return nullptr;
    }

    /// The kind of a failed answer: the missing message, or the error's code.
    static std::string failure(const std::string& what, const json& answer) {
        if (answer.is_null()) {
            return what + " missing";
        }
        if (answer["type"] == "error") {
            return what + ": error " + answer["payload"].value("code", "?");
        }
        const auto& payload = answer["payload"];
        if (payload.contains("save_error_code")) {
            return what + ": save_error " + payload["save_error_code"].get<std::string>();
        }
        if (payload.contains("error") && payload["error"].is_object()) {
            return what + ": " + payload["error"].value("code", "?");
        }
        return what + ": no version";
    }

    bool connect() {
        const auto attempt = begin();
        auto connection = WsClient::connect(m_hub.port(), "/ws/browser", {{"Authorization", m_hub.bearer()}});
        if (!connection.client) {
            fail("tab connect " + std::to_string(connection.status));
            return false;
        }
        m_tab = std::move(connection.client);
        m_tab->send_text(json{{"type", "session:start"}, {"id", "s"}, {"payload", {{"project_id", m_project}}}}.dump());
        const auto ready = next("session:ready");
        if (ready.is_null() || ready["type"] != "session:ready") {
            fail(failure("session:ready", ready));
            m_tab.reset();
            return false;
        }
        succeeded(attempt);
        return true;
    }

    void command(int n) {
        const auto attempt = begin();
        m_tab->send_text(json{{"type", "command:send"},
                              {"id", "c" + std::to_string(n)},
                              {"payload",
                               {{"tool", "scene__create_object"},
                                {"arguments", {{"name", "o" + std::to_string(m_index) + "-" + std::to_string(n)}}}}}}
                             .dump());
        const auto result = next("command:result");
        if (result.is_null() || result["type"] != "command:result" || !result["payload"].contains("version")) {
            return fail(failure("command", result));
        }
        m_ledger.acknowledge(m_project, result["payload"]["version"]);
        ++m_ledger.commands;
        succeeded(attempt);
    }

    /// A natural-language turn: the model calls a tool that changes the scene, so the turn ends
    /// with a version. `agent:turn` (published once the message is stored) acknowledges the message.
    void turn(int round) {
        const auto attempt = begin();
        const std::string text = user_key(m_index) + " round " + std::to_string(round) + ": add an object";
        m_turn_started = false;
        m_tab->send_text(
            json{{"type", "message:send"}, {"id", "m" + std::to_string(round)}, {"payload", {{"text", text}}}}.dump());
        const auto complete = next("agent:complete", 300s);
        if (m_turn_started) {
            m_ledger.acknowledge_message(m_project, text);
        }
        if (complete.is_null() || complete["type"] != "agent:complete" || complete["payload"]["ok"] != true) {
            return fail(failure("agent turn", complete));
        }
        if (complete["payload"]["version"].is_string()) {
            m_ledger.acknowledge(m_project, complete["payload"]["version"]);
        }
        if (!m_turn_started) {
            return fail("agent turn: completed without agent:turn");
        }
        ++m_ledger.turns;
        succeeded(attempt);
    }

    void restore() {
        const auto attempt = begin();
        const auto listed = request("GET", "/api/projects/" + m_project + "/versions?limit=3");
        const auto items = listed.status == 200 ? json::parse(listed.body)["items"] : json::array();
        if (items.size() < 2) {
            return fail("versions " + std::to_string(listed.status));
        }
        const auto restored = request("POST", "/api/projects/" + m_project + "/versions/" +
                                                  items[1]["rev"].get<std::string>() + "/restore");
        if (restored.status != 201) {
            return fail("restore " + std::to_string(restored.status));
        }
        m_ledger.acknowledge(m_project, json::parse(restored.body)["rev"]);
        ++m_ledger.restores;
        succeeded(attempt);
    }

    void upload(int round) {
        const auto attempt = begin();
        const std::string body(64 * 1024 + round, static_cast<char>('a' + round % 26));
        const auto uploaded = request("PUT", "/api/projects/" + m_project + "/files/assets/soak.bin", body);
        if (uploaded.status != 200 && uploaded.status != 201) {
            return fail("upload " + std::to_string(uploaded.status));
        }
        m_ledger.acknowledge(m_project, json::parse(uploaded.body)["version"]);
        ++m_ledger.uploads;
        succeeded(attempt);
    }

    const HubProcess& m_hub;
    Ledger& m_ledger;
    int m_index;
    mutable std::mutex m_mutex; // m_project, read by the killer
    std::string m_project;
    std::unique_ptr<WsClient> m_tab;
    bool m_turn_started = false;
    std::atomic<long> m_kills{0};
    std::atomic<long> m_recovered{0}; // kills before the latest success
};

/// Every item of a paged list (`items`, `next_cursor`), following the cursor.
std::vector<json> all_items(const HubProcess& hub, const std::string& path) {
    std::vector<json> items;
    std::string target = path + "?limit=100";
    while (true) {
        const auto page = atelier::testing::http_request(hub.port(), "GET", target, {{"Authorization", hub.bearer()}});
        if (page.status != 200) {
            std::printf("soak: GET %s answered %d\n", target.c_str(), page.status);
            return items;
        }
        const auto body = json::parse(page.body);
        for (const auto& item : body["items"]) {
            items.push_back(item);
        }
        if (body["next_cursor"].is_null()) {
            return items;
        }
        target = path + "?limit=100&cursor=" + body["next_cursor"].get<std::string>();
    }
}

/// SIGKILLs the engine of the next user's session (round robin); false when none is running.
bool kill_an_engine(const HubProcess& hub, std::vector<std::unique_ptr<User>>& people, std::size_t& next_user) {
    const auto listed =
        atelier::testing::http_request(hub.port(), "GET", "/api/sessions", {{"Authorization", hub.bearer()}});
    if (listed.status != 200) {
        return false;
    }
    const auto sessions = json::parse(listed.body)["items"];
    for (std::size_t tried = 0; tried < people.size(); ++tried) {
        User& person = *people[next_user++ % people.size()];
        const std::string project = person.project();
        for (const auto& session : sessions) {
            const int pid = session.value("engine_pid", 0);
            if (session["project_id"] == project && pid > 0 &&
                (session["state"] == "ready" || session["state"] == "busy" || session["state"] == "detached")) {
                person.killed();
                return ::kill(pid, SIGKILL) == 0;
            }
        }
    }
    return false;
}

} // namespace

int main(int argc, char** argv) {
    std::string hub_path;
    double minutes = 10;
    int users = 4;
    double sample_seconds = 30;
    double kill_seconds = 20;
    if (const char* env = std::getenv("SOAK_MINUTES"); env != nullptr && *env != 0) {
        minutes = std::atof(env);
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--hub") {
            hub_path = argv[i + 1];
        } else if (flag == "--minutes") {
            minutes = std::atof(argv[i + 1]);
        } else if (flag == "--users") {
            users = std::atoi(argv[i + 1]);
        } else if (flag == "--sample-seconds") {
            sample_seconds = std::atof(argv[i + 1]);
        } else if (flag == "--kill-seconds") {
            kill_seconds = std::atof(argv[i + 1]);
        }
    }
    if (hub_path.empty() || minutes <= 0 || users <= 0 || sample_seconds <= 0) {
        std::fprintf(stderr, "usage: soak --hub PATH [--minutes M (SOAK_MINUTES)] [--users N] [--sample-seconds S] "
                             "[--kill-seconds K (0: no engine kills)]\n");
        return 2;
    }
    setenv("ATELIER_BINARY", std::filesystem::absolute(hub_path).c_str(), 1);
    std::unique_ptr<HubProcess> hub;
    try {
        std::string model_error;
        const auto model = FakeModelServer::start(&model_error);
        if (!model) {
            std::fprintf(stderr, "soak: %s\n", model_error.c_str());
            return 1;
        }
        int generation = 0;
        const auto script = [&] {
            json by_prompt = json::object();
            for (int n = 0; n < users; ++n) {
                by_prompt[user_key(n)] = user_script(n, generation);
            }
            ++generation;
            return model->script({{"by_prompt", by_prompt}});
        };
        if (!script()) {
            std::fprintf(stderr, "soak: the fake model server refused its script\n");
            return 1;
        }
        atelier::testing::TempDir config_dir;
        const auto config = config_dir.path() / "atelier.toml";
        std::ofstream(config) << "[engines.test]\ncommand = [\"" << atelier::testing::test_engine_binary() << "\"]\n"
                              << "[model]\nprovider = \"anthropic\"\nmodel = \"fake-model\"\nbase_url = \""
                              << model->base_url() << "\"\n";
        hub =
            HubProcess::start({.args = {"--config", config.string(), "--log-level", "warn", "--session-grace", "30"}});
        std::printf("soak: %d users, %.1f minutes, an engine killed every %.0f s, hub pid %d\n", users, minutes,
                    kill_seconds, hub->pid());
        std::printf(
            "| t (s) | RSS (MiB) | fds | commands | agent turns | restores | uploads | reconnects | engine kills "
            "| errors |\n");
        std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
        std::fflush(stdout);

        Ledger ledger;
        std::atomic<bool> stopping{false};
        std::vector<std::unique_ptr<User>> people;
        std::vector<std::thread> threads;
        for (int n = 0; n < users; ++n) {
            people.push_back(std::make_unique<User>(*hub, ledger, n));
            threads.emplace_back([&, person = people.back().get()] { person->run(stopping); });
        }
        const auto started = std::chrono::steady_clock::now();
        const auto seconds = [](double value) {
            return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>(value));
        };
        const auto end = started + seconds(minutes * 60);
        // No kills in the last tenth of the run, so every killed session has time to come back.
        const auto last_kill = started + seconds(minutes * 60 * 0.9);
        auto next_sample = started;
        auto next_kill = started + seconds(kill_seconds);
        std::size_t next_victim = 0;
        std::vector<Sample> samples;
        while (true) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= next_sample) {
                const double elapsed = std::chrono::duration<double>(now - started).count();
                samples.push_back(sample_of(hub->pid(), elapsed));
                std::printf("| %.0f | %.1f | %zu | %ld | %ld | %ld | %ld | %ld | %ld | %d |\n", elapsed,
                            samples.back().rss_mib, samples.back().fds, ledger.commands.load(), ledger.turns.load(),
                            ledger.restores.load(), ledger.uploads.load(), ledger.reconnects.load(),
                            ledger.kills.load(), ledger.error_count());
                std::fflush(stdout);
                // A fresh script forgets the requests the fake model recorded (they grow with the
                // transcripts) and restarts every user's replies.
                if (!script()) {
                    const std::lock_guard lock(ledger.mutex);
                    ++ledger.errors["fake model script refused"];
                }
                if (now >= end) {
                    break;
                }
                next_sample = std::min(end, now + seconds(sample_seconds));
            }
            if (kill_seconds > 0 && now >= next_kill) {
                if (now < last_kill && kill_an_engine(*hub, people, next_victim)) {
                    ++ledger.kills;
                }
                next_kill = now + seconds(kill_seconds);
            }
            auto wake = next_sample;
            if (kill_seconds > 0 && next_kill < last_kill) {
                wake = std::min(wake, next_kill);
            }
            std::this_thread::sleep_until(wake);
        }
        stopping = true;
        for (auto& thread : threads) {
            thread.join();
        }

        // What the clients were told against what the hub lists.
        std::size_t checked = 0, missing = 0, messages_checked = 0, messages_missing = 0;
        for (const auto& [project, revs] : ledger.versions) {
            std::set<std::string> listed;
            for (const auto& item : all_items(*hub, "/api/projects/" + project + "/versions")) {
                listed.insert(item["rev"].get<std::string>());
            }
            for (const auto& rev : revs) {
                ++checked;
                if (!listed.contains(rev)) {
                    ++missing;
                    std::printf("missing: version %s of project %s was acknowledged but is not listed\n", rev.c_str(),
                                project.c_str());
                }
            }
        }
        for (const auto& [project, texts] : ledger.messages) {
            std::multiset<std::string> stored;
            for (const auto& item : all_items(*hub, "/api/projects/" + project + "/messages")) {
                if (item["role"] == "user") {
                    stored.insert(item["content"].get<std::string>());
                }
            }
            for (const auto& text : texts) {
                ++messages_checked;
                if (stored.count(text) != 1) {
                    ++messages_missing;
                    std::printf("missing: message \"%s\" of project %s was acknowledged and is stored %zu times\n",
                                text.c_str(), project.c_str(), stored.count(text));
                }
            }
        }
        long unrecovered = 0;
        for (const auto& person : people) {
            unrecovered += person->unrecovered_kills();
        }
        // Growth from the first sample after the warm-up (a fifth of the run) to the last.
        const Sample& warm = samples[samples.size() / 5];
        const Sample& last = samples.back();
        const double rss_bound = warm.rss_mib * 1.25 + 64;
        const std::size_t fd_bound = warm.fds + 64;
        std::printf(
            "\nsoak: %ld commands, %ld agent turns, %ld restores, %ld uploads, %ld reconnects; %ld engine kills "
            "(%ld sessions not back at the end)\n",
            ledger.commands.load(), ledger.turns.load(), ledger.restores.load(), ledger.uploads.load(),
            ledger.reconnects.load(), ledger.kills.load(), unrecovered);
        std::printf("soak: %zu acknowledged versions checked, %zu missing; %zu acknowledged messages checked, %zu "
                    "missing or duplicated\n",
                    checked, missing, messages_checked, messages_missing);
        std::printf("soak: RSS %.1f MiB after warm-up (t=%.0f s) -> %.1f MiB at the end (bound %.1f); fds %zu -> %zu "
                    "(bound %zu)\n",
                    warm.rss_mib, warm.seconds, last.rss_mib, rss_bound, warm.fds, last.fds, fd_bound);
        int errors = 0;
        for (const auto& [kind, count] : ledger.errors) {
            std::printf("soak: error %s × %d\n", kind.c_str(), count);
            errors += count;
        }
        for (const auto& [kind, count] : ledger.after_kill) {
            std::printf("soak: failed after an engine kill (expected) %s × %d\n", kind.c_str(), count);
        }
        const bool ok = errors == 0 && missing == 0 && messages_missing == 0 && unrecovered == 0 &&
                        last.rss_mib <= rss_bound && last.fds <= fd_bound && ledger.commands > 0 && ledger.turns > 0;
        hub->stop(SIGTERM, 60s);
        std::printf("soak: %s\n", ok ? "PASS" : "FAIL");
        return ok ? 0 : 1;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "soak: %s\n%s", error.what(), hub ? hub->log().c_str() : "");
        return 1;
    }
}
