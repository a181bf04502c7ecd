#include "app/mcp_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/logging.h"
#include "mcp/stdio_bridge.h"

namespace atelier::app {
namespace {

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? std::string(value) : std::string();
}

/// The first line of `<data_dir>/token`, or empty.
std::string token_file(const Config& config) {
    std::ifstream file(std::filesystem::path(config.data_dir) / "token");
    std::string token;
    std::getline(file, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) {
        token.pop_back();
    }
    return token;
}

} // namespace

int mcp_command(const Config& config, const std::string& url, const std::string& token) {
    // Stdout is the protocol channel: every log line goes to stderr, and only warnings.
    (void)init_logging(LogFormat::Text, "warn");
    mcp::StdioBridgeOptions options;
    options.url = !url.empty() ? url : environment("ATELIER_URL");
    if (options.url.empty()) {
        options.url = fmt::format("http://{}:{}", config.host == "0.0.0.0" ? "127.0.0.1" : config.host, config.port);
    }
    options.token = !token.empty() ? token : environment("ATELIER_TOKEN");
    if (options.token.empty()) {
        options.token = token_file(config);
    }
    if (options.token.empty()) {
        std::fprintf(stderr,
                     "atelier mcp: no token: pass --token, set ATELIER_TOKEN, or run the hub once so that "
                     "%s/token exists\n",
                     config.data_dir.c_str());
        return 2;
    }
    return mcp::run_stdio_bridge(options, STDIN_FILENO, STDOUT_FILENO);
}

} // namespace atelier::app
