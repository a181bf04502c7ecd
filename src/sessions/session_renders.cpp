// SPDX-License-Identifier: Apache-2.0
// SessionManager, the renders side: engines write renders into `renders/` (and exports into
// `exports/`) of their working tree, which are not committed (large, reproducible). While a session runs they are
// served from there; when it stops (ended, or lost for good) they move to <data>/renders/<project-id>/, so a project's
// renders outlive its sessions (GET /api/projects/{id}/renders, src/api/renders_api).

#include <spdlog/spdlog.h>

#include "sessions/session_manager.h"
#include "sessions/session_text.h"

namespace atelier::sessions {

namespace fs = std::filesystem;

void SessionManager::keep_renders(const Session& session) {
    std::error_code error;
    if (m_options.renders_dir.empty() || !m_deps.store.get_project(session.user_id, session.project_id)) {
        return; // nothing to keep, or the project was deleted (its renders go with it)
    }
    // renders/ into <data>/renders/<project>/, exports/ into its exports/ folder.
    const fs::path kept = m_options.renders_dir / session.project_id;
    for (const auto& [from, to] :
         {std::pair{session.workdir / "renders", kept}, std::pair{session.workdir / "exports", kept / "exports"}}) {
        if (!fs::is_directory(from, error)) {
            continue;
        }
        fs::create_directories(to, error);
        if (error) {
            spdlog::warn("session {} (project {}): outputs stay in {}: cannot create {}: {}", short_id(session.id),
                         short_id(session.project_id), from.string(), to.string(), error.message());
            continue;
        }
        int moved = 0;
        for (const auto& entry : fs::directory_iterator(from, error)) {
            if (!entry.is_regular_file()) {
                continue;
            }
            fs::rename(entry.path(), to / entry.path().filename(), error); // same file system: a move
            if (error) {
                fs::copy_file(entry.path(), to / entry.path().filename(), fs::copy_options::overwrite_existing, error);
            }
            if (error) {
                spdlog::warn("session {} (project {}): output {} not kept: {}", short_id(session.id),
                             short_id(session.project_id), entry.path().filename().string(), error.message());
                continue;
            }
            ++moved;
        }
        if (moved > 0) {
            spdlog::info("session {} (project {}): kept {} output(s) in {}", short_id(session.id),
                         short_id(session.project_id), moved, to.string());
        }
    }
}

std::vector<fs::path> SessionManager::render_dirs(const std::string& user_id, const std::string& project_id) const {
    std::vector<fs::path> dirs;
    for (const auto& session : sessions_of(user_id, project_id)) {
        dirs.push_back(session->workdir / "renders");
    }
    if (!m_options.renders_dir.empty()) {
        dirs.push_back(m_options.renders_dir / project_id);
    }
    return dirs;
}

} // namespace atelier::sessions
