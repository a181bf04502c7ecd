// SPDX-License-Identifier: Apache-2.0
#include "store/disk_space.h"

#include <sys/statvfs.h>

#include <cerrno>

#include <fmt/format.h>

namespace atelier::store {
namespace {

/// Below this the disk counts as full even when the failing call did not say ENOSPC: a loose
/// object, a ref lock or a WAL frame each need at least a page, and libgit2 may have swallowed
/// the errno.
constexpr std::uintmax_t kReserveBytes = 256 * 1024;

bool mentions_no_space(std::string_view detail) {
    return detail.find("No space left on device") != std::string_view::npos ||
           detail.find("Disk quota exceeded") != std::string_view::npos ||
           detail.find("database or disk is full") != std::string_view::npos;
}

} // namespace

std::optional<std::uintmax_t> free_bytes(const std::filesystem::path& path) {
    struct statvfs stats {};
    // The path itself may be the file that could not be created: walk up to what exists.
    std::filesystem::path probe = path;
    while (::statvfs(probe.c_str(), &stats) != 0) {
        if (!probe.has_parent_path() || probe.parent_path() == probe) {
            return std::nullopt;
        }
        probe = probe.parent_path();
    }
    return static_cast<std::uintmax_t>(stats.f_bavail) * stats.f_frsize;
}

bool disk_full(const std::filesystem::path& path, int saved_errno, std::string_view detail) {
    if (saved_errno == ENOSPC || saved_errno == EDQUOT || mentions_no_space(detail)) {
        return true;
    }
    const auto available = free_bytes(path);
    return available && *available < kReserveBytes;
}

Error write_failure(const std::filesystem::path& path, Error error, int saved_errno) {
    if (!disk_full(path, saved_errno, error.message)) {
        return error;
    }
    const auto available = free_bytes(path);
    return Error{ErrorCode::Unavailable,
                 fmt::format("the data disk is full ({} bytes free); nothing was saved, retry once space is freed ({})",
                             available.value_or(0), error.message)};
}

} // namespace atelier::store
