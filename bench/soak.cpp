// SPDX-License-Identifier: Apache-2.0
// Soak (issue 22 §3, docs/reliability.md): the real hub under a steady mix for SOAK_MINUTES.
// N simulated users, each on a project of its own with the test engine: a browser tab starts the
// project's session and runs mutating commands (each a save, a commit and a version), the user
// restores an earlier version over REST, uploads a file, and reconnects with a new tab. A sampler
// prints the hub's resident memory and open descriptors over time. At the end every version a
// client was told about must be listed, and the run fails on any error or on growth beyond the
// documented bound (docs/reliability.md §3): RSS more than 64 MiB + 25 % and descriptors more than
// 64 above the first sample taken after the warm-up (the first fifth of the run).
#include <signal.h>

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
#include "hub_process.h"

namespace {

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

/// What the clients were told, and every error by kind.
struct Ledger {
    std::mutex mutex;
    std::map<std::string, std::set<std::string>> versions; // project → acknowledged revs
    std::map<std::string, int> errors;
    std::atomic<long> commands{0}, restores{0}, uploads{0}, reconnects{0};

    void acknowledge(const std::string& project, const std::string& rev) {
        const std::lock_guard lock(mutex);
        versions[project].insert(rev);
    }
    void error(const std::string& kind) {
        const std::lock_guard lock(mutex);
        ++errors[kind];
    }
};

class User {
public:
    User(const HubProcess& hub, Ledger& ledger, int index) : m_hub(hub), m_ledger(ledger), m_index(index) {}

    void run(const std::atomic<bool>& stopping) {
        const auto created = request("POST", "/api/projects",
                                     json{{"name", "soak " + std::to_string(m_index)}, {"kind", "test"}}.dump());
        if (created.status != 201) {
            return m_ledger.error("create project " + std::to_string(created.status));
        }
        m_project = json::parse(created.body)["id"];
        for (int round = 0; !stopping; ++round) {
            if (!connect()) {
                std::this_thread::sleep_for(1s); // the error is counted; try again
                continue;
            }
            for (int n = 0; n < 5 && !stopping; ++n) {
                command(round * 5 + n);
            }
            restore();
            upload(round);
            m_tab.reset(); // a reconnect: the next round opens a new tab on the same session
            ++m_ledger.reconnects;
        }
    }

    [[nodiscard]] const std::string& project() const { return m_project; }

private:
    HttpResult request(const std::string& method, const std::string& target, const std::string& body = {}) {
        std::map<std::string, std::string> headers{{"Authorization", m_hub.bearer()}};
        if (!body.empty()) {
            headers["Content-Type"] = "application/json";
        }
        return atelier::testing::http_request(m_hub.port(), method, target, headers, body);
    }

    json next(const std::string& type) {
        const auto deadline = std::chrono::steady_clock::now() + 120s;
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
            if (parsed.is_object() && parsed["type"] == type) {
                return parsed;
            }
            if (parsed.is_object() && parsed["type"] == "error") {
                m_ledger.error("error message " + parsed["payload"].value("code", "?"));
            }
        }
        return nullptr;
    }

    bool connect() {
        auto connection = WsClient::connect(m_hub.port(), "/ws/browser", {{"Authorization", m_hub.bearer()}});
        if (!connection.client) {
            m_ledger.error("tab connect " + std::to_string(connection.status));
            return false;
        }
        m_tab = std::move(connection.client);
        m_tab->send_text(json{{"type", "session:start"}, {"id", "s"}, {"payload", {{"project_id", m_project}}}}.dump());
        if (next("session:ready").is_null()) {
            m_ledger.error("session:ready missing");
            m_tab.reset();
            return false;
        }
        return true;
    }

    void command(int n) {
        m_tab->send_text(json{{"type", "command:send"},
                              {"id", "c" + std::to_string(n)},
                              {"payload",
                               {{"tool", "scene__create_object"},
                                {"arguments", {{"name", "o" + std::to_string(m_index) + "-" + std::to_string(n)}}}}}}
                             .dump());
        const auto result = next("command:result");
        if (result.is_null()) {
            return m_ledger.error("command:result missing");
        }
        if (!result["payload"].contains("version")) {
            return m_ledger.error("command without version: " + result["payload"].value("save_error_code", "?"));
        }
        m_ledger.acknowledge(m_project, result["payload"]["version"]);
        ++m_ledger.commands;
    }

    void restore() {
        const auto listed = request("GET", "/api/projects/" + m_project + "/versions?limit=3");
        const auto items = listed.status == 200 ? json::parse(listed.body)["items"] : json::array();
        if (items.size() < 2) {
            return m_ledger.error("versions " + std::to_string(listed.status));
        }
        const auto restored = request("POST", "/api/projects/" + m_project + "/versions/" +
                                                  items[1]["rev"].get<std::string>() + "/restore");
        if (restored.status != 201) {
            return m_ledger.error("restore " + std::to_string(restored.status));
        }
        m_ledger.acknowledge(m_project, json::parse(restored.body)["rev"]);
        ++m_ledger.restores;
    }

    void upload(int round) {
        const std::string body(64 * 1024 + round, static_cast<char>('a' + round % 26));
        const auto uploaded = request("PUT", "/api/projects/" + m_project + "/files/assets/soak.bin", body);
        if (uploaded.status != 200 && uploaded.status != 201) {
            return m_ledger.error("upload " + std::to_string(uploaded.status));
        }
        m_ledger.acknowledge(m_project, json::parse(uploaded.body)["version"]);
        ++m_ledger.uploads;
    }

    const HubProcess& m_hub;
    Ledger& m_ledger;
    int m_index;
    std::string m_project;
    std::unique_ptr<WsClient> m_tab;
};

std::set<std::string> listed_versions(const HubProcess& hub, const std::string& project) {
    std::set<std::string> revs;
    std::string target = "/api/projects/" + project + "/versions?limit=100";
    while (true) {
        const auto page = atelier::testing::http_request(hub.port(), "GET", target, {{"Authorization", hub.bearer()}});
        if (page.status != 200) {
            return revs;
        }
        const auto body = json::parse(page.body);
        for (const auto& item : body["items"]) {
            revs.insert(item["rev"].get<std::string>());
        }
        if (body["next_cursor"].is_null()) {
            return revs;
        }
        target = "/api/projects/" + project + "/versions?limit=100&cursor=" + body["next_cursor"].get<std::string>();
    }
}

} // namespace

int main(int argc, char** argv) {
    std::string hub_path;
    double minutes = 10;
    int users = 4;
    double sample_seconds = 30;
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
        }
    }
    if (hub_path.empty() || minutes <= 0 || users <= 0) {
        std::fprintf(stderr, "usage: soak --hub PATH [--minutes M (SOAK_MINUTES)] [--users N] [--sample-seconds S]\n");
        return 2;
    }
    setenv("ATELIER_BINARY", std::filesystem::absolute(hub_path).c_str(), 1);
    std::unique_ptr<HubProcess> hub;
    try {
        atelier::testing::TempDir config_dir;
        const auto config = config_dir.path() / "atelier.toml";
        std::ofstream(config) << "[engines.test]\ncommand = [\"" << atelier::testing::test_engine_binary() << "\"]\n";
        hub =
            HubProcess::start({.args = {"--config", config.string(), "--log-level", "warn", "--session-grace", "30"}});
        std::printf("soak: %d users, %.1f minutes, hub pid %d\n", users, minutes, hub->pid());
        std::printf("| t (s) | RSS (MiB) | fds | commands | restores | uploads | reconnects | errors |\n");
        std::printf("|---|---|---|---|---|---|---|---|\n");
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
        const auto end = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(minutes * 60));
        std::vector<Sample> samples;
        while (true) {
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            samples.push_back(sample_of(hub->pid(), elapsed));
            int errors = 0;
            {
                const std::lock_guard lock(ledger.mutex);
                for (const auto& [kind, count] : ledger.errors) {
                    errors += count;
                }
            }
            std::printf("| %.0f | %.1f | %zu | %ld | %ld | %ld | %ld | %d |\n", elapsed, samples.back().rss_mib,
                        samples.back().fds, ledger.commands.load(), ledger.restores.load(), ledger.uploads.load(),
                        ledger.reconnects.load(), errors);
            std::fflush(stdout);
            if (std::chrono::steady_clock::now() >= end) {
                break;
            }
            std::this_thread::sleep_until(
                std::min(end, std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                                     std::chrono::duration<double>(sample_seconds))));
        }
        stopping = true;
        for (auto& thread : threads) {
            thread.join();
        }

        // What the clients were told against what the hub lists.
        std::size_t checked = 0, missing = 0;
        for (const auto& [project, revs] : ledger.versions) {
            const auto listed = listed_versions(*hub, project);
            for (const auto& rev : revs) {
                ++checked;
                if (!listed.contains(rev)) {
                    ++missing;
                    std::printf("missing: version %s of project %s was acknowledged but is not listed\n", rev.c_str(),
                                project.c_str());
                }
            }
        }
        // Growth from the first sample after the warm-up (a fifth of the run) to the last.
        const Sample& warm = samples[samples.size() / 5];
        const Sample& last = samples.back();
        const double rss_bound = warm.rss_mib * 1.25 + 64;
        const std::size_t fd_bound = warm.fds + 64;
        std::printf("\nsoak: %ld commands, %ld restores, %ld uploads, %ld reconnects; %zu acknowledged versions "
                    "checked, %zu missing\n",
                    ledger.commands.load(), ledger.restores.load(), ledger.uploads.load(), ledger.reconnects.load(),
                    checked, missing);
        std::printf("soak: RSS %.1f MiB after warm-up (t=%.0f s) -> %.1f MiB at the end (bound %.1f); fds %zu -> %zu "
                    "(bound %zu)\n",
                    warm.rss_mib, warm.seconds, last.rss_mib, rss_bound, warm.fds, last.fds, fd_bound);
        int errors = 0;
        for (const auto& [kind, count] : ledger.errors) {
            std::printf("soak: error %s × %d\n", kind.c_str(), count);
            errors += count;
        }
        const bool ok =
            errors == 0 && missing == 0 && last.rss_mib <= rss_bound && last.fds <= fd_bound && ledger.commands > 0;
        hub->stop(SIGTERM, 60s);
        std::printf("soak: %s\n", ok ? "PASS" : "FAIL");
        return ok ? 0 : 1;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "soak: %s\n%s", error.what(), hub ? hub->log().c_str() : "");
        return 1;
    }
}
