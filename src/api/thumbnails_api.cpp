// SPDX-License-Identifier: Apache-2.0
#include "api/thumbnails_api.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_request.h"
#include "api/versions_api.h"
#include "net/static_files.h"

namespace atelier::api {

namespace {

/// The picture as a response. A version's picture never changes once taken, so browsers may keep
/// it; the newest one changes with every version.
net::HttpResponse picture(const std::filesystem::path& file, const char* cache_control) {
    net::HttpResponse response;
    response.file = file;
    response.headers.set("Content-Type", std::string(net::mime_type(file)));
    response.headers.set("X-Content-Type-Options", "nosniff");
    response.headers.set("Cache-Control", cache_control);
    return response;
}

} // namespace

net::HttpResponse ThumbnailsApi::version(const net::HttpRequest& request) const {
    return respond([&]() -> Result<net::HttpResponse> {
        const std::string& id = request.params.at("id");
        const std::string& revision = request.params.at("rev");
        ATELIER_TRY(check_revision(revision, "rev"));
        // Ownership first: another user's project answers exactly like a missing one.
        ATELIER_TRY(m_api.store().get_project(request.subject, id));
        const auto file = m_thumbnails.find(id, revision);
        if (!file) {
            return fail(ErrorCode::NotFound, fmt::format("version {} has no picture", revision));
        }
        return picture(*file, "private, max-age=86400");
    }());
}

net::HttpResponse ThumbnailsApi::list(const net::HttpRequest& request) const {
    return respond([&]() -> Result<net::HttpResponse> {
        const std::string& id = request.params.at("id");
        ATELIER_TRY(m_api.store().get_project(request.subject, id));
        nlohmann::json items = nlohmann::json::array();
        for (const auto& picture : m_thumbnails.list(id)) {
            items.push_back({{"rev", picture.revision},
                             {"url", fmt::format("/api/projects/{}/versions/{}/thumbnail", id, picture.revision)}});
        }
        nlohmann::json newest = items.empty() ? nlohmann::json(nullptr) : items[0]["url"];
        return json_response(200, {{"items", std::move(items)}, {"newest", std::move(newest)}});
    }());
}

net::HttpResponse ThumbnailsApi::newest(const net::HttpRequest& request) const {
    return respond([&]() -> Result<net::HttpResponse> {
        const std::string& id = request.params.at("id");
        ATELIER_TRY(m_api.store().get_project(request.subject, id));
        const auto file = m_thumbnails.newest(id);
        if (!file) {
            return fail(ErrorCode::NotFound, "this project has no picture yet");
        }
        return picture(*file, "private, no-cache");
    }());
}

} // namespace atelier::api
