// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace atelier::store {

/// Internal to the store module: telling "the disk is full" apart from other write failures.
///
/// libgit2 does not always say why a write failed (1.5's git_commit_create even reports success
/// after its object write failed with ENOSPC), and the message it keeps names a temporary file,
/// not the cause. So when a write into the data dir fails, the store asks the file system.

/// Bytes an unprivileged writer may still use on the file system holding `path`; nullopt when
/// statvfs fails.
[[nodiscard]] std::optional<std::uintmax_t> free_bytes(const std::filesystem::path& path);

/// Whether a failed write at `path` is the disk running out of space: ENOSPC or EDQUOT in
/// `saved_errno` or in `detail` (libgit2's and SQLite's messages), or less than a small reserve
/// free on the file system.
[[nodiscard]] bool disk_full(const std::filesystem::path& path, int saved_errno, std::string_view detail);

/// `error` from a write at `path`, turned into Unavailable (503, retry once space returns) with a
/// message that says the data disk is full when it is; other errors pass through unchanged.
[[nodiscard]] Error write_failure(const std::filesystem::path& path, Error error, int saved_errno);

} // namespace atelier::store
