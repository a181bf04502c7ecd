// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers shared by the launcher tests.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "engines/engine_launcher.h"

namespace atelier::engines::testing {

/// Polls `condition` every 5 ms until it holds or `timeout` passes; returns its last value.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Waits for the process to exit by itself.
bool wait_exit(const EngineProcess& process, std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// True when `pid` is gone or a zombie (dead, waiting for whoever inherited it).
bool process_dead(pid_t pid);

/// Processes of group `group` that are not zombies.
std::vector<pid_t> live_group_members(pid_t group);

/// The whole content of a file ("" if absent).
std::string read_file(const std::filesystem::path& path);

/// A spec that runs `sh -c script` in `workdir`, logging to workdir/../engine.log.
LaunchSpec shell(const std::string& script, const std::filesystem::path& workdir);

} // namespace atelier::engines::testing
