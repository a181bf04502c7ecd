// SPDX-License-Identifier: Apache-2.0
// SessionManager, the versions' pictures: when a commit makes a version, the viewport frame the
// engine sent last (it sends a frame after each change, before it answers the save that precedes
// the commit) is kept as that version's picture in <data>/thumbnails (store::VersionThumbnails),
// served by GET /api/projects/{id}/versions/{rev}/thumbnail (src/api/thumbnails_api).

#include <spdlog/spdlog.h>

#include "protocol/frame_header.h"
#include "sessions/session_manager.h"
#include "sessions/session_text.h"
#include "store/version_thumbnails.h"

namespace atelier::sessions {

namespace {

std::string_view extension_of(protocol::FrameCodec codec) {
    switch (codec) {
    case protocol::FrameCodec::Jpeg:
        return "jpg";
    case protocol::FrameCodec::WebP:
        return "webp";
    case protocol::FrameCodec::Png:
        return "png";
    }
    return "";
}

} // namespace

void SessionManager::keep_thumbnail(Session& session, const std::string& revision) {
    if (m_options.thumbnails_dir.empty()) {
        return;
    }
    const std::string frame = session.frame();
    if (frame.empty()) {
        return; // an engine without a viewport (Remotion's preview is a page): no picture
    }
    const auto header = protocol::decode_frame_header(frame);
    if (!header) {
        return;
    }
    const std::string_view image = std::string_view(frame).substr(protocol::kFrameHeaderSize);
    if (auto kept = store::VersionThumbnails(m_options.thumbnails_dir)
                        .put(session.project_id, revision, image, extension_of(header->codec));
        !kept) {
        spdlog::warn("session {} (project {}): version {} has no picture: {}", short_id(session.id),
                     short_id(session.project_id), revision.substr(0, 10), kept.error().message);
    }
}

} // namespace atelier::sessions
