#pragma once

#include <filesystem>

#include "sessions/engine_starter.h"

namespace atelier::app {

/// Starts engines for sessions with the local launcher (child processes, optionally under
/// bubblewrap). `hub_socket`: the hub's Unix socket for sandboxed engines, if any;
/// `data_dir` is hidden inside sandboxes.
[[nodiscard]] sessions::EngineStarter make_engine_starter(std::filesystem::path hub_socket = {},
                                                          std::filesystem::path data_dir = {});

} // namespace atelier::app
