// SPDX-License-Identifier: Apache-2.0
#include "api/renders_api.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/files_api.h"
#include "api/json_request.h"
#include "net/static_files.h"

namespace atelier::api {
namespace {

namespace fs = std::filesystem;

// The name as one URL path segment: unreserved characters as they are, the rest %XX.
std::string url_segment(std::string_view name) {
    std::string out;
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '.' || c == '-' || c == '_' || c == '~') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", byte);
        }
    }
    return out;
}

// A render still being written (engines write to a temporary name and rename when done).
bool unfinished(const std::string& name) {
    return name.empty() || name.front() == '.' || name.ends_with(".part") || name.ends_with(".tmp");
}

std::int64_t modified_ms(const fs::directory_entry& entry) {
    std::error_code error;
    const auto written = entry.last_write_time(error);
    if (error) {
        return 0;
    }
    const auto system = std::chrono::file_clock::to_sys(written);
    return std::chrono::duration_cast<std::chrono::milliseconds>(system.time_since_epoch()).count();
}

struct Render {
    fs::path path;
    std::uintmax_t size = 0;
    std::int64_t modified = 0;
    bool live = false;
};

enum class OutputKind { Render, Export };

/// Every finished output of one kind by name; a live session's copy wins over a kept one. Exports
/// sit beside a live session's `renders/` (its `exports/`) and inside the kept renders' folder.
Result<std::map<std::string, Render>> find_outputs(ApiContext& api, const std::string& user_id, const std::string& id,
                                                   OutputKind kind) {
    ATELIER_TRY(api.store().get_project(user_id, id)); // 404 for someone else's project
    std::map<std::string, Render> renders;
    if (!api.render_dirs) {
        return renders;
    }
    const auto dirs = api.render_dirs(user_id, id);
    for (std::size_t index = 0; index < dirs.size(); ++index) {
        const bool live = index + 1 < dirs.size(); // the last one holds the kept renders
        const fs::path dir = kind == OutputKind::Render ? dirs[index]
                             : live                     ? dirs[index].parent_path() / "exports"
                                                        : dirs[index] / "exports";
        std::error_code error;
        for (const auto& entry : fs::directory_iterator(dir, error)) {
            const std::string name = entry.path().filename().string();
            if (!entry.is_regular_file() || unfinished(name) || renders.contains(name)) {
                continue;
            }
            renders[name] = Render{entry.path(), entry.file_size(error), modified_ms(entry), live};
        }
    }
    return renders;
}

/// The version an output was made from: the newest version recorded before it was written.
std::string made_from(const std::vector<store::Version>& versions, std::int64_t modified) {
    for (const auto& version : versions) { // newest first
        if (version.created_at <= modified) {
            return version.revision;
        }
    }
    return versions.empty() ? std::string() : versions.back().revision;
}

} // namespace

Result<nlohmann::json> project_outputs(ApiContext& api, const std::string& user_id, const std::string& id) {
    struct Output {
        std::string name;
        Render render;
        OutputKind kind;
    };
    std::vector<Output> sorted;
    for (const auto kind : {OutputKind::Render, OutputKind::Export}) {
        for (auto& [name, render] : ATELIER_TRY(find_outputs(api, user_id, id, kind))) {
            sorted.push_back({name, render, kind});
        }
    }
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.render.modified != b.render.modified ? a.render.modified > b.render.modified : a.name < b.name;
    });
    std::vector<store::Version> versions;
    if (!sorted.empty()) {
        if (auto page = api.store().list_versions(user_id, id, {200, {}})) {
            versions = std::move(page->items);
        }
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& [name, render, kind] : sorted) {
        const bool is_render = kind == OutputKind::Render;
        items.push_back({{"name", name},
                         {"size", render.size},
                         {"kind", is_render ? "render" : "export"},
                         {"modified", render.modified},
                         {"live", render.live},
                         {"version", made_from(versions, render.modified)},
                         {"url", is_render ? fmt::format("/api/projects/{}/renders/{}", id, url_segment(name))
                                           : fmt::format("/api/projects/{}/files/exports/{}", id, url_segment(name))}});
    }
    return items;
}

namespace {

Result<net::HttpResponse> list(ApiContext& api, const net::HttpRequest& request) {
    auto items = ATELIER_TRY(project_outputs(api, request.subject, request.params.at("id")));
    return json_response(200, {{"renders", std::move(items)}});
}

Result<net::HttpResponse> serve_output(ApiContext& api, const net::HttpRequest& request, const std::string& name,
                                       OutputKind kind) {
    if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == "." || name == "..") {
        return fail(ErrorCode::InvalidArgument, "a render is named by its file name alone (no '/', '..' or '\\')");
    }
    const auto renders = ATELIER_TRY(find_outputs(api, request.subject, request.params.at("id"), kind));
    const auto it = renders.find(name);
    if (it == renders.end()) {
        return fail(ErrorCode::NotFound, fmt::format("no {} named {} in this project",
                                                     kind == OutputKind::Render ? "render" : "export", name));
    }
    net::HttpResponse response;
    response.file = it->second.path;
    response.headers.set("Content-Type", std::string(net::mime_type(name)));
    response.headers.set("X-Content-Type-Options", "nosniff");
    response.headers.set("Cache-Control", "private, no-cache");
    if (request.query.contains("download") || kind == OutputKind::Export) {
        response.headers.set("Content-Disposition", content_disposition(name));
    }
    return response;
}

Result<net::HttpResponse> download(ApiContext& api, const net::HttpRequest& request) {
    return serve_output(api, request, request.params.at("name"), OutputKind::Render);
}

} // namespace

net::HttpResponse list_renders(ApiContext& api, const net::HttpRequest& request) {
    return respond(list(api, request));
}

net::HttpResponse download_render(ApiContext& api, const net::HttpRequest& request) {
    return respond(download(api, request));
}

Result<OutputFile> find_output(ApiContext& api, const std::string& user_id, const std::string& project_id,
                               const std::string& name) {
    for (const auto kind : {OutputKind::Render, OutputKind::Export}) {
        const auto outputs = ATELIER_TRY(find_outputs(api, user_id, project_id, kind));
        if (const auto it = outputs.find(name); it != outputs.end()) {
            std::string version;
            if (auto page = api.store().list_versions(user_id, project_id, {200, {}})) {
                version = made_from(page->items, it->second.modified);
            }
            return OutputFile{it->second.path, it->second.size, kind == OutputKind::Render ? "render" : "export",
                              version};
        }
    }
    return fail(ErrorCode::NotFound, fmt::format("no render or export named {} in that project", name));
}

std::optional<net::HttpResponse> download_output(ApiContext& api, const net::HttpRequest& request) {
    const std::string& path = request.params.at("path");
    if (request.query.contains("rev")) {
        return std::nullopt; // outputs are not versioned: a revision's file is in the repository
    }
    for (const auto kind : {OutputKind::Render, OutputKind::Export}) {
        const std::string prefix = kind == OutputKind::Render ? "renders/" : "exports/";
        if (path.starts_with(prefix)) {
            return respond(serve_output(api, request, path.substr(prefix.size()), kind));
        }
    }
    return std::nullopt;
}

} // namespace atelier::api
