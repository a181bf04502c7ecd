// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>

#include "api/api_context.h"
#include "net/http_types.h"
#include "store/version_thumbnails.h"

namespace atelier::api {

/// The pictures of a project's versions (store::VersionThumbnails, taken by the sessions when a
/// version is committed; docs/api.md "Thumbnails"). Read-only; thread-safe like ApiContext.
class ThumbnailsApi {
public:
    /// `root`: `<data>/thumbnails`, where the sessions keep the pictures.
    ThumbnailsApi(ApiContext& api, std::filesystem::path root) : m_api(api), m_thumbnails(std::move(root)) {}

    /// GET /api/projects/{id}/versions/{rev}/thumbnail — the viewport as it was when `rev` was
    /// made (JPEG, WebP or PNG, as the engine sent it); 404 when the version has none.
    [[nodiscard]] net::HttpResponse version(const net::HttpRequest& request) const;
    /// GET /api/projects/{id}/thumbnails — which versions have a picture, newest first:
    /// `{"items": [{"rev", "url"}], "newest": url or null}` (the studio asks this rather than
    /// loading pictures that are not there).
    [[nodiscard]] net::HttpResponse list(const net::HttpRequest& request) const;
    /// GET /api/projects/{id}/thumbnail — the newest version picture (project cards); 404: none.
    [[nodiscard]] net::HttpResponse newest(const net::HttpRequest& request) const;

private:
    ApiContext& m_api;
    store::VersionThumbnails m_thumbnails;
};

} // namespace atelier::api
