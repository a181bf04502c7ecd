// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace atelier {

/// One `[engines.NAME]` table of the config file: how the hub starts an engine of that kind.
struct EngineKindConfig {
    std::vector<std::string> command;
    std::int64_t pool = 0;
    bool sandbox = false;
    std::string template_dir;
    /// Which launcher starts it: "local" (a child process), "docker" (a container per session) or
    /// "kubernetes" (a Pod per session). The rest applies to docker and kubernetes only.
    std::string launcher = "local";
    std::string image;
    std::int64_t memory_bytes = 0;                ///< `memory`: 0 is no limit
    double cpus = 0;                              ///< 0 is no limit
    std::int64_t pids = 0;                        ///< 0 is no limit
    std::vector<std::string> mounts;              ///< docker: host paths bound read-only at the same path
    bool host_usr = false;                        ///< docker: bind the host's /usr read-only (scripts/engine_image.sh)
    std::string kubernetes_namespace = "default"; ///< `namespace`
    std::string kubeconfig;                       ///< empty: the in-cluster service account
    std::int64_t active_deadline_seconds = 0;     ///< 0: none
    std::string volume_claim;                     ///< kubernetes: the RWX claim holding the data dir; empty: hostPath
    std::string engine_hub_url;                   ///< `hub_url`: the /ws/engine URL engines dial; empty: the hub's own
    /// Where files brought into a project of this kind go (uploads by the agent, imports, the asset
    /// library): empty means the default, `public` for remotion and `assets` for everything else.
    std::string assets_dir;
};

/// Everything `atelier serve` can be told. Defaults here; docs/operations.md lists each option.
struct Config {
    std::string host = "127.0.0.1";
    std::int64_t port = 8420;
    std::string data_dir;     // empty until resolved: $XDG_DATA_HOME/atelier or ~/.local/share/atelier
    std::string database;     // empty: SQLite atelier.db in the data dir; else a postgres:// URL
    std::string web_root;     // empty until resolved: the install layout's web app (core/install_layout.h)
    std::int64_t threads = 0; // 0: one per core
    std::string log_level = "info";
    std::string log_format = "text";
    std::int64_t max_body_bytes = 1 << 20;
    std::int64_t max_header_bytes = 16 << 10;
    std::int64_t ws_max_text_bytes = 1 << 20;
    std::int64_t ws_max_binary_bytes = 8 << 20;
    std::int64_t ws_send_queue_bytes = 4 << 20;
    std::int64_t max_connections = 0;             // 0: the open-file limit minus a reserve
    std::int64_t max_connections_per_address = 0; // 0: 512, loopback addresses exempt
    double http_idle_timeout_s = 30;
    double ws_idle_timeout_s = 60;
    double shutdown_drain_s = 5;
    double sse_heartbeat_s = 15;
    double engine_call_timeout_s = 60;
    double engine_hello_timeout_s = 10;
    double session_grace_s = 30;
    double mcp_idle_timeout_s = 3600;
    std::int64_t engine_max_attempts = 5;
    bool bench_endpoints = false;
    std::string engine_socket;           // empty: <data_dir>/engine.sock when an engine kind is sandboxed, else none
    std::string model_provider = "none"; // "none", "anthropic" or "openai"
    std::string model_name;
    std::string model_base_url;    // empty: the provider's public API
    std::string model_api_key_env; // empty: ANTHROPIC_API_KEY or OPENAI_API_KEY, by provider
    std::int64_t model_max_tokens = 4096;
    double model_temperature = -1; // below 0: the provider's default
    double model_timeout_s = 300;
    std::int64_t model_retries = 2;
    std::int64_t agent_max_steps = 24;
    std::int64_t agent_tool_retries = 2;
    std::int64_t agent_context_tokens = 100'000;
    std::map<std::string, EngineKindConfig> engines;
    std::string docker_socket = "/var/run/docker.sock";  ///< the Docker Engine API, for launcher = "docker"
    std::string assets_library;                          // empty until resolved: the install layout's assets/library
    std::int64_t upload_bytes = std::int64_t{512} << 20; // PUT /api/projects/{id}/files/{path}, streamed to disk
    bool webrtc_enabled = true;                          // [webrtc]: the viewport as WebRTC video (docs/viewport.md)
    std::string webrtc_helper;                           // empty: atelier-rtc beside the atelier binary, else on PATH
    std::string webrtc_ice_servers;                      // comma-separated stun:/turn: URLs
    std::int64_t webrtc_bitrate_kbps = 1500;
    bool webrtc_frame_counter = false;
    std::string webrtc_local_addresses; // comma-separated IPs for host candidates; empty: every interface
    std::string projects_dir;           // empty until resolved: <data_dir>/projects
    std::string renders_dir;            // empty until resolved: <data_dir>/renders
    std::string hub_url;                // empty: no cluster; else http://HOST:PORT other hubs reach this one at
    double cluster_lease_s = 10;        // a live project's lease lasts this long without renewal
};

enum class OptionType { String, Integer, Bytes, Seconds, Number, Boolean, Choice };

/// Declares one option once; the TOML key, the flag, the environment variable, `--help` and the
/// docs all come from this table (config.cpp).
struct OptionSpec {
    std::string_view key;  ///< TOML key, dotted for tables: "limits.body_bytes"
    std::string_view flag; ///< without dashes: "max-body-bytes"
    std::string_view env;  ///< "ATELIER_MAX_BODY_BYTES"
    OptionType type;
    std::string_view help;
    std::variant<std::string Config::*, std::int64_t Config::*, double Config::*, bool Config::*> field;
    double minimum = 0;
    double maximum = 0; ///< ignored when equal to minimum
    std::vector<std::string_view> choices = {};
};

[[nodiscard]] const std::vector<OptionSpec>& config_options();

/// Where a configuration comes from; later sources win: defaults < file < environment < flags.
struct ConfigSources {
    std::optional<std::filesystem::path> file;
    std::map<std::string, std::string> environment; ///< variable → value (others are ignored)
    std::map<std::string, std::string> flags;       ///< OptionSpec::key → value as typed
    /// The `atelier` binary the install layout is found from; empty: this process (/proc/self/exe).
    std::filesystem::path executable;
};

/// Reads and checks a configuration. A file without an `[engines]` table (or no file) gets the
/// built-in engine kinds of the install layout (default_engine_kinds); a file that names engine
/// kinds names all of them. The error message is one line naming the key and the reason.
[[nodiscard]] Result<Config> load_config(const ConfigSources& sources);

/// The current value of an option, as text (for `--help` defaults and diagnostics).
[[nodiscard]] std::string option_value_text(const Config& config, const OptionSpec& spec);

/// The process environment as a map (only `ATELIER_*` variables).
[[nodiscard]] std::map<std::string, std::string> atelier_environment();

} // namespace atelier
