// SPDX-License-Identifier: Apache-2.0
// `atelier eval`: a client of a running hub, as a person in the studio is one. For each task it
// creates a project (REST), starts a session and sends the prompt over /ws/browser, follows the
// agent's events to agent:complete, then reads the scene summary and the renders and checks them
// (agent/eval_task.h). Nothing in the hub knows it is being evaluated.

#include "app/eval_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/eval_task.h"
#include "agent/transcript.h"
#include "app/hub_address.h"
#include "net/http_client.h"
#include "net/websocket_client.h"

namespace atelier::app {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct HttpReply {
    int status = 0;
    std::string body;
};

class Hub {
public:
    Hub(std::string url, std::string token) : m_url(std::move(url)), m_token(std::move(token)) {
        while (!m_url.empty() && m_url.back() == '/') {
            m_url.pop_back();
        }
    }

    Result<HttpReply> http(const std::string& method, const std::string& path, const std::string& body = {}) {
        net::ClientRequest request;
        request.method = method;
        request.url = m_url + path;
        request.headers = {{"authorization", "Bearer " + m_token}};
        if (!body.empty()) {
            request.headers.emplace_back("content-type", "application/json");
        }
        request.body = body;
        request.read_timeout = std::chrono::seconds(60);
        HttpReply reply;
        ATELIER_TRY(m_http.stream(
            request, [&reply](const net::ClientResponseHead& head) { reply.status = head.status; },
            [&reply](std::string_view piece) {
                reply.body.append(piece);
                return true;
            }));
        return reply;
    }

    Result<std::unique_ptr<net::WebSocketClient>> tab() {
        return net::WebSocketClient::connect(m_url + "/ws/browser", {{"Authorization", "Bearer " + m_token}},
                                             std::chrono::seconds(30));
    }

private:
    std::string m_url;
    std::string m_token;
    net::HttpClient m_http;
};

struct TaskRun {
    std::string id;
    std::string project_id;
    bool passed = false;
    std::string error; ///< the run itself failed (no session, no answer, timeout)
    int steps = 0;
    int tool_calls = 0;
    int tool_errors = 0;
    agent::Usage usage;
    double wall_s = 0;
    std::vector<agent::CheckOutcome> checks;
};

json envelope(const std::string& type, const std::string& id, json payload) {
    return {{"type", type}, {"id", id}, {"payload", std::move(payload)}};
}

// Reads messages until one of `type` (answering `re` when given) arrives; records scene updates.
Result<json> wait_for(net::WebSocketClient& tab, const std::string& type, Clock::time_point deadline, json& scene,
                      const std::function<void(const json&)>& on_event = {}) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            return fail(ErrorCode::Timeout, fmt::format("no {} before the task's timeout", type));
        }
        auto text = tab.read(left);
        if (!text) {
            return tl::unexpected(text.error());
        }
        auto message = json::parse(*text, nullptr, false);
        if (!message.is_object()) {
            continue;
        }
        const std::string got = message.value("type", "");
        const auto payload = message.value("payload", json::object());
        if (got == "scene:updated" && payload.contains("summary")) {
            scene = payload["summary"];
        }
        if (on_event) {
            on_event(message);
        }
        if (got == type) {
            return payload;
        }
        if (got == "error") {
            return fail(ErrorCode::Unavailable,
                        fmt::format("the hub answered an error: {}", payload.value("message", payload.dump())));
        }
        if (got == "session:status" &&
            (payload.value("state", "") == "lost" || payload.value("state", "") == "ended")) {
            return fail(ErrorCode::Unavailable,
                        fmt::format("the session is {}: {}", payload.value("state", ""), payload.value("detail", "")));
        }
    }
}

std::vector<agent::EvalRender> read_renders(Hub& hub, const std::string& project_id) {
    std::vector<agent::EvalRender> renders;
    auto listed = hub.http("GET", "/api/projects/" + project_id + "/renders");
    if (!listed || listed->status != 200) {
        return renders;
    }
    const auto body = json::parse(listed->body, nullptr, false);
    for (const auto& item : body.value("renders", json::array())) {
        agent::EvalRender render{item.value("name", ""), item.value("size", std::int64_t{0}), std::nullopt};
        const auto lower_name = [&render] {
            std::string name = render.name;
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            return name;
        }();
        if (lower_name.ends_with(".png") && item.contains("url") && item["url"].is_string()) {
            if (auto file = hub.http("GET", item["url"].get<std::string>()); file && file->status == 200) {
                if (auto blank = agent::png_is_blank(file->body)) {
                    render.blank = *blank;
                }
            }
        }
        renders.push_back(std::move(render));
    }
    return renders;
}

TaskRun run_task(Hub& hub, const agent::EvalTask& task) {
    TaskRun run;
    run.id = task.id;
    const auto started = Clock::now();
    const auto deadline = started + std::chrono::seconds(task.timeout_s);
    const auto finish = [&run, &started](std::string error) {
        run.error = std::move(error);
        run.wall_s = std::chrono::duration<double>(Clock::now() - started).count();
        return run;
    };
    auto created = hub.http("POST", "/api/projects", json{{"name", "eval " + task.id}, {"kind", task.engine}}.dump());
    if (!created) {
        return finish("creating the project failed: " + created.error().message);
    }
    if (created->status != 201) {
        return finish(fmt::format("creating the project failed (HTTP {}): {}", created->status, created->body));
    }
    run.project_id = json::parse(created->body, nullptr, false).value("id", "");
    auto tab = hub.tab();
    if (!tab) {
        return finish(tab.error().message);
    }
    json scene;
    if (auto sent = (*tab)->send(envelope("session:start", "start", {{"project_id", run.project_id}}).dump()); !sent) {
        return finish(sent.error().message);
    }
    auto ready = wait_for(**tab, "session:ready", deadline, scene);
    if (!ready) {
        return finish("the session did not start: " + ready.error().message);
    }
    const std::string session_id = ready->value("session_id", "");
    if (ready->contains("scene") && !(*ready)["scene"].is_null()) {
        scene = (*ready)["scene"];
    }
    if (auto sent = (*tab)->send(envelope("message:send", "turn", {{"text", task.prompt}}).dump()); !sent) {
        return finish(sent.error().message);
    }
    auto complete = wait_for(**tab, "agent:complete", deadline, scene, [&run](const json& message) {
        if (message.value("type", "") == "agent:tool_result" &&
            !message.value("payload", json::object()).value("ok", true)) {
            ++run.tool_errors;
        }
    });
    if (!complete) {
        (void)(*tab)->send(envelope("agent:cancel", "cancel", json::object()).dump()); // best effort; the run failed
        return finish("the turn did not complete: " + complete.error().message);
    }
    run.steps = complete->value("steps", 0);
    run.tool_calls = complete->value("tool_calls", 0);
    const auto usage = complete->value("usage", json::object());
    run.usage = {usage.value("input_tokens", std::int64_t{0}), usage.value("cached_input_tokens", std::int64_t{0}),
                 usage.value("cache_write_input_tokens", std::int64_t{0}),
                 usage.value("output_tokens", std::int64_t{0})};
    // The turn's last scene: a re-attach answers with the summary the hub holds now, which the
    // turn's commit (a save the engine runs after its last scene/changed) follows.
    if (auto sent = (*tab)->send(
            envelope("session:start", "reattach", {{"project_id", run.project_id}, {"session_id", session_id}}).dump());
        sent) {
        if (auto again = wait_for(**tab, "session:ready", deadline, scene);
            again && again->contains("scene") && !(*again)["scene"].is_null()) {
            scene = (*again)["scene"];
        }
    }
    run.checks = agent::check_eval_result(task, scene, read_renders(hub, run.project_id));
    if (!complete->value("ok", false)) {
        const auto error = complete->value("error", json::object());
        run.checks.push_back({"turn finished", false, error.value("message", "the turn did not finish")});
    }
    run.passed = std::all_of(run.checks.begin(), run.checks.end(), [](const auto& check) { return check.passed; });
    (void)(*tab)->send(
        envelope("session:end", "end", json::object()).dump()); // the hub ends it anyway when the tab goes
    (*tab)->close();
    return finish("");
}

json to_json(const TaskRun& run) {
    json checks = json::array();
    for (const auto& check : run.checks) {
        checks.push_back({{"check", check.check}, {"passed", check.passed}, {"detail", check.detail}});
    }
    return {{"task", run.id},
            {"project_id", run.project_id},
            {"passed", run.passed && run.error.empty()},
            {"error", run.error},
            {"steps", run.steps},
            {"tool_calls", run.tool_calls},
            {"tool_errors", run.tool_errors},
            {"usage", agent::to_json(run.usage)},
            {"wall_s", run.wall_s},
            {"checks", checks}};
}

void print_table(const std::vector<TaskRun>& runs) {
    std::printf("%-28s %-6s %5s %11s %9s %9s %8s %8s\n", "task", "result", "steps", "tool errors", "input", "cached",
                "output", "wall s");
    for (const auto& run : runs) {
        std::printf("%-28s %-6s %5d %11d %9lld %9lld %8lld %8.1f\n", run.id.c_str(),
                    run.passed && run.error.empty() ? "PASS" : "FAIL", run.steps, run.tool_errors,
                    static_cast<long long>(run.usage.input_tokens),
                    static_cast<long long>(run.usage.cached_input_tokens),
                    static_cast<long long>(run.usage.output_tokens), run.wall_s);
    }
    for (const auto& run : runs) {
        if (!run.error.empty()) {
            std::printf("\n%s: %s\n", run.id.c_str(), run.error.c_str());
        }
        for (const auto& check : run.checks) {
            if (!check.passed) {
                std::printf("\n%s: FAILED %s: %s", run.id.c_str(), check.check.c_str(), check.detail.c_str());
            }
        }
    }
    std::printf("\n");
    std::fflush(stdout);
}

} // namespace

int eval_command(const Config& config, const EvalOptions& options) {
    const HubAddress address = hub_address(config, options.url, options.token);
    const std::string& url = address.url;
    const std::string& token = address.token;
    if (token.empty()) {
        std::fprintf(stderr,
                     "atelier eval: no token: pass --token, set ATELIER_TOKEN, or run the hub once so that "
                     "%s/token exists\n",
                     config.data_dir.c_str());
        return 2;
    }
    auto tasks = agent::load_eval_tasks(options.tasks);
    if (!tasks) {
        std::fprintf(stderr, "atelier eval: %s\n", tasks.error().message.c_str());
        return 2;
    }
    std::vector<agent::EvalTask> selected;
    for (const auto& id : options.only) {
        if (std::none_of(tasks->begin(), tasks->end(), [&id](const auto& task) { return task.id == id; })) {
            std::fprintf(stderr, "atelier eval: no task '%s' in %s\n", id.c_str(), options.tasks.c_str());
            return 2;
        }
    }
    for (auto& task : *tasks) {
        if (options.only.empty() ||
            std::find(options.only.begin(), options.only.end(), task.id) != options.only.end()) {
            selected.push_back(std::move(task));
        }
    }
    Hub hub(url, token);
    if (auto health = hub.http("GET", "/api/health"); !health || health->status != 200) {
        std::fprintf(stderr, "atelier eval: no hub at %s: %s\n", url.c_str(),
                     health ? fmt::format("HTTP {}", health->status).c_str() : health.error().message.c_str());
        return 2;
    }
    std::vector<TaskRun> runs;
    json results = json::array();
    for (const auto& task : selected) {
        std::fprintf(stderr, "atelier eval: %s …\n", task.id.c_str());
        runs.push_back(run_task(hub, task));
        results.push_back(to_json(runs.back()));
    }
    print_table(runs);
    if (!options.json_out.empty()) {
        std::ofstream out(options.json_out);
        out << json{{"hub", url}, {"tasks", results}}.dump(2) << "\n";
        if (!out) {
            std::fprintf(stderr, "atelier eval: cannot write %s\n", options.json_out.c_str());
            return 2;
        }
    }
    const bool all =
        std::all_of(runs.begin(), runs.end(), [](const auto& run) { return run.passed && run.error.empty(); });
    return all ? 0 : 1;
}

} // namespace atelier::app
