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

/// Every finished render of the project by name; a live session's copy wins over a kept one.
Result<std::map<std::string, Render>> find_renders(ApiContext& api, const net::HttpRequest& request) {
    const std::string& id = request.params.at("id");
    ATELIER_TRY(api.store().get_project(request.subject, id)); // 404 for someone else's project
    std::map<std::string, Render> renders;
    if (!api.render_dirs) {
        return renders;
    }
    const auto dirs = api.render_dirs(request.subject, id);
    for (std::size_t index = 0; index < dirs.size(); ++index) {
        const bool live = index + 1 < dirs.size(); // the last one holds the kept renders
        std::error_code error;
        for (const auto& entry : fs::directory_iterator(dirs[index], error)) {
            const std::string name = entry.path().filename().string();
            if (!entry.is_regular_file() || unfinished(name) || renders.contains(name)) {
                continue;
            }
            renders[name] = Render{entry.path(), entry.file_size(error), modified_ms(entry), live};
        }
    }
    return renders;
}

Result<net::HttpResponse> list(ApiContext& api, const net::HttpRequest& request) {
    const auto renders = ATELIER_TRY(find_renders(api, request));
    std::vector<std::pair<std::string, Render>> sorted(renders.begin(), renders.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.second.modified != b.second.modified ? a.second.modified > b.second.modified : a.first < b.first;
    });
    nlohmann::json items = nlohmann::json::array();
    for (const auto& [name, render] : sorted) {
        items.push_back(
            {{"name", name},
             {"size", render.size},
             {"modified", render.modified},
             {"live", render.live},
             {"url", fmt::format("/api/projects/{}/renders/{}", request.params.at("id"), url_segment(name))}});
    }
    return json_response(200, {{"renders", items}});
}

Result<net::HttpResponse> download(ApiContext& api, const net::HttpRequest& request) {
    const std::string& name = request.params.at("name");
    if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == "." || name == "..") {
        return fail(ErrorCode::InvalidArgument, "a render is named by its file name alone (no '/', '..' or '\\')");
    }
    const auto renders = ATELIER_TRY(find_renders(api, request));
    const auto it = renders.find(name);
    if (it == renders.end()) {
        return fail(ErrorCode::NotFound, fmt::format("no render named {} in this project", name));
    }
    net::HttpResponse response;
    response.file = it->second.path;
    response.headers.set("Content-Type", std::string(net::mime_type(name)));
    response.headers.set("X-Content-Type-Options", "nosniff");
    response.headers.set("Cache-Control", "private, no-cache");
    if (request.query.contains("download")) {
        response.headers.set("Content-Disposition", content_disposition(name));
    }
    return response;
}

} // namespace

net::HttpResponse list_renders(ApiContext& api, const net::HttpRequest& request) {
    return respond(list(api, request));
}

net::HttpResponse download_render(ApiContext& api, const net::HttpRequest& request) {
    return respond(download(api, request));
}

} // namespace atelier::api
