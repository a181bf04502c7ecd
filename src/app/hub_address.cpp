// SPDX-License-Identifier: Apache-2.0
#include "app/hub_address.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

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

HubAddress hub_address(const Config& config, const std::string& url_flag, const std::string& token_flag) {
    HubAddress address;
    address.url = !url_flag.empty() ? url_flag : environment("ATELIER_URL");
    if (address.url.empty()) {
        address.url = fmt::format("http://{}:{}", config.host == "0.0.0.0" ? "127.0.0.1" : config.host, config.port);
    }
    address.token = !token_flag.empty() ? token_flag : environment("ATELIER_TOKEN");
    if (address.token.empty()) {
        address.token = token_file(config);
    }
    return address;
}

} // namespace atelier::app
