// SPDX-License-Identifier: Apache-2.0
// SessionManager, the files side: uploads and deletes (REST) while a project is live. The file goes
// into the session's working tree as one of its operations (so it never lands between a command and
// that command's save), the session commits it with the engine's saved state, and the engine hears
// `project/files_changed {paths}` (Remotion's preview reloads; Blender can import the file).

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sessions/session_manager.h"
#include "sessions/session_text.h"

namespace atelier::sessions {
namespace {

namespace fs = std::filesystem;

/// `path` inside `workdir`, refusing a parent directory that a symlink leads out of the tree.
Result<fs::path> inside(const fs::path& workdir, const std::string& path) {
    const fs::path target = workdir / path;
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    const fs::path root = fs::weakly_canonical(workdir, error);
    const fs::path parent = fs::weakly_canonical(target.parent_path(), error);
    const auto [end, rest] = std::mismatch(root.begin(), root.end(), parent.begin(), parent.end());
    if (error || end != root.end()) {
        return fail(ErrorCode::InvalidArgument, fmt::format("'{}' leads out of the project's working tree", path));
    }
    return target;
}

Result<void> apply_edit(const fs::path& workdir, const store::FileEdit& edit) {
    const fs::path target = ATELIER_TRY(inside(workdir, edit.path));
    std::error_code error;
    if (!edit.source) {
        if (!fs::remove(target, error) || error) {
            return fail(ErrorCode::NotFound, fmt::format("no file {} in the session's working tree", edit.path));
        }
        return {};
    }
    if (fs::is_directory(fs::symlink_status(target, error))) {
        return fail(ErrorCode::InvalidArgument, fmt::format("'{}' is a directory", edit.path));
    }
    fs::rename(*edit.source, target, error); // the upload's temp file: same file system, a move
    if (error) {
        error.clear();
        fs::copy_file(*edit.source, target, fs::copy_options::overwrite_existing, error);
    }
    if (error) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot write {}: {}", edit.path, error.message()));
    }
    return {};
}

} // namespace

bool SessionManager::edit_files(const std::string& user_id, const std::string& project_id,
                                std::vector<store::FileEdit> edits, const std::string& message,
                                std::function<void(Result<std::string>)> done) {
    std::shared_ptr<Session> live;
    for (const auto& session : sessions_of(user_id, project_id)) {
        if (const auto state = session->state();
            state != SessionState::Ending && state != SessionState::Ended && state != SessionState::Lost) {
            live = session;
        }
    }
    if (!live) {
        return false;
    }
    enqueue(live, [weak_self = weak_from_this(), session = live, edits = std::move(edits), message,
                   done = std::move(done)](std::function<void()> next) {
        auto manager = weak_self.lock();
        if (!manager) {
            done(fail(ErrorCode::Unavailable, "the hub is shutting down"));
            return next();
        }
        // File moves and the commit: on the worker, in the project's order.
        manager->m_deps.workers.post(session->project_id, [weak_self, session, edits, message, done, next] {
            auto self = weak_self.lock();
            if (!self) {
                done(fail(ErrorCode::Unavailable, "the hub is shutting down"));
                return next();
            }
            nlohmann::json paths = nlohmann::json::array();
            for (const auto& edit : edits) {
                if (auto applied = apply_edit(session->workdir, edit); !applied) {
                    done(fail(applied.error()));
                    return next();
                }
                paths.push_back(edit.path);
            }
            auto finished = [session, paths, done, next](Result<std::string> revision) {
                const auto link = session->link();
                if (revision && link) {
                    link->notify("project/files_changed", {{"paths", paths}});
                }
                done(std::move(revision));
                next();
            };
            const auto link = session->link();
            spdlog::info("session {} (project {}): {}", short_id(session->id), short_id(session->project_id), message);
            if (!link) {
                // No engine to save right now (starting, reconnecting): the tree is committed as it is.
                return self->commit(session, message, nullptr, finished);
            }
            self->save_and_commit_now(session, message, finished, nullptr);
        });
    });
    return true;
}

} // namespace atelier::sessions
