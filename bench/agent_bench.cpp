// SPDX-License-Identifier: Apache-2.0
// Hub time per agent step, excluding the model and the engine (docs/benchmarks.md).
//
// The real hub, the C++ test engine and the fake model server (tests/support/fake_model_server.py,
// which answers at once). Each turn is `--steps` model requests: every reply but the last asks
// for `basics__echo`, the last one answers in text. Per step, the hub's time is the interval
// between two consecutive `agent:tool_call` events at the browser, minus the engine's part (the
// hub-measured `duration_ms` of the tool call in between) and minus the model's part (the fake
// server's own `served_ms`, from its request line to writing the last byte). What is left
// is the hub: prompt and request building, the HTTP connection, SSE parsing, validation, dispatch,
// the transcript, the events — and the loopback hops, which a real deployment pays as well.
//
// Usage: agent_bench --hub build/release/atelier [--provider anthropic|openai] [--steps 20] [--turns 10]

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clients.h"
#include "fake_model.h"
#include "hub_process.h"
#include "net/http_client.h"
#include "percentile.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using atelier::testing::FakeModelServer;
using atelier::testing::HubProcess;
using atelier::testing::WsClient;

using atelier::bench::percentile;

double ms_since(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

struct Options {
    std::string hub;
    std::string provider = "anthropic";
    int steps = 20;
    int turns = 10;
};

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--hub") {
            options.hub = argv[i + 1];
        } else if (flag == "--provider") {
            options.provider = argv[i + 1];
        } else if (flag == "--steps") {
            options.steps = std::max(2, std::atoi(argv[i + 1]));
        } else if (flag == "--turns") {
            options.turns = std::max(1, std::atoi(argv[i + 1]));
        }
    }
    return options;
}

std::string send(WsClient& client, const std::string& type, const json& payload, int& next) {
    const std::string id = "b" + std::to_string(++next);
    client.send_text(json{{"type", type}, {"id", id}, {"payload", payload}}.dump());
    return id;
}

} // namespace

int main(int argc, char** argv) {
    const auto options = parse(argc, argv);
    if (options.hub.empty()) {
        std::fprintf(stderr, "usage: agent_bench --hub PATH [--provider anthropic|openai] [--steps N] [--turns N]\n");
        return 2;
    }
    // Absolute: the hub runs engines with the session's working tree as their directory.
    setenv("ATELIER_BINARY", std::filesystem::absolute(options.hub).c_str(), 1);
    std::string error;
    auto model = FakeModelServer::start(&error);
    if (!model) {
        std::fprintf(stderr, "agent_bench: %s\n", error.c_str());
        return 1;
    }
    atelier::testing::TempDir config_dir;
    const auto config = config_dir.path() / "atelier.toml";
    std::ofstream(config) << "[engines.test]\ncommand = [\"" << atelier::testing::test_engine_binary() << "\"]\n"
                          << "[model]\nprovider = \"" << options.provider << "\"\nmodel = \"fake\"\nbase_url = \""
                          << model->base_url() << (options.provider == "openai" ? "/v1" : "") << "\"\n"
                          << "[agent]\nmax_steps = " << options.steps + 1 << "\n"
                          << "[log]\nlevel = \"warn\"\n";
    auto hub = HubProcess::start({.args = {"--config", config.string()}});
    const std::map<std::string, std::string> auth{{"Authorization", hub->bearer()}};
    const auto created = atelier::testing::http_request(hub->port(), "POST", "/api/projects", auth,
                                                        json{{"name", "bench"}, {"kind", "test"}}.dump());
    const auto project = json::parse(created.body)["id"].get<std::string>();
    auto connection = WsClient::connect(hub->port(), "/ws/browser", auth);
    if (!connection.client) {
        std::fprintf(stderr, "agent_bench: %s\n", connection.error.c_str());
        return 1;
    }
    auto& tab = *connection.client;
    int next = 0;
    send(tab, "session:start", {{"project_id", project}}, next);
    for (;;) {
        auto message = tab.read(std::chrono::seconds(60));
        if (!message) {
            std::fprintf(stderr, "agent_bench: no session:ready\n");
            return 1;
        }
        if (message->is_text && json::parse(message->data)["type"] == "session:ready") {
            break;
        }
    }

    std::vector<double> step_ms;
    std::vector<double> turn_overhead_ms;
    std::vector<double> turn_total_ms;
    for (int turn = 0; turn <= options.turns; ++turn) { // turn 0 warms up and is not counted
        json replies = json::array();
        for (int step = 0; step + 1 < options.steps; ++step) {
            replies.push_back(
                {{"tool_calls",
                  {{{"name", "basics__echo"}, {"arguments", {{"text", "step " + std::to_string(step)}}}}}}});
        }
        replies.push_back({{"text", "done"}});
        model->script({{"replies", replies}});

        std::vector<Clock::time_point> calls;
        std::vector<double> engine_ms;
        const auto sent = Clock::now();
        send(tab, "message:send", {{"text", "run " + std::to_string(options.steps) + " steps"}}, next);
        Clock::time_point completed;
        for (;;) {
            auto message = tab.read(std::chrono::seconds(60));
            if (!message) {
                std::fprintf(stderr, "agent_bench: the turn did not complete\n");
                return 1;
            }
            if (!message->is_text) {
                continue;
            }
            const auto now = Clock::now();
            const auto parsed = json::parse(message->data);
            const auto& type = parsed["type"];
            if (type == "agent:tool_call") {
                calls.push_back(now);
            } else if (type == "agent:tool_result") {
                engine_ms.push_back(parsed["payload"].value("duration_ms", 0.0));
            } else if (type == "agent:complete") {
                completed = now;
                if (parsed["payload"]["ok"] != true) {
                    std::fprintf(stderr, "agent_bench: turn failed: %s\n", parsed.dump().c_str());
                    return 1;
                }
                break;
            }
        }
        const auto requests = model->requests();
        std::vector<double> served;
        for (const auto& request : requests) {
            served.push_back(request["served_ms"].is_number() ? request["served_ms"].get<double>() : 0.0);
        }
        if (turn == 0) {
            continue;
        }
        // Step k runs from tool_call k-1 to tool_call k: engine call k-1, then model request k.
        for (std::size_t k = 1; k < calls.size() && k < served.size() && k - 1 < engine_ms.size(); ++k) {
            step_ms.push_back(ms_since(calls[k - 1], calls[k]) - engine_ms[k - 1] - served[k]);
        }
        double model_total = 0;
        for (const double value : served) {
            model_total += value;
        }
        double engine_total = 0;
        for (const double value : engine_ms) {
            engine_total += value;
        }
        const double total = ms_since(sent, completed);
        turn_total_ms.push_back(total);
        turn_overhead_ms.push_back(total - model_total - engine_total);
    }
    // The floor: one model request straight from this process over a kept-alive connection (as
    // the hub makes them), minus the fake server's own time: loopback TCP and HTTP. The hub pays
    // this once per step too.
    std::vector<double> floor_ms;
    atelier::net::HttpClient http;
    for (int i = 0; i < 200; ++i) {
        model->script({{"replies", {{{"text", "x"}}}}});
        atelier::net::ClientRequest request;
        request.url = model->base_url() + (options.provider == "openai" ? "/v1/chat/completions" : "/v1/messages");
        request.headers = {{"content-type", "application/json"}};
        request.body = json{{"model", "fake"}, {"messages", json::array()}}.dump();
        const auto started = Clock::now();
        const auto done = http.stream(
            request, [](const atelier::net::ClientResponseHead&) {}, [](std::string_view) { return true; });
        const auto elapsed = ms_since(started, Clock::now());
        const auto served = model->requests();
        if (done && !served.empty() && served[0]["served_ms"].is_number()) {
            floor_ms.push_back(elapsed - served[0]["served_ms"].get<double>());
        }
    }
    std::printf("agent_bench provider=%s steps=%d turns=%d\n", options.provider.c_str(), options.steps, options.turns);
    std::printf("hub time per step: p50 %.3f ms, p99 %.3f ms (%zu steps)\n", percentile(step_ms, 0.5),
                percentile(step_ms, 0.99), step_ms.size());
    std::printf("floor (one request to the fake model, minus its own time): p50 %.3f ms, p99 %.3f ms\n",
                percentile(floor_ms, 0.5), percentile(floor_ms, 0.99));
    std::printf("%d-step turn: hub overhead p50 %.2f ms (total p50 %.2f ms, of which model+engine %.2f ms)\n",
                options.steps, percentile(turn_overhead_ms, 0.5), percentile(turn_total_ms, 0.5),
                percentile(turn_total_ms, 0.5) - percentile(turn_overhead_ms, 0.5));
    hub->stop(SIGTERM, std::chrono::seconds(10));
    return 0;
}
