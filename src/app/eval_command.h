// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace atelier::app {

/// `atelier eval` (docs/agent.md): runs the creative task suite against a running hub's agent
/// (whatever model that hub is configured with), each task in a fresh project, checks each
/// result from the scene summary and the renders, and prints a table. The hub is reached like
/// `atelier mcp` reaches it: --url, else ATELIER_URL, else the configured host and port; --token,
/// else ATELIER_TOKEN, else `<data_dir>/token`.
struct EvalOptions {
    std::string url;
    std::string token;
    std::string tasks = "eval/tasks"; ///< a directory of task files, or one file
    std::vector<std::string> only;    ///< task ids to run; empty: all
    std::string json_out;             ///< also write the results here as JSON
};

/// Returns the exit status: 0 every task passed, 1 some failed, 2 the suite could not run.
[[nodiscard]] int eval_command(const Config& config, const EvalOptions& options);

} // namespace atelier::app
