// SPDX-License-Identifier: Apache-2.0
#include "engines/capped_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace atelier::engines {
namespace {

int open_log(const std::filesystem::path& path) {
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
}

std::filesystem::path older_half(const std::filesystem::path& path) {
    return std::filesystem::path(path.string() + ".1");
}

} // namespace

CappedLog::CappedLog(std::filesystem::path path, std::size_t half, int fd)
    : m_path(std::move(path)), m_half(half), m_fd(fd) {}

CappedLog::~CappedLog() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

Result<std::unique_ptr<CappedLog>> CappedLog::open(std::filesystem::path path, std::size_t limit_bytes) {
    // Half for each file; at least one byte so a tiny limit still rotates instead of stalling.
    const std::size_t half = std::max<std::size_t>(limit_bytes / 2, 1);
    if (path.empty()) {
        return std::unique_ptr<CappedLog>(new CappedLog(std::move(path), half, -1));
    }
    const int fd = open_log(path);
    if (fd < 0) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("cannot open the engine log {}: {}", path.string(), std::strerror(errno)));
    }
    std::error_code ignored;
    std::filesystem::remove(older_half(path), ignored);
    return std::unique_ptr<CappedLog>(new CappedLog(std::move(path), half, fd));
}

void CappedLog::append(std::string_view bytes) {
    const std::lock_guard lock(m_mutex);
    write_to_disk(bytes);
    if (bytes.size() >= kTailBytes) {
        m_tail.assign(bytes.substr(bytes.size() - kTailBytes));
    } else {
        m_tail.append(bytes);
        if (m_tail.size() > kTailBytes) {
            m_tail.erase(0, m_tail.size() - kTailBytes);
        }
    }
}

void CappedLog::write_to_disk(std::string_view bytes) {
    while (!bytes.empty() && m_fd >= 0) {
        if (m_size >= m_half) {
            rotate();
            continue;
        }
        const auto room = std::min(bytes.size(), m_half - m_size);
        const auto written = ::write(m_fd, bytes.data(), room);
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            spdlog::warn("engine log {}: write failed ({}); keeping only the in-memory tail", m_path.string(),
                         written < 0 ? std::strerror(errno) : "no progress");
            ::close(m_fd);
            m_fd = -1;
            return;
        }
        m_size += static_cast<std::size_t>(written);
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
}

void CappedLog::rotate() {
    ::close(m_fd);
    std::error_code error;
    std::filesystem::rename(m_path, older_half(m_path), error);
    m_fd = open_log(m_path);
    m_size = 0;
    if (error || m_fd < 0) {
        spdlog::warn("engine log {}: rotation failed ({}); keeping only the in-memory tail", m_path.string(),
                     error ? error.message() : std::strerror(errno));
        if (m_fd >= 0) {
            ::close(m_fd);
            m_fd = -1;
        }
    }
}

std::string CappedLog::tail(std::size_t lines) const {
    const std::lock_guard lock(m_mutex);
    if (lines == 0 || m_tail.empty()) {
        return {};
    }
    // Walk back over `lines` line ends; a final newline ends the last line, it does not start one.
    std::size_t end = m_tail.size();
    if (m_tail.back() == '\n') {
        --end;
    }
    std::size_t start = end;
    for (std::size_t found = 0; start > 0; --start) {
        if (m_tail[start - 1] == '\n' && ++found == lines) {
            break;
        }
    }
    return m_tail.substr(start);
}

} // namespace atelier::engines
