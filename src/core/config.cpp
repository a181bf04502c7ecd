// SPDX-License-Identifier: Apache-2.0
#include "core/config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/install_layout.h"

extern char** environ;

namespace atelier {
namespace {

// Error messages quote what the user wrote (toml++ quotes the offending bytes of a file, newlines
// and all); control characters are escaped so the error stays one line.
std::string one_line(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
            out += c;
        }
    }
    return out;
}

constexpr double kMiB = 1 << 20;

// The table every other view of the configuration is generated from.
const std::vector<OptionSpec> kOptions{
    {"host", "host", "ATELIER_HOST", OptionType::String, "Address to listen on", &Config::host},
    {"port", "port", "ATELIER_PORT", OptionType::Integer, "TCP port to listen on; 0 picks a free one", &Config::port, 0,
     65535},
    {"data_dir", "data-dir", "ATELIER_DATA_DIR", OptionType::String,
     "Data directory (database, project repos, sessions, token); default $XDG_DATA_HOME/atelier or "
     "~/.local/share/atelier",
     &Config::data_dir},
    {"database", "database", "ATELIER_DATABASE", OptionType::String,
     "Metadata store: empty for SQLite (atelier.db in the data dir) or a postgres:// URL", &Config::database},
    {"web_root", "web-root", "ATELIER_WEB_ROOT", OptionType::String,
     "Directory of the browser app's static files; default: found beside the binary (share/atelier/web installed, "
     "web/dist in a checkout)",
     &Config::web_root},
    {"threads", "threads", "ATELIER_THREADS", OptionType::Integer, "Network threads; 0 means one per core",
     &Config::threads, 0, 256},
    {"log.level",
     "log-level",
     "ATELIER_LOG_LEVEL",
     OptionType::Choice,
     "Log level",
     &Config::log_level,
     0,
     0,
     {"trace", "debug", "info", "warn", "error", "off"}},
    {"log.format",
     "log-format",
     "ATELIER_LOG_FORMAT",
     OptionType::Choice,
     "Log format: human-readable text or one JSON object per line",
     &Config::log_format,
     0,
     0,
     {"text", "json"}},
    {"limits.body_bytes", "max-body-bytes", "ATELIER_MAX_BODY_BYTES", OptionType::Bytes,
     "Largest HTTP request body; larger requests get 413", &Config::max_body_bytes, 1, 1024 * kMiB},
    {"limits.upload_bytes", "max-upload-bytes", "ATELIER_MAX_UPLOAD_BYTES", OptionType::Bytes,
     "Largest file upload (PUT /api/projects/{id}/files/{path}, streamed to disk); larger get 413",
     &Config::upload_bytes, 1, 1024 * 1024 * kMiB},
    {"assets.library", "assets-library", "ATELIER_ASSETS_LIBRARY", OptionType::String,
     "Directory of the local asset library (GET /api/assets; e.g. a folder of Poly Haven downloads); default the "
     "CC0 starter set in assets/library of the source tree",
     &Config::assets_library},
    {"limits.header_bytes", "max-header-bytes", "ATELIER_MAX_HEADER_BYTES", OptionType::Bytes,
     "Largest HTTP request head (request line + headers); larger get 431", &Config::max_header_bytes, 1024, kMiB},
    {"limits.ws_text_bytes", "max-ws-text-bytes", "ATELIER_MAX_WS_TEXT_BYTES", OptionType::Bytes,
     "Largest WebSocket text message; larger close the connection with 1009", &Config::ws_max_text_bytes, 1,
     256 * kMiB},
    {"limits.ws_binary_bytes", "max-ws-binary-bytes", "ATELIER_MAX_WS_BINARY_BYTES", OptionType::Bytes,
     "Largest WebSocket binary message; larger close the connection with 1009", &Config::ws_max_binary_bytes, 1,
     1024 * kMiB},
    {"limits.ws_send_queue_bytes", "ws-send-queue-bytes", "ATELIER_WS_SEND_QUEUE_BYTES", OptionType::Bytes,
     "Text bytes queued for one slow WebSocket client before it is disconnected (1008)", &Config::ws_send_queue_bytes,
     1024, 1024 * kMiB},
    {"limits.connections", "max-connections", "ATELIER_MAX_CONNECTIONS", OptionType::Integer,
     "Open client connections at most; more get 503. 0: the open-file limit minus 512", &Config::max_connections, 0,
     10'000'000},
    {"limits.connections_per_address", "max-connections-per-address", "ATELIER_MAX_CONNECTIONS_PER_ADDRESS",
     OptionType::Integer,
     "Open connections one client address (IPv6: one /64) may hold; more get 503. 0: 512, loopback addresses exempt "
     "(a reverse proxy on the same machine)",
     &Config::max_connections_per_address, 0, 10'000'000},
    {"timeouts.http_idle_s", "http-idle-timeout", "ATELIER_HTTP_IDLE_TIMEOUT", OptionType::Seconds,
     "Seconds an HTTP connection may stay idle or take to send a request", &Config::http_idle_timeout_s, 0.1, 86400},
    {"timeouts.ws_idle_s", "ws-idle-timeout", "ATELIER_WS_IDLE_TIMEOUT", OptionType::Seconds,
     "Seconds without traffic before a WebSocket is pinged, then closed if silent as long again",
     &Config::ws_idle_timeout_s, 0.1, 86400},
    {"timeouts.shutdown_drain_s", "shutdown-drain", "ATELIER_SHUTDOWN_DRAIN", OptionType::Seconds,
     "Seconds to let connections finish after SIGINT/SIGTERM", &Config::shutdown_drain_s, 0, 3600},
    {"timeouts.sse_heartbeat_s", "sse-heartbeat", "ATELIER_SSE_HEARTBEAT", OptionType::Seconds,
     "Seconds between SSE heartbeat comments", &Config::sse_heartbeat_s, 0.1, 3600},
    {"timeouts.engine_call_s", "engine-call-timeout", "ATELIER_ENGINE_CALL_TIMEOUT", OptionType::Seconds,
     "Seconds a tool call may take when its manifest sets no timeout_s", &Config::engine_call_timeout_s, 0.01, 86400},
    {"timeouts.engine_hello_s", "engine-hello-timeout", "ATELIER_ENGINE_HELLO_TIMEOUT", OptionType::Seconds,
     "Seconds an engine has after connecting to say engine/hello", &Config::engine_hello_timeout_s, 0.01, 3600},
    {"timeouts.session_grace_s", "session-grace", "ATELIER_SESSION_GRACE", OptionType::Seconds,
     "Seconds a session outlives its last browser tab (a refresh re-attaches within it)", &Config::session_grace_s, 0,
     86400},
    {"timeouts.mcp_idle_s", "mcp-idle-timeout", "ATELIER_MCP_IDLE_TIMEOUT", OptionType::Seconds,
     "Seconds an MCP session may go without a request before it ends (its project is detached)",
     &Config::mcp_idle_timeout_s, 0.1, 604800},
    {"restart.max_attempts", "engine-max-attempts", "ATELIER_ENGINE_MAX_ATTEMPTS", OptionType::Integer,
     "Relaunches of a lost engine before its session is lost", &Config::engine_max_attempts, 0, 100},
    {"bench_endpoints", "bench-endpoints", "ATELIER_BENCH_ENDPOINTS", OptionType::Boolean,
     "Serve /ws/echo, /ws/broadcast and /ws/bench-call for benchmarks and tests (never in production)",
     &Config::bench_endpoints},
    {"engine_socket", "engine-socket", "ATELIER_ENGINE_SOCKET", OptionType::String,
     "Unix socket engines reach the hub on (sandboxed ones have no network); default <data_dir>/engine.sock when "
     "an engine kind has sandbox = true",
     &Config::engine_socket},
    {"model.provider",
     "model-provider",
     "ATELIER_MODEL_PROVIDER",
     OptionType::Choice,
     "The agent's model API: anthropic (Messages API) or openai (Chat Completions: OpenAI, llama.cpp server, "
     "Ollama /v1, vLLM); none turns natural-language turns off",
     &Config::model_provider,
     0,
     0,
     {"none", "anthropic", "openai"}},
    {"model.model", "model", "ATELIER_MODEL", OptionType::String,
     "Model name as the provider knows it, e.g. claude-sonnet-4-5 or qwen2.5:7b", &Config::model_name},
    {"model.base_url", "model-base-url", "ATELIER_MODEL_BASE_URL", OptionType::String,
     "Base URL of the model API; default https://api.anthropic.com or https://api.openai.com/v1 "
     "(e.g. http://127.0.0.1:8080/v1 for llama.cpp, http://127.0.0.1:11434/v1 for Ollama)",
     &Config::model_base_url},
    {"model.api_key_env", "model-api-key-env", "ATELIER_MODEL_API_KEY_ENV", OptionType::String,
     "Name of the environment variable that holds the API key; default ANTHROPIC_API_KEY or OPENAI_API_KEY",
     &Config::model_api_key_env},
    {"model.max_tokens", "model-max-tokens", "ATELIER_MODEL_MAX_TOKENS", OptionType::Integer,
     "Most tokens the model may write per reply", &Config::model_max_tokens, 1, 1'000'000},
    {"model.temperature", "model-temperature", "ATELIER_MODEL_TEMPERATURE", OptionType::Number,
     "Sampling temperature; unset (or below 0) leaves the provider's default", &Config::model_temperature, 0, 2},
    {"model.timeout_s", "model-timeout", "ATELIER_MODEL_TIMEOUT", OptionType::Seconds,
     "Seconds a model stream may stay silent before the request fails (and is retried)", &Config::model_timeout_s, 1,
     3600},
    {"model.retries", "model-retries", "ATELIER_MODEL_RETRIES", OptionType::Integer,
     "Retries of a model request after 408/409/429/5xx/529 or a connection error", &Config::model_retries, 0, 10},
    {"agent.max_steps", "agent-max-steps", "ATELIER_AGENT_MAX_STEPS", OptionType::Integer,
     "Model requests per agent turn before the turn stops", &Config::agent_max_steps, 1, 1000},
    {"agent.tool_retries", "agent-tool-retries", "ATELIER_AGENT_TOOL_RETRIES", OptionType::Integer,
     "Failed calls of one tool in a row the model may retry before the turn ends", &Config::agent_tool_retries, 0, 100},
    {"agent.context_tokens", "agent-context-tokens", "ATELIER_AGENT_CONTEXT_TOKENS", OptionType::Integer,
     "Transcript budget sent to the model, in tokens (about 4 characters each); older tool results are summarised "
     "first, then the oldest exchanges dropped",
     &Config::agent_context_tokens, 1000, 10'000'000},
    {"docker.socket", "docker-socket", "ATELIER_DOCKER_SOCKET", OptionType::String,
     "The Docker Engine API's Unix socket, for engine kinds with launcher = \"docker\"", &Config::docker_socket},
    {"webrtc.enabled", "webrtc", "ATELIER_WEBRTC", OptionType::Boolean,
     "Stream the viewport as WebRTC video through the atelier-rtc helper (JPEG frames stay the fallback)",
     &Config::webrtc_enabled},
    {"webrtc.helper", "webrtc-helper", "ATELIER_WEBRTC_HELPER", OptionType::String,
     "Path of the atelier-rtc helper; default: beside the atelier binary, else on PATH", &Config::webrtc_helper},
    {"webrtc.ice_servers", "webrtc-ice-servers", "ATELIER_WEBRTC_ICE_SERVERS", OptionType::String,
     "Comma-separated STUN/TURN URLs for remote viewers: stun:host:port, turn:user:password@host:port",
     &Config::webrtc_ice_servers},
    {"webrtc.bitrate_kbps", "webrtc-bitrate", "ATELIER_WEBRTC_BITRATE", OptionType::Integer,
     "Video bitrate ceiling per session and codec at 1280x720 (smaller frames: a share by pixels), kbit/s",
     &Config::webrtc_bitrate_kbps, 100, 100'000},
    {"webrtc.frame_counter", "webrtc-frame-counter", "ATELIER_WEBRTC_FRAME_COUNTER", OptionType::Boolean,
     "Test mode: draw each frame's number as blocks in the video's top-left corner (measurement)",
     &Config::webrtc_frame_counter},
    {"webrtc.local_addresses", "webrtc-local-addresses", "ATELIER_WEBRTC_LOCAL_ADDRESSES", OptionType::String,
     "Comma-separated IPv4 addresses the helper offers host candidates on; default every interface and 127.0.0.1",
     &Config::webrtc_local_addresses},
    {"storage.projects_dir", "projects-dir", "ATELIER_PROJECTS_DIR", OptionType::String,
     "Directory of the project repositories (shared storage when several hubs form a cluster); default "
     "<data_dir>/projects",
     &Config::projects_dir},
    {"storage.renders_dir", "renders-dir", "ATELIER_RENDERS_DIR", OptionType::String,
     "Directory where the renders and exports of ended sessions are kept, by project (shared storage when several "
     "hubs form a cluster, so any hub lists them); default <data_dir>/renders",
     &Config::renders_dir},
    {"cluster.hub_url", "hub-url", "ATELIER_CLUSTER_HUB_URL", OptionType::String,
     "http://HOST:PORT other hubs and proxies reach this hub at (port 0: the one it bound); with a postgres:// "
     "database the hubs sharing it "
     "form a cluster (docs/scaling.md)",
     &Config::hub_url},
    {"cluster.lease_s", "cluster-lease", "ATELIER_CLUSTER_LEASE", OptionType::Seconds,
     "Seconds a hub's lease on a live project lasts without renewal (renewed every third of it); when the hub dies "
     "another takes the project over after this",
     &Config::cluster_lease_s, 1, 300},
};

std::string type_name(OptionType type) {
    switch (type) {
    case OptionType::String:
        return "a string";
    case OptionType::Integer:
        return "an integer";
    case OptionType::Bytes:
        return "a size in bytes (e.g. 1048576, 512K, 8M)";
    case OptionType::Seconds:
        return "a number of seconds";
    case OptionType::Number:
        return "a number";
    case OptionType::Boolean:
        return "true or false";
    case OptionType::Choice:
        return "one of the listed values";
    }
    return "a value";
}

std::string range_text(const OptionSpec& spec) {
    if (spec.type == OptionType::Choice) {
        std::string out = "one of";
        for (std::size_t i = 0; i < spec.choices.size(); ++i) {
            out += fmt::format("{} {}", i == 0 ? "" : ",", spec.choices[i]);
        }
        return out;
    }
    if (spec.maximum == spec.minimum) {
        return type_name(spec.type);
    }
    return fmt::format("{} from {} to {}", type_name(spec.type), spec.minimum, spec.maximum);
}

Error option_error(const OptionSpec& spec, std::string_view origin, std::string_view reason) {
    return Error{ErrorCode::InvalidConfig, fmt::format("config: {} ({}): {}", spec.key, origin, reason)};
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::int64_t> parse_bytes(std::string_view text) {
    std::int64_t multiplier = 1;
    if (!text.empty()) {
        switch (text.back()) {
        case 'k':
        case 'K':
            multiplier = 1 << 10;
            break;
        case 'm':
        case 'M':
            multiplier = 1 << 20;
            break;
        case 'g':
        case 'G':
            multiplier = 1 << 30;
            break;
        default:
            break;
        }
        if (multiplier != 1) {
            text.remove_suffix(1);
        }
    }
    const auto value = parse_integer(text);
    if (!value) {
        return std::nullopt;
    }
    std::int64_t bytes = 0;
    if (__builtin_mul_overflow(*value, multiplier, &bytes)) {
        return std::nullopt; // "9000000000000G": not a size, rather than a wrapped one (found by fuzz_config_toml)
    }
    return bytes;
}

std::optional<double> parse_seconds(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    const std::string copy(text);
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(copy.c_str(), &end);
    if (errno != 0 || end != copy.c_str() + copy.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::optional<bool> parse_boolean(std::string_view text) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") {
        return true;
    }
    if (text == "false" || text == "0" || text == "no" || text == "off") {
        return false;
    }
    return std::nullopt;
}

Result<void> check_range(const OptionSpec& spec, std::string_view origin, double value) {
    if (spec.maximum != spec.minimum && (value < spec.minimum || value > spec.maximum)) {
        return fail(option_error(spec, origin, fmt::format("{} is out of range: must be {}", value, range_text(spec))));
    }
    return {};
}

// Applies one value given as text (environment or flag).
Result<void> apply_text(Config& config, const OptionSpec& spec, std::string_view origin, const std::string& text) {
    const auto invalid = [&] {
        return fail(option_error(spec, origin, fmt::format("\"{}\" is not {}", text, range_text(spec))));
    };
    switch (spec.type) {
    case OptionType::String:
        config.*std::get<std::string Config::*>(spec.field) = text;
        return {};
    case OptionType::Choice:
        for (const auto choice : spec.choices) {
            if (choice == text) {
                config.*std::get<std::string Config::*>(spec.field) = text;
                return {};
            }
        }
        return invalid();
    case OptionType::Integer:
    case OptionType::Bytes: {
        const auto value = spec.type == OptionType::Integer ? parse_integer(text) : parse_bytes(text);
        if (!value) {
            return invalid();
        }
        ATELIER_TRY(check_range(spec, origin, static_cast<double>(*value)));
        config.*std::get<std::int64_t Config::*>(spec.field) = *value;
        return {};
    }
    case OptionType::Seconds:
    case OptionType::Number: {
        const auto value = parse_seconds(text);
        if (!value) {
            return invalid();
        }
        ATELIER_TRY(check_range(spec, origin, *value));
        config.*std::get<double Config::*>(spec.field) = *value;
        return {};
    }
    case OptionType::Boolean: {
        const auto value = parse_boolean(text);
        if (!value) {
            return invalid();
        }
        config.*std::get<bool Config::*>(spec.field) = *value;
        return {};
    }
    }
    return invalid();
}

std::string toml_type_name(const toml::node& node) {
    if (node.is_string()) {
        return "a string";
    }
    if (node.is_integer()) {
        return "an integer";
    }
    if (node.is_floating_point()) {
        return "a float";
    }
    if (node.is_boolean()) {
        return "a boolean";
    }
    if (node.is_table()) {
        return "a table";
    }
    if (node.is_array()) {
        return "an array";
    }
    return "a date or time";
}

// Turns a TOML value into the text form so that file, environment and flags share one checker,
// after making sure the TOML type itself fits (a quoted "8420" for a port is a mistake worth naming).
Result<std::string> toml_value_text(const OptionSpec& spec, std::string_view origin, const toml::node& node) {
    const auto wrong_type = [&](std::string_view got) {
        return fail(option_error(spec, origin, fmt::format("must be {} (got {})", range_text(spec), got)));
    };
    switch (spec.type) {
    case OptionType::String:
    case OptionType::Choice:
        if (const auto* value = node.as_string()) {
            return value->get();
        }
        return wrong_type(toml_type_name(node));
    case OptionType::Integer:
        if (const auto* value = node.as_integer()) {
            return std::to_string(value->get());
        }
        return wrong_type(toml_type_name(node));
    case OptionType::Bytes:
        if (const auto* value = node.as_integer()) {
            return std::to_string(value->get());
        }
        if (const auto* value = node.as_string()) {
            return value->get();
        }
        return wrong_type(toml_type_name(node));
    case OptionType::Seconds:
    case OptionType::Number:
        if (const auto* value = node.as_integer()) {
            return std::to_string(value->get());
        }
        if (const auto* value = node.as_floating_point()) {
            return fmt::format("{}", value->get());
        }
        return wrong_type(toml_type_name(node));
    case OptionType::Boolean:
        if (const auto* value = node.as_boolean()) {
            return std::string(value->get() ? "true" : "false");
        }
        return wrong_type(toml_type_name(node));
    }
    return wrong_type("unknown");
}

// "{config_dir}" in an engine kind's command or template stands for the directory of the config
// file, so a file kept beside the engines it names works from any clone or install location
// (engines run with the session's working tree as cwd, where relative paths mean nothing).
std::string expand_config_dir(std::string text, const std::string& config_dir) {
    static constexpr std::string_view kPlaceholder = "{config_dir}";
    for (auto at = text.find(kPlaceholder); at != std::string::npos;
         at = text.find(kPlaceholder, at + config_dir.size())) {
        text.replace(at, kPlaceholder.size(), config_dir);
    }
    return text;
}

// The launcher keys of an engine kind (docs/operations.md, "Launchers"). nullopt: not a launcher
// key; an empty string: read; else the reason the value is wrong.
std::optional<std::string> parse_launcher_key(EngineKindConfig& kind, std::string_view key, const toml::node& node,
                                              const std::string& config_dir) {
    const auto text = [&](std::string& out, std::string_view what) -> std::optional<std::string> {
        const auto* value = node.as_string();
        if (value == nullptr || value->get().empty()) {
            return std::string(what);
        }
        out = value->get();
        return std::string();
    };
    const auto integer = [&](std::int64_t& out, std::int64_t minimum, std::int64_t maximum) -> std::string {
        const auto* value = node.as_integer();
        if (value == nullptr || value->get() < minimum || value->get() > maximum) {
            return fmt::format("must be an integer from {} to {}", minimum, maximum);
        }
        out = value->get();
        return {};
    };
    if (key == "launcher") {
        const auto* value = node.as_string();
        if (value == nullptr || (value->get() != "local" && value->get() != "docker" && value->get() != "kubernetes")) {
            return fmt::format("unknown launcher {} (known: local, docker, kubernetes)",
                               value == nullptr ? toml_type_name(node) : "\"" + value->get() + "\"");
        }
        kind.launcher = value->get();
        return std::string();
    }
    if (key == "image") {
        return text(kind.image, "must be an image name, e.g. \"atelier-engine:host\"");
    }
    if (key == "memory") {
        // "512MiB", "2GiB", "512M" or a number of bytes; at least 6 MiB (Docker's own minimum).
        std::optional<std::int64_t> bytes;
        if (const auto* value = node.as_integer()) {
            bytes = value->get();
        } else if (const auto* string = node.as_string()) {
            std::string_view size = string->get();
            if (size.ends_with("iB")) {
                size.remove_suffix(2);
            }
            bytes = parse_bytes(size);
        }
        if (!bytes || *bytes < (6 << 20)) {
            return std::string("must be a size of at least 6MiB, e.g. \"512MiB\" or \"2GiB\"");
        }
        kind.memory_bytes = *bytes;
        return std::string();
    }
    if (key == "cpus") {
        const auto value = node.value<double>();
        if (!value || *value <= 0 || *value > 1024) {
            return std::string("must be a number of CPUs above 0, e.g. 1.5");
        }
        kind.cpus = *value;
        return std::string();
    }
    if (key == "pids") {
        return integer(kind.pids, 1, 1 << 22);
    }
    if (key == "active_deadline_seconds") {
        return integer(kind.active_deadline_seconds, 1, std::int64_t{1} << 40);
    }
    if (key == "host_usr") {
        const auto* value = node.as_boolean();
        if (value == nullptr) {
            return std::string("must be true or false");
        }
        kind.host_usr = value->get();
        return std::string();
    }
    if (key == "mounts") {
        const auto* array = node.as_array();
        if (array == nullptr) {
            return std::string("must be an array of absolute paths");
        }
        for (const auto& item : *array) {
            const auto* path = item.as_string();
            if (path == nullptr || !std::filesystem::path(expand_config_dir(path->get(), config_dir)).is_absolute()) {
                return std::string("must be an array of absolute paths");
            }
            kind.mounts.push_back(expand_config_dir(path->get(), config_dir));
        }
        return std::string();
    }
    if (key == "namespace") {
        return text(kind.kubernetes_namespace, "must be a Kubernetes namespace name");
    }
    if (key == "kubeconfig") {
        auto problem = text(kind.kubeconfig, "must be the path of a kubeconfig file");
        kind.kubeconfig = expand_config_dir(kind.kubeconfig, config_dir);
        return problem;
    }
    if (key == "volume_claim") {
        return text(kind.volume_claim, "must be a PersistentVolumeClaim name");
    }
    if (key == "hub_url") {
        auto problem = text(kind.engine_hub_url, "must be a ws:// or wss:// URL of the hub's /ws/engine");
        if (problem && problem->empty() && !kind.engine_hub_url.starts_with("ws://") &&
            !kind.engine_hub_url.starts_with("wss://")) {
            return std::string("must be a ws:// or wss:// URL of the hub's /ws/engine");
        }
        return problem;
    }
    return std::nullopt;
}

// Keys that make no sense together; {key, reason} of the first problem, or empty.
std::pair<std::string, std::string> check_launcher(const EngineKindConfig& kind) {
    const bool local = kind.launcher == "local";
    if (local) {
        if (!kind.image.empty() || kind.memory_bytes != 0 || kind.cpus != 0 || kind.pids != 0 || !kind.mounts.empty() ||
            kind.host_usr || !kind.kubeconfig.empty() || kind.active_deadline_seconds != 0 ||
            !kind.volume_claim.empty() || !kind.engine_hub_url.empty()) {
            return {"launcher", "image, memory, cpus, pids, mounts, host_usr and the kubernetes keys need launcher = "
                                "\"docker\" or \"kubernetes\""};
        }
        return {};
    }
    if (kind.image.empty()) {
        return {"image", fmt::format("is required with launcher = \"{}\"", kind.launcher)};
    }
    if (kind.sandbox) {
        return {"sandbox",
                fmt::format("is for the local launcher; a {} engine is isolated by its container", kind.launcher)};
    }
    if (kind.pool != 0) {
        // A warm engine is opened on a project it was not started for; a container or Pod sees only
        // the working tree it was created with.
        return {"pool", fmt::format("must be 0 with launcher = \"{}\" (a container only sees its own session's "
                                    "working tree)",
                                    kind.launcher)};
    }
    if (kind.launcher == "docker" &&
        (!kind.kubeconfig.empty() || kind.active_deadline_seconds != 0 || !kind.volume_claim.empty())) {
        return {"launcher", "kubeconfig, active_deadline_seconds and volume_claim need launcher = \"kubernetes\""};
    }
    if (kind.launcher == "kubernetes" && kind.pids != 0) {
        return {"pids", "is a node setting in Kubernetes (the kubelet's podPidsLimit), not a Pod's"};
    }
    if (kind.launcher == "kubernetes" && (!kind.mounts.empty() || kind.host_usr)) {
        return {"launcher", "mounts and host_usr need launcher = \"docker\" (a Pod's files come from its image)"};
    }
    return {};
}

Result<EngineKindConfig> parse_engine_kind(const std::string& name, const toml::table& table, const std::string& file) {
    std::error_code absolute_error;
    const auto absolute = std::filesystem::absolute(std::filesystem::path(file), absolute_error);
    const std::string config_dir =
        (absolute_error ? std::filesystem::path(file) : absolute).lexically_normal().parent_path().string();
    EngineKindConfig kind;
    const auto error = [&](std::string_view key, std::string_view reason) {
        return fail(ErrorCode::InvalidConfig, fmt::format("config: engines.{}.{} ({}): {}", name, key, file, reason));
    };
    for (const auto& [key, node] : table) {
        const std::string_view key_text = key.str();
        if (key_text == "command") {
            const auto* array = node.as_array();
            if (array == nullptr || array->empty()) {
                return error(key_text, "must be a non-empty array of strings");
            }
            for (const auto& item : *array) {
                const auto* text = item.as_string();
                if (text == nullptr) {
                    return error(key_text, "must be a non-empty array of strings");
                }
                kind.command.push_back(expand_config_dir(text->get(), config_dir));
            }
        } else if (key_text == "pool") {
            const auto* value = node.as_integer();
            if (value == nullptr || value->get() < 0 || value->get() > 64) {
                return error(key_text, "must be an integer from 0 to 64");
            }
            kind.pool = value->get();
        } else if (key_text == "sandbox") {
            const auto* value = node.as_boolean();
            if (value == nullptr) {
                return error(key_text, "must be true or false");
            }
            kind.sandbox = value->get();
        } else if (key_text == "template") {
            const auto* value = node.as_string();
            if (value == nullptr) {
                return error(key_text, "must be a directory path");
            }
            kind.template_dir = expand_config_dir(value->get(), config_dir);
        } else if (key_text == "assets_dir") {
            const auto* value = node.as_string();
            const std::string_view folder = value == nullptr ? std::string_view() : std::string_view(value->get());
            if (folder.empty() || folder.front() == '/' || folder.find("..") != std::string_view::npos ||
                folder.find('\\') != std::string_view::npos) {
                return error(key_text, "must be a folder inside the project, e.g. \"assets\" or \"public\"");
            }
            kind.assets_dir = std::string(folder);
            while (kind.assets_dir.ends_with('/')) {
                kind.assets_dir.pop_back();
            }
        } else if (auto handled = parse_launcher_key(kind, key_text, node, config_dir); handled) {
            if (!handled->empty()) {
                return error(key_text, *handled);
            }
        } else {
            return error(key_text,
                         "unknown key (known: command, pool, sandbox, template, assets_dir, launcher, image, memory, "
                         "cpus, pids, mounts, host_usr, namespace, kubeconfig, active_deadline_seconds, "
                         "volume_claim, hub_url)");
        }
    }
    if (kind.command.empty()) {
        return error("command", "is required");
    }
    if (auto problem = check_launcher(kind); !problem.first.empty()) {
        return error(problem.first, problem.second);
    }
    return kind;
}

Result<void> apply_file(Config& config, const std::filesystem::path& path) {
    const std::string file = path.string();
    toml::table root;
    try {
        root = toml::parse_file(file);
    } catch (const toml::parse_error& error) {
        const auto& where = error.source().begin;
        return fail(ErrorCode::InvalidConfig,
                    fmt::format("config: {}:{}:{}: {}", file, where.line, where.column, error.description()));
    }

    std::set<std::string> seen;
    for (const auto& spec : kOptions) {
        const auto* node = root.at_path(spec.key).node();
        if (node == nullptr) {
            continue;
        }
        seen.insert(std::string(spec.key));
        const auto text = ATELIER_TRY(toml_value_text(spec, file, *node));
        ATELIER_TRY(apply_text(config, spec, file, text));
    }

    // Anything else in the file is a mistake (a typo silently ignored is worse than an error).
    const auto unknown = [&](const std::string& key) {
        return fail(ErrorCode::InvalidConfig,
                    fmt::format("config: {} ({}): unknown key (see `atelier serve --help`)", key, file));
    };
    for (const auto& [key, node] : root) {
        const std::string name(key.str());
        if (name == "engines") {
            const auto* engines = node.as_table();
            if (engines == nullptr) {
                return fail(ErrorCode::InvalidConfig, fmt::format("config: engines ({}): must be a table", file));
            }
            for (const auto& [kind_name, kind_node] : *engines) {
                const auto* kind_table = kind_node.as_table();
                if (kind_table == nullptr) {
                    return fail(ErrorCode::InvalidConfig,
                                fmt::format("config: engines.{} ({}): must be a table", kind_name.str(), file));
                }
                const std::string kind_key(kind_name.str());
                config.engines[kind_key] = ATELIER_TRY(parse_engine_kind(kind_key, *kind_table, file));
            }
            continue;
        }
        if (const auto* table = node.as_table()) {
            for (const auto& [inner, inner_node] : *table) {
                const std::string dotted = name + "." + std::string(inner.str());
                if (!seen.contains(dotted)) {
                    return unknown(dotted);
                }
            }
            continue;
        }
        if (!seen.contains(name)) {
            return unknown(name);
        }
    }
    return {};
}

std::string default_data_dir(const std::map<std::string, std::string>& environment) {
    const auto lookup = [&](const char* name) -> std::string {
        if (auto it = environment.find(name); it != environment.end()) {
            return it->second;
        }
        const char* value = std::getenv(name);
        return value != nullptr ? value : "";
    };
    if (const std::string xdg = lookup("XDG_DATA_HOME"); !xdg.empty()) {
        return xdg + "/atelier";
    }
    const std::string home = lookup("HOME");
    return (home.empty() ? std::string(".") : home) + "/.local/share/atelier";
}

} // namespace

const std::vector<OptionSpec>& config_options() {
    return kOptions;
}

std::string option_value_text(const Config& config, const OptionSpec& spec) {
    return std::visit(
        [&](auto member) -> std::string {
            const auto& value = config.*member;
            using Value = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<Value, std::string>) {
                return value;
            } else if constexpr (std::is_same_v<Value, bool>) {
                return value ? "true" : "false";
            } else {
                return fmt::format("{}", value);
            }
        },
        spec.field);
}

namespace {

Result<Config> read_config(const ConfigSources& sources) {
    Config config;
    if (sources.file) {
        if (!std::filesystem::exists(*sources.file)) {
            return fail(ErrorCode::InvalidConfig,
                        fmt::format("config: file {} does not exist", sources.file->string()));
        }
        ATELIER_TRY(apply_file(config, *sources.file));
    }
    for (const auto& spec : kOptions) {
        if (auto it = sources.environment.find(std::string(spec.env)); it != sources.environment.end()) {
            ATELIER_TRY(apply_text(config, spec, spec.env, it->second));
        }
    }
    for (const auto& spec : kOptions) {
        if (auto it = sources.flags.find(std::string(spec.key)); it != sources.flags.end()) {
            ATELIER_TRY(apply_text(config, spec, fmt::format("--{}", spec.flag), it->second));
        }
    }
    if (config.data_dir.empty()) {
        config.data_dir = default_data_dir(sources.environment);
    }
    if (config.projects_dir.empty()) {
        config.projects_dir = (std::filesystem::path(config.data_dir) / "projects").string();
    }
    if (config.renders_dir.empty()) {
        config.renders_dir = (std::filesystem::path(config.data_dir) / "renders").string();
    }
    if (!config.hub_url.empty() && !config.hub_url.starts_with("http://")) {
        return fail(ErrorCode::InvalidConfig,
                    fmt::format("cluster.hub_url: '{}' is not an http://HOST:PORT URL", config.hub_url));
    }
    if (!config.hub_url.empty() && !config.database.starts_with("postgres")) {
        return fail(ErrorCode::InvalidConfig,
                    "cluster.hub_url needs a postgres:// database: the hubs of a cluster share their leases there");
    }
    if (config.engine_socket.empty() && std::any_of(config.engines.begin(), config.engines.end(),
                                                    [](const auto& kind) { return kind.second.sandbox; })) {
        config.engine_socket = (std::filesystem::path(config.data_dir) / "engine.sock").string();
    }

    // The web app and the built-in engine kinds are found from the binary's own path, so the
    // same binary works from its build tree and installed at any prefix (no compiled-in paths).
    const auto executable = sources.executable.empty() ? current_executable() : sources.executable;
    const auto layout = find_install_layout(executable);
    if (config.engines.empty() && layout) {
        config.engines = default_engine_kinds(*layout);
    }
    if (config.assets_library.empty() && layout) {
        config.assets_library = layout->assets_library.string();
    }
    if (config.web_root.empty()) {
        // Without a layout, the place an installation would have it (the log names it).
        config.web_root = layout ? layout->web_root.string()
                                 : (executable.parent_path().parent_path() / "share/atelier/web").string();
    }
    return config;
}

} // namespace

Result<Config> load_config(const ConfigSources& sources) {
    auto config = read_config(sources);
    if (!config) {
        config.error().message = one_line(config.error().message);
    }
    return config;
}

std::map<std::string, std::string> atelier_environment() {
    std::map<std::string, std::string> out;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string_view::npos && text.starts_with("ATELIER_")) {
            out.emplace(text.substr(0, equals), text.substr(equals + 1));
        }
    }
    return out;
}

} // namespace atelier
