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
};

/// Everything `atelier serve` can be told. Defaults here; docs/operations.md lists each option.
struct Config {
    std::string host = "127.0.0.1";
    std::int64_t port = 8420;
    std::string data_dir;     // empty until resolved: $XDG_DATA_HOME/atelier or ~/.local/share/atelier
    std::string database;     // empty: SQLite atelier.db in the data dir; else a postgres:// URL
    std::string web_root;     // empty until resolved: <source>/web/dist
    std::int64_t threads = 0; // 0: one per core
    std::string log_level = "info";
    std::string log_format = "text";
    std::int64_t max_body_bytes = 1 << 20;
    std::int64_t max_header_bytes = 16 << 10;
    std::int64_t ws_max_text_bytes = 1 << 20;
    std::int64_t ws_max_binary_bytes = 8 << 20;
    std::int64_t ws_send_queue_bytes = 4 << 20;
    std::int64_t max_connections = 0; // 0: the open-file limit minus a reserve
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
    std::int64_t upload_bytes = std::int64_t{512} << 20; // PUT /api/projects/{id}/files/{path}, streamed to disk
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
};

/// Reads and checks a configuration. The error message is one line naming the key and the reason.
[[nodiscard]] Result<Config> load_config(const ConfigSources& sources);

/// The current value of an option, as text (for `--help` defaults and diagnostics).
[[nodiscard]] std::string option_value_text(const Config& config, const OptionSpec& spec);

/// The process environment as a map (only `ATELIER_*` variables).
[[nodiscard]] std::map<std::string, std::string> atelier_environment();

} // namespace atelier
