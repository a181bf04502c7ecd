// SPDX-License-Identifier: Apache-2.0
#include "registry/tool_naming.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

namespace atelier::registry {
namespace {

bool is_provider_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

std::string sanitize(std::string_view text) {
    std::string result(text);
    std::replace_if(
        result.begin(), result.end(), [](char c) { return !is_provider_char(c); }, '_');
    return result.empty() ? "_" : result;
}

std::string hash_hex(const ToolKey& key) {
    std::uint32_t hash = 2166136261u;
    auto mix = [&hash](std::string_view text) {
        for (unsigned char c : text) {
            hash ^= c;
            hash *= 16777619u;
        }
    };
    mix(key.addon_id);
    mix("/");
    mix(key.tool_name);
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex(8, '0');
    for (int i = 7; i >= 0; --i) {
        hex[static_cast<std::size_t>(i)] = kDigits[hash & 0xFu];
        hash >>= 4;
    }
    return hex;
}

std::string with_suffix(const std::string& base, const std::string& suffix) {
    const std::size_t room = kMaxProviderToolNameLength - suffix.size();
    return base.substr(0, std::min(base.size(), room)) + suffix;
}

} // namespace

std::string base_provider_name(std::string_view addon_id, std::string_view tool_name) {
    std::string name = sanitize(addon_id) + "__" + sanitize(tool_name);
    if (name.size() > kMaxProviderToolNameLength) {
        name.resize(kMaxProviderToolNameLength);
    }
    return name;
}

std::vector<std::string> assign_provider_names(const std::vector<ToolKey>& keys) {
    std::vector<std::size_t> order(keys.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&keys](std::size_t a, std::size_t b) {
        return std::tie(keys[a].addon_id, keys[a].tool_name) < std::tie(keys[b].addon_id, keys[b].tool_name);
    });

    std::vector<std::string> bases(keys.size());
    std::map<std::string, std::size_t> owner; // base name → the key that keeps it
    for (std::size_t index : order) {
        bases[index] = base_provider_name(keys[index].addon_id, keys[index].tool_name);
        owner.emplace(bases[index], index);
    }

    std::set<std::string> taken;
    for (const auto& [base, index] : owner) {
        taken.insert(base);
    }
    std::vector<std::string> names(keys.size());
    for (std::size_t index : order) {
        if (owner[bases[index]] == index) {
            names[index] = bases[index];
            continue;
        }
        const std::string hash = "_" + hash_hex(keys[index]);
        std::string candidate = with_suffix(bases[index], hash);
        for (int attempt = 2; taken.contains(candidate); ++attempt) {
            candidate = with_suffix(bases[index], hash + "_" + std::to_string(attempt));
        }
        taken.insert(candidate);
        names[index] = std::move(candidate);
    }
    return names;
}

} // namespace atelier::registry
