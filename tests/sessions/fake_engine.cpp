// SPDX-License-Identifier: Apache-2.0
#include "fake_engine.h"

#include <fstream>

#include "net/http_types.h"

namespace atelier::sessions::testing {
namespace {

const nlohmann::json kManifest = nlohmann::json::parse(R"({
  "addon_info": {"id": "scene", "name": "Scene", "version": "1.0.0", "author": "atelier tests",
                 "category": "modeling", "description": "A scene of named objects"},
  "ai_integration": {
    "agent_description": "Create and list named objects.",
    "tools": [
      {"name": "create_object", "description": "Add an object",
       "parameters": [{"name": "name", "type": "string", "required": true, "description": "Unique name"}]},
      {"name": "list_objects", "description": "List the objects", "mutates": false, "parameters": []}
    ]
  }
})");

std::atomic<std::uint64_t> g_connection_ids{1'000'000};

} // namespace

// The engine's end of its WebSocket, in memory: what the hub sends reaches the engine's thread.
class FakeEngine::Connection final : public net::WebSocketConnection {
public:
    explicit Connection(std::weak_ptr<FakeEngine> engine) : m_engine(std::move(engine)) {}

    void send_text(std::string message) override {
        if (auto engine = m_engine.lock()) {
            engine->m_thread.post([weak = m_engine, message = std::move(message)] {
                if (auto alive = weak.lock()) {
                    alive->receive(message);
                }
            });
        }
    }
    void send_binary(std::string /*message*/) override {}
    void close(std::uint16_t code, std::string /*reason*/) override {
        // The hub hangs up: the engine sees its connection end, as a real one would, and exits.
        if (auto engine = m_engine.lock()) {
            engine->m_thread.post([weak = m_engine, code] {
                if (auto alive = weak.lock()) {
                    alive->exited("exit code 0", code);
                }
            });
        }
    }
    [[nodiscard]] std::uint64_t id() const override { return m_id; }
    [[nodiscard]] const net::HttpRequest& request() const override { return m_request; }

private:
    std::weak_ptr<FakeEngine> m_engine;
    std::uint64_t m_id = ++g_connection_ids;
    net::HttpRequest m_request;
};

FakeEngine::FakeEngine(engines::EngineDirectory& directory, engines::EngineLaunch launch, int number)
    : m_directory(directory), m_launch(std::move(launch)), m_number(number), m_workdir(m_launch.workdir),
      m_thread("fake-engine-" + std::to_string(number)) {}

FakeEngine::~FakeEngine() {
    m_thread.stop();
}

void FakeEngine::start() {
    m_connection = std::make_shared<Connection>(weak_from_this());
    m_thread.post([self = shared_from_this()] {
        self->load_scene();
        self->m_directory.on_open(self->m_connection);
        self->send({{"jsonrpc", "2.0"},
                    {"id", 1},
                    {"method", "engine/hello"},
                    {"params",
                     {{"token", self->m_launch.env.at("ATELIER_ENGINE_TOKEN")},
                      {"kind", self->m_launch.kind},
                      {"version", "1.0.0"},
                      {"protocol", 1},
                      {"instructions", "A fake engine: objects are names in scene.txt."}}}});
        self->send({{"jsonrpc", "2.0"}, {"method", "tools/update"}, {"params", {{"addons", {kManifest}}}}});
        self->send({{"jsonrpc", "2.0"}, {"method", "scene/changed"}, {"params", {{"summary", self->summary()}}}});
    });
}

void FakeEngine::send(const nlohmann::json& message) {
    {
        const std::lock_guard lock(m_mutex);
        if (m_exited) {
            return;
        }
    }
    m_directory.on_text(m_connection, message.dump());
}

void FakeEngine::receive(const std::string& text) {
    const auto message = nlohmann::json::parse(text, nullptr, false);
    if (!message.is_object() || !message.contains("method") || !message.contains("id")) {
        return; // the answer to our hello, or a notification (viewport/camera): nothing to do
    }
    {
        const std::lock_guard lock(m_mutex);
        if (m_exited) {
            return;
        }
        ++m_received[message["method"].get<std::string>()];
        if (message["method"] == "tools/call" && m_hold) {
            m_held.push_back(message);
            ++m_changes;
            m_changed.notify_all();
            return;
        }
    }
    handle(message);
    changed();
}

void FakeEngine::handle(const nlohmann::json& request) {
    const std::string method = request["method"];
    const auto& id = request["id"];
    const nlohmann::json params = request.value("params", nlohmann::json::object());
    if (method == "tools/call") {
        return answer_call(request);
    }
    if (method == "project/save") {
        {
            // Written and closed before the answer: the hub commits the file as soon as it hears.
            std::ofstream scene(m_workdir / "scene.txt", std::ios::trunc);
            for (const auto& name : objects()) {
                scene << name << "\n";
            }
        }
        return send({{"jsonrpc", "2.0"}, {"id", id}, {"result", {{"files", {"scene.txt"}}}}});
    }
    if (method == "project/open") {
        {
            const std::lock_guard lock(m_mutex);
            m_workdir = params.value("workdir", m_workdir.string());
        }
        load_scene();
        send({{"jsonrpc", "2.0"}, {"id", id}, {"result", {{"opened", m_workdir.string()}}}});
        return send({{"jsonrpc", "2.0"}, {"method", "scene/changed"}, {"params", {{"summary", summary()}}}});
    }
    if (method == "engine/shutdown" || method == "viewport/configure") {
        return send({{"jsonrpc", "2.0"}, {"id", id}, {"result", nlohmann::json::object()}});
    }
    send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", -32601}, {"message", "unknown method " + method}}}});
}

void FakeEngine::answer_call(const nlohmann::json& request) {
    const auto& id = request["id"];
    const auto params = request.value("params", nlohmann::json::object());
    const std::string tool = params.value("name", "");
    const auto arguments = params.value("arguments", nlohmann::json::object());
    if (tool == "create_object") {
        const std::string name = arguments.value("name", "");
        {
            const std::lock_guard lock(m_mutex);
            m_objects.insert(name);
        }
        const auto scene = summary();
        send({{"jsonrpc", "2.0"},
              {"id", id},
              {"result",
               {{"content", {{{"type", "text"}, {"text", "created " + name}}}}, {"data", scene}, {"scene", scene}}}});
        return send({{"jsonrpc", "2.0"}, {"method", "scene/changed"}, {"params", {{"summary", scene}}}});
    }
    const auto scene = summary();
    send({{"jsonrpc", "2.0"},
          {"id", id},
          {"result", {{"content", {{{"type", "text"}, {"text", scene.dump()}}}}, {"data", scene}}}});
}

void FakeEngine::load_scene() {
    std::set<std::string> loaded;
    std::filesystem::path workdir;
    {
        const std::lock_guard lock(m_mutex);
        workdir = m_workdir;
    }
    std::ifstream scene(workdir / "scene.txt");
    for (std::string line; std::getline(scene, line);) {
        if (!line.empty()) {
            loaded.insert(line);
        }
    }
    {
        const std::lock_guard lock(m_mutex);
        m_objects = std::move(loaded);
    }
    changed();
}

nlohmann::json FakeEngine::summary() const {
    nlohmann::json names = nlohmann::json::array();
    for (const auto& name : objects()) {
        names.push_back({{"name", name}});
    }
    return {{"objects", names}};
}

void FakeEngine::hold_calls() {
    const std::lock_guard lock(m_mutex);
    m_hold = true;
}

void FakeEngine::release_calls() {
    std::vector<nlohmann::json> held;
    {
        const std::lock_guard lock(m_mutex);
        m_hold = false;
        held.swap(m_held);
    }
    for (auto& request : held) {
        m_thread.post([weak = weak_from_this(), request = std::move(request)] {
            if (auto self = weak.lock()) {
                self->answer_call(request);
                self->changed();
            }
        });
    }
}

void FakeEngine::crash() {
    m_thread.post([weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->exited("exit code 1", 1006);
        }
    });
}

void FakeEngine::stop() {
    if (m_thread.on_worker()) {
        return exited("killed by signal 15 (SIGTERM)", 1006);
    }
    m_thread.post([weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->exited("killed by signal 15 (SIGTERM)", 1006);
        }
    });
    (void)wait_until([](const FakeEngine& engine) { return engine.stopped(); });
}

void FakeEngine::exited(const std::string& status, std::uint16_t close_code) {
    std::vector<std::function<void(const std::string&)>> callbacks;
    {
        const std::lock_guard lock(m_mutex);
        if (m_exited) {
            return;
        }
        m_exited = true;
        m_held.clear();
        callbacks.swap(m_exit_callbacks);
    }
    m_directory.on_close(m_connection, net::CloseInfo{close_code, "the fake engine exited"});
    for (const auto& callback : callbacks) {
        callback(status);
    }
    changed();
}

void FakeEngine::on_exit(std::function<void(const std::string&)> callback) {
    {
        const std::lock_guard lock(m_mutex);
        if (!m_exited) {
            m_exit_callbacks.push_back(std::move(callback));
            return;
        }
    }
    callback("exit code 1"); // already gone: at once, on the caller's thread (EngineProcess::on_exit)
}

void FakeEngine::changed() {
    const std::lock_guard lock(m_mutex);
    ++m_changes;
    m_changed.notify_all();
}

std::set<std::string> FakeEngine::objects() const {
    const std::lock_guard lock(m_mutex);
    return m_objects;
}

bool FakeEngine::stopped() const {
    const std::lock_guard lock(m_mutex);
    return m_exited;
}

std::size_t FakeEngine::held_calls() const {
    const std::lock_guard lock(m_mutex);
    return m_held.size();
}

int FakeEngine::received(const std::string& method) const {
    const std::lock_guard lock(m_mutex);
    const auto it = m_received.find(method);
    return it == m_received.end() ? 0 : it->second;
}

bool FakeEngine::wait_until(const std::function<bool(const FakeEngine&)>& predicate) const {
    // The predicate reads the engine through its own locking accessors, so it runs unlocked; the
    // condition variable is only the wake-up; the change counter makes sure none is missed.
    const auto deadline = std::chrono::steady_clock::now() + kEventDeadline;
    std::unique_lock lock(m_mutex);
    while (true) {
        const auto seen = m_changes;
        lock.unlock();
        if (predicate(*this)) {
            return true;
        }
        lock.lock();
        if (!m_changed.wait_until(lock, deadline, [&] { return m_changes != seen; })) {
            lock.unlock();
            return predicate(*this);
        }
    }
}

namespace {

// What a session holds of a fake engine: engines::RunningEngine over it.
class FakeProcess final : public engines::RunningEngine {
public:
    explicit FakeProcess(std::shared_ptr<FakeEngine> engine) : m_engine(std::move(engine)) {}
    ~FakeProcess() override { m_engine->stop(); }
    void stop(std::chrono::milliseconds /*grace*/) override { m_engine->stop(); }
    [[nodiscard]] std::string log_tail() override { return "fake engine " + std::to_string(m_engine->number()); }
    [[nodiscard]] int pid() const override { return 0; }
    void on_exit(std::function<void(const std::string&)> callback) override { m_engine->on_exit(std::move(callback)); }

private:
    std::shared_ptr<FakeEngine> m_engine;
};

} // namespace

engines::EngineStarter FakeLauncher::starter() {
    return [this](const engines::EngineLaunch& launch) -> Result<std::unique_ptr<engines::RunningEngine>> {
        std::shared_ptr<FakeEngine> engine;
        {
            const std::lock_guard lock(m_mutex);
            ++m_attempts;
            if (m_failures_to_come > 0) {
                --m_failures_to_come;
                m_launched.notify_all();
                return fail(ErrorCode::Unavailable, "fake launcher: this launch was told to fail");
            }
            engine = std::make_shared<FakeEngine>(m_directory, launch, static_cast<int>(m_engines.size()));
            m_engines.push_back(engine);
            m_launched.notify_all();
        }
        engine->start();
        return std::make_unique<FakeProcess>(engine);
    };
}

void FakeLauncher::fail_next(int count) {
    const std::lock_guard lock(m_mutex);
    m_failures_to_come = count;
}

int FakeLauncher::launches() const {
    const std::lock_guard lock(m_mutex);
    return static_cast<int>(m_engines.size());
}

int FakeLauncher::attempts() const {
    const std::lock_guard lock(m_mutex);
    return m_attempts;
}

std::shared_ptr<FakeEngine> FakeLauncher::engine(std::size_t index) const {
    std::unique_lock lock(m_mutex);
    if (!m_launched.wait_for(lock, kEventDeadline, [&] { return m_engines.size() > index; })) {
        return nullptr;
    }
    return m_engines[index];
}

void FakeLauncher::stop_all() {
    std::vector<std::shared_ptr<FakeEngine>> engines;
    {
        const std::lock_guard lock(m_mutex);
        engines = m_engines;
    }
    for (const auto& engine : engines) {
        engine->stop();
    }
}

} // namespace atelier::sessions::testing
