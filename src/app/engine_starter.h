// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>

#include "core/config.h"
#include "engines/launcher_registry.h"
#include "engines/running_engine.h"

namespace atelier::app {

/// The launchers the hub knows, one line each: local, docker, kubernetes.
[[nodiscard]] engines::LauncherRegistry launcher_registry();

/// This hub's id for container and Pod labels: stable across restarts of the same hub (hostname
/// and data dir), so a restarted hub finds and removes what its crashed predecessor left.
[[nodiscard]] std::string hub_id(const std::string& data_dir);

/// Starts engines for sessions with each kind's launcher (`launcher = "local" | "docker" |
/// "kubernetes"`). Container and Pod launchers are created at once, so leftovers of a crashed run
/// are reaped at start; one that cannot be created (no Docker daemon yet) is retried at its kind's
/// next launch, which fails with the reason until then.
[[nodiscard]] engines::EngineStarter make_engine_starter(const Config& config);

} // namespace atelier::app
