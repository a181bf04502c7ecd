// SPDX-License-Identifier: Apache-2.0
#include "api/glb_scene.h"

#include <cmath>
#include <cstdint>
#include <map>

#include <fmt/format.h>

namespace atelier::api {
namespace {

struct SceneObject {
    nlohmann::json transform;
    std::vector<std::string> materials;
};

std::uint32_t read_u32(std::string_view bytes, std::size_t at) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
    }
    return value;
}

/// The glTF JSON of a .glb: header "glTF", version, length; then the first chunk, of type JSON.
Result<nlohmann::json> json_chunk(std::string_view bytes) {
    if (bytes.size() < 20 || bytes.substr(0, 4) != "glTF") {
        return fail(ErrorCode::InvalidArgument, "not a binary glTF file (no 'glTF' header)");
    }
    const std::uint32_t length = read_u32(bytes, 12);
    if (bytes.substr(16, 4) != "JSON" || length > bytes.size() - 20) {
        return fail(ErrorCode::InvalidArgument, "binary glTF without a readable JSON chunk");
    }
    auto parsed = nlohmann::json::parse(bytes.substr(20, length), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        return fail(ErrorCode::InvalidArgument, "binary glTF whose JSON chunk does not parse");
    }
    return parsed;
}

/// Numbers rounded to 1e-5, so that a re-export's float noise is not a move.
nlohmann::json rounded(const nlohmann::json& value) {
    if (value.is_number()) {
        return std::round(value.get<double>() * 1e5) / 1e5;
    }
    if (value.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : value) {
            out.push_back(rounded(item));
        }
        return out;
    }
    return value;
}

std::string name_of(const nlohmann::json& list, std::size_t index, std::string_view what) {
    if (index < list.size() && list[index].is_object() && list[index].contains("name") &&
        list[index]["name"].is_string()) {
        return list[index]["name"];
    }
    return fmt::format("{} {}", what, index);
}

Result<std::map<std::string, SceneObject>> objects_of(std::string_view bytes) {
    std::map<std::string, SceneObject> objects;
    if (bytes.empty()) {
        return objects;
    }
    const nlohmann::json gltf = ATELIER_TRY(json_chunk(bytes));
    const auto list = [&](const char* key) {
        return gltf.contains(key) && gltf[key].is_array() ? gltf[key] : nlohmann::json::array();
    };
    const nlohmann::json nodes = list("nodes");
    const nlohmann::json meshes = list("meshes");
    const nlohmann::json materials = list("materials");
    for (std::size_t index = 0; index < nodes.size(); ++index) {
        const auto& node = nodes[index];
        if (!node.is_object()) {
            continue;
        }
        SceneObject object;
        object.transform = nlohmann::json::object();
        for (const char* key : {"translation", "rotation", "scale", "matrix"}) {
            if (node.contains(key)) {
                object.transform[key] = rounded(node[key]);
            }
        }
        if (node.contains("mesh") && node["mesh"].is_number_unsigned()) {
            const auto mesh = node["mesh"].get<std::size_t>();
            if (mesh < meshes.size() && meshes[mesh].is_object() && meshes[mesh].contains("primitives")) {
                for (const auto& primitive : meshes[mesh]["primitives"]) {
                    if (primitive.is_object() && primitive.contains("material") &&
                        primitive["material"].is_number_unsigned()) {
                        object.materials.push_back(
                            name_of(materials, primitive["material"].get<std::size_t>(), "material"));
                    }
                }
            }
        }
        std::string name = name_of(nodes, index, "node");
        for (int copy = 2; objects.contains(name); ++copy) {
            name = fmt::format("{} ({})", name_of(nodes, index, "node"), copy);
        }
        objects[name] = std::move(object);
    }
    return objects;
}

} // namespace

Result<nlohmann::json> glb_object_changes(std::string_view before, std::string_view after) {
    const auto old_objects = ATELIER_TRY(objects_of(before));
    const auto new_objects = ATELIER_TRY(objects_of(after));
    nlohmann::json added = nlohmann::json::array();
    nlohmann::json removed = nlohmann::json::array();
    nlohmann::json moved = nlohmann::json::array();
    nlohmann::json rematerialed = nlohmann::json::array();
    for (const auto& [name, object] : new_objects) {
        const auto old = old_objects.find(name);
        if (old == old_objects.end()) {
            added.push_back(name);
            continue;
        }
        if (old->second.transform != object.transform) {
            moved.push_back(name);
        }
        if (old->second.materials != object.materials) {
            rematerialed.push_back(name);
        }
    }
    for (const auto& [name, object] : old_objects) {
        if (!new_objects.contains(name)) {
            removed.push_back(name);
        }
    }
    return nlohmann::json{{"added", added}, {"removed", removed}, {"moved", moved}, {"rematerialed", rematerialed}};
}

} // namespace atelier::api
