// SPDX-License-Identifier: Apache-2.0
#include "session_harness.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/ids.h"

namespace atelier::sessions::testing {
namespace {

const store::CommitAuthor kAuthor{"tester", "tester@atelier.local"};

} // namespace

SessionHarness::SessionHarness() : dir(std::filesystem::temp_directory_path() / ("atelier-sessions-" + new_uuid())) {
    std::filesystem::create_directories(dir);
    auto opened = store::open_sqlite_store(dir);
    if (!opened) {
        ADD_FAILURE() << "cannot open the store: " << opened.error().message;
        return;
    }
    store = std::move(*opened);
    repos.emplace(dir);
    directory.emplace(tokens, engine_timers, engines::EngineDirectory::Options{});
    workers.emplace("test-work", 2);
    pool_worker.emplace("test-pool");
    launcher.emplace(*directory);
    auto user = store->create_user(store::NewUser{"tester", std::nullopt, store::UserRole::Member});
    if (!user) {
        ADD_FAILURE() << "cannot create the user: " << user.error().message;
        return;
    }
    user_id = user->id;

    SessionOptions options;
    options.grace = kGrace;
    options.sessions_dir = dir / "sessions";
    options.renders_dir = dir / "renders";
    options.hub_url = "ws://127.0.0.1:1/ws/engine";
    options.kinds["fake"] = EngineKindConfig{.command = {"fake-engine"}};
    options.max_attempts = kMaxAttempts;
    options.backoff_base = std::chrono::milliseconds(100);
    options.backoff_cap = kBackoffCap;
    manager = std::make_shared<SessionManager>(SessionManager::Deps{*store, *repos, locks, *directory, tokens, clock,
                                                                    *workers, *pool_worker, launcher->starter()},
                                               options);
    manager->attach();
}

SessionHarness::~SessionHarness() {
    if (manager) {
        manager->shutdown(std::chrono::seconds(10));
    }
    workers->stop();
    pool_worker->stop();
    launcher->stop_all();
    manager.reset();
    launcher.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

std::shared_ptr<FakeClient> SessionHarness::client(ClientInfo info) {
    return std::make_shared<FakeClient>(m_next_client++, std::move(info));
}

std::string SessionHarness::create_project() {
    auto project = store->create_project(user_id, store::NewProject{"project", "fake"});
    if (!project) {
        ADD_FAILURE() << "cannot create the project: " << project.error().message;
        return {};
    }
    auto repo = repos->create(project->id, std::nullopt, kAuthor, "Create project");
    if (!repo) {
        ADD_FAILURE() << "cannot create the repository: " << repo.error().message;
        return {};
    }
    auto revision = repo->resolve("HEAD");
    EXPECT_TRUE(revision.has_value());
    EXPECT_TRUE(store->add_version(user_id, project->id, {*revision, "Create project", "tester"}).has_value());
    return project->id;
}

void SessionHarness::start(const std::shared_ptr<FakeClient>& client, const std::string& project_id) {
    manager->start(user_id, project_id, {}, client, "start-" + std::to_string(client->id()), client->info());
}

std::optional<SessionEvent> SessionHarness::start_ready(const std::shared_ptr<FakeClient>& client,
                                                        const std::string& project_id) {
    const auto from = client->received();
    start(client, project_id);
    return client->wait_for("session:ready", {}, from);
}

void SessionHarness::send_create_object(const std::shared_ptr<FakeClient>& client, const std::string& name) {
    manager->command(user_id, {}, "scene__create_object", {{"name", name}}, client, "create-" + name);
}

std::optional<SessionEvent> SessionHarness::create_object(const std::shared_ptr<FakeClient>& client,
                                                          const std::string& name) {
    const auto from = client->received();
    send_create_object(client, name);
    return client->wait_for(
        "command:result", [&](const SessionEvent& event) { return event.re == "create-" + name; }, from);
}

std::set<std::string> SessionHarness::objects_at(const std::string& project_id, const std::string& revision) {
    auto repo = repos->open(project_id);
    if (!repo) {
        ADD_FAILURE() << repo.error().message;
        return {};
    }
    auto text = repo->read_file(revision, "scene.txt");
    std::set<std::string> names;
    if (!text) {
        return names; // no scene saved yet
    }
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) {
            names.insert(line);
        }
    }
    return names;
}

std::string SessionHarness::head(const std::string& project_id) {
    auto repo = repos->open(project_id);
    if (!repo) {
        return {};
    }
    auto revision = repo->resolve("HEAD");
    return revision ? *revision : std::string();
}

void SessionHarness::commit_elsewhere(const std::string& project_id, const std::string& path,
                                      const std::string& content) {
    const auto source = dir / ("upload-" + new_uuid());
    std::ofstream(source) << content;
    const auto lock = locks.lock(project_id);
    auto repo = repos->open(project_id);
    ASSERT_TRUE(repo.has_value());
    const auto base = repo->resolve("HEAD");
    ASSERT_TRUE(base.has_value());
    auto outcome = repo->commit_files({store::FileEdit{path, source}}, kAuthor, "upload " + path, *base);
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
    ASSERT_TRUE(store->add_version(user_id, project_id, {outcome->revision, "upload " + path, "tester"}).has_value());
}

void SessionHarness::restore(const std::string& project_id, const std::string& revision) {
    {
        const auto lock = locks.lock(project_id);
        auto repo = repos->open(project_id);
        ASSERT_TRUE(repo.has_value());
        auto restored = repo->restore(revision, kAuthor, "");
        ASSERT_TRUE(restored.has_value()) << restored.error().message;
        ASSERT_TRUE(store->add_version(user_id, project_id, {*restored, "restore", "tester"}).has_value());
    }
    manager->project_restored(user_id, project_id);
}

} // namespace atelier::sessions::testing
