// SPDX-License-Identifier: Apache-2.0
// The Kubernetes API's address and credentials, in-cluster or from a kubeconfig (yaml-cpp stays
// in this file).
#include "engines/kubernetes_config.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace atelier::engines {
namespace {

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

std::optional<std::string> read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        int value = -1;
        if (c >= 'A' && c <= 'Z') {
            value = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            value = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            value = c - '0' + 52;
        } else if (c == '+') {
            value = 62;
        } else if (c == '/') {
            value = 63;
        } else if (c == '=' || c == '\n' || c == '\r' || c == ' ') {
            continue;
        } else {
            return std::nullopt;
        }
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    return out;
}

} // namespace

Result<ApiEndpoint> kubernetes_endpoint(const std::filesystem::path& kubeconfig) {
    ApiEndpoint endpoint;
    if (kubeconfig.empty()) {
        const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
        const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
        const auto token = read_text(std::filesystem::path(kServiceAccountDir) / "token");
        const auto ca = read_text(std::filesystem::path(kServiceAccountDir) / "ca.crt");
        if (host == nullptr || port == nullptr || !token || !ca) {
            return fail(ErrorCode::InvalidConfig,
                        fmt::format("kubernetes: not in a cluster (KUBERNETES_SERVICE_HOST/_PORT and {}/token, "
                                    "ca.crt); set the kind's kubeconfig",
                                    kServiceAccountDir));
        }
        const std::string host_text(host);
        endpoint.base_url = fmt::format(
            "https://{}:{}", host_text.find(':') != std::string::npos ? "[" + host_text + "]" : host_text, port);
        endpoint.bearer_token = *token;
        endpoint.ca_pem = *ca;
        endpoint.label = "kubernetes (in-cluster)";
        return endpoint;
    }
    const auto where = kubeconfig.string();
    const auto bad = [&](std::string_view reason) {
        return fail(ErrorCode::InvalidConfig, fmt::format("kubeconfig {}: {}", where, reason));
    };
    YAML::Node root;
    try {
        root = YAML::LoadFile(where);
    } catch (const YAML::Exception& error) {
        return bad(error.what());
    }
    try {
        const std::string context_name = root["current-context"] ? root["current-context"].as<std::string>() : "";
        // The entry of `list` called `name` (the first when `name` is empty); nullopt when none is.
        const auto named = [&](const char* list, const std::string& name,
                               const char* field) -> std::optional<YAML::Node> {
            for (const auto& item : root[list]) {
                if (item["name"] && (name.empty() || item["name"].as<std::string>() == name) && item[field]) {
                    return item[field];
                }
            }
            return std::nullopt;
        };
        const auto context = named("contexts", context_name, "context");
        if (!context) {
            return bad(fmt::format("no context \"{}\"", context_name));
        }
        const auto cluster_entry =
            named("clusters", (*context)["cluster"] ? (*context)["cluster"].as<std::string>() : "", "cluster");
        const YAML::Node cluster = cluster_entry.value_or(YAML::Node());
        if (!cluster_entry || !cluster["server"]) {
            return bad("the current context's cluster has no server");
        }
        endpoint.base_url = cluster["server"].as<std::string>();
        while (endpoint.base_url.ends_with('/')) {
            endpoint.base_url.pop_back();
        }
        const auto file_or_data = [&](const YAML::Node& node, const char* data_key, const char* file_key,
                                      std::string& out) -> Result<void> {
            if (node[data_key]) {
                auto decoded = base64_decode(node[data_key].as<std::string>());
                if (!decoded) {
                    return bad(fmt::format("{} is not base64", data_key));
                }
                out = *decoded;
            } else if (node[file_key]) {
                std::filesystem::path path = node[file_key].as<std::string>();
                if (path.is_relative()) {
                    path = kubeconfig.parent_path() / path;
                }
                auto text = read_text(path);
                if (!text) {
                    return bad(fmt::format("cannot read {} {}", file_key, path.string()));
                }
                out = *text;
            }
            return {};
        };
        ATELIER_TRY(file_or_data(cluster, "certificate-authority-data", "certificate-authority", endpoint.ca_pem));
        endpoint.skip_tls_verify =
            cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>();
        const auto user_entry = named("users", (*context)["user"] ? (*context)["user"].as<std::string>() : "", "user");
        if (user_entry) {
            const YAML::Node& user = *user_entry;
            if (user["token"]) {
                endpoint.bearer_token = user["token"].as<std::string>();
            } else if (user["tokenFile"]) {
                auto token = read_text(user["tokenFile"].as<std::string>());
                if (!token) {
                    return bad("cannot read the user's tokenFile");
                }
                endpoint.bearer_token = *token;
            }
            ATELIER_TRY(file_or_data(user, "client-certificate-data", "client-certificate", endpoint.client_cert_pem));
            ATELIER_TRY(file_or_data(user, "client-key-data", "client-key", endpoint.client_key_pem));
        }
    } catch (const YAML::Exception& error) {
        return bad(error.what());
    }
    while (!endpoint.bearer_token.empty() && std::isspace(static_cast<unsigned char>(endpoint.bearer_token.back()))) {
        endpoint.bearer_token.pop_back();
    }
    endpoint.label = fmt::format("kubernetes ({})", endpoint.base_url);
    return endpoint;
}

} // namespace atelier::engines
