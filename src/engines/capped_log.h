// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"

namespace atelier::engines {

/// An engine's output on disk with a size cap, plus its last 64 KiB in memory. Writes go to `path`
/// until it holds half the limit; then it becomes `path.1` (replacing the older half) and a fresh
/// `path` starts. So the disk never holds more than the limit, and the newest output is always
/// there to read. Thread-safe.
class CappedLog {
public:
    /// Creates or truncates `path` (and removes a stale `path.1`). An empty path keeps the tail in
    /// memory only.
    [[nodiscard]] static Result<std::unique_ptr<CappedLog>> open(std::filesystem::path path, std::size_t limit_bytes);
    ~CappedLog();
    CappedLog(const CappedLog&) = delete;
    CappedLog& operator=(const CappedLog&) = delete;

    /// Appends output. A failing disk write is reported once on the hub's log and then the disk
    /// copy stops; the in-memory tail goes on.
    void append(std::string_view bytes);

    /// The last `lines` lines (an unterminated last line counts), at most the in-memory 64 KiB.
    [[nodiscard]] std::string tail(std::size_t lines) const;

    /// The in-memory window.
    static constexpr std::size_t kTailBytes = 64 << 10;

private:
    CappedLog(std::filesystem::path path, std::size_t half, int fd);
    void write_to_disk(std::string_view bytes);
    void rotate();

    std::filesystem::path m_path;
    std::size_t m_half;
    int m_fd;
    std::size_t m_size = 0;
    mutable std::mutex m_mutex;
    std::string m_tail;
};

} // namespace atelier::engines
