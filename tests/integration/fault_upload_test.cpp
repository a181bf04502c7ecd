// SPDX-License-Identifier: Apache-2.0
// Faults (issue 22 §2, docs/reliability.md): kills and a full disk during a streamed upload
// (PUT /api/projects/{id}/files/{path}, body streamed to <data>/uploads/*.part). A client killed
// mid-upload leaves no file in the project, no version and no partial file; a hub killed mid-upload
// leaves a partial file behind that the restarted hub removes, and the repository passes fsck; a
// data disk that fills while the body streams in fails the upload with a clear error, keeps nothing
// of it, goes on serving reads, and takes the same upload once space returns.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fault_support.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

using namespace std::chrono_literals;

/// Bytes in the partial uploads under `data_dir` (nullopt: none there).
std::optional<std::uintmax_t> partial_upload_bytes(const std::filesystem::path& data_dir) {
    std::error_code error;
    std::optional<std::uintmax_t> total;
    for (const auto& entry : std::filesystem::directory_iterator(data_dir / "uploads", error)) {
        total = total.value_or(0) + entry.file_size(error);
    }
    return total;
}

/// A child process that uploads `announced` bytes to `path` and never finishes: it sends the head
/// and then body bytes until it is killed.
pid_t start_endless_upload(std::uint16_t port, const std::string& bearer, const std::string& project,
                           const std::string& path, std::size_t announced) {
    const std::string head = "PUT /api/projects/" + project + "/files/" + path +
                             " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + bearer +
                             "\r\nContent-Length: " + std::to_string(announced) + "\r\n\r\n";
    const pid_t child = ::fork();
    if (child == 0) {
        const int fd = connect_tcp(port);
        if (fd < 0 || ::send(fd, head.data(), head.size(), MSG_NOSIGNAL) < 0) {
            ::_exit(3);
        }
        const std::string chunk(64 * 1024, 'u');
        // Far fewer bytes than announced: the upload can only end by the kill.
        for (std::size_t sent = 0; sent + chunk.size() < announced / 2;) {
            const ssize_t wrote = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
            if (wrote <= 0) {
                ::_exit(4);
            }
            sent += static_cast<std::size_t>(wrote);
        }
        ::pause();
        ::_exit(0);
    }
    return child;
}

void kill_and_reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
}

/// Streams a `size`-byte PUT to `path` on a raw connection, reading while it sends: returns the
/// whole answer (status line, head, body) as soon as the hub answers, whether or not the body was
/// all sent, so an early refusal is read before the connection goes.
std::string upload_reading_early(std::uint16_t port, const std::string& bearer, const std::string& target,
                                 std::size_t size) {
    const int fd = connect_tcp(port);
    if (fd < 0) {
        return "connect failed";
    }
    const std::string head = "PUT " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + bearer +
                             "\r\nConnection: close\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
    bool sending = ::send(fd, head.data(), head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head.size());
    const std::string chunk(64 * 1024, 'f');
    std::size_t sent = 0;
    std::string answer;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd wait{fd, static_cast<short>(POLLIN | (sending && sent < size ? POLLOUT : 0)), 0};
        if (::poll(&wait, 1, 1000) <= 0) {
            continue;
        }
        if ((wait.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            char buffer[4096];
            const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
            if (got <= 0) {
                break; // the hub closed (after its answer, when there is one)
            }
            answer.append(buffer, static_cast<std::size_t>(got));
            continue;
        }
        const ssize_t wrote =
            ::send(fd, chunk.data(), std::min(chunk.size(), size - sent), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (wrote > 0) {
            sent += static_cast<std::size_t>(wrote);
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            sending = false; // the hub stopped reading; its answer may still be there to read
        }
    }
    ::close(fd);
    return answer;
}

class FaultUpload : public SessionTest {};

TEST_F(FaultUpload, ADiskThatFillsMidUploadFailsItClearlyKeepsNothingAndRecovers) {
    SmallDisk disk(48);
    if (!disk.error().empty()) {
        GTEST_SKIP() << "cannot mount a tmpfs for the disk-full test (needs root): " << disk.error();
    }
    std::filesystem::create_directories(disk.path());
    hub = HubProcess::start(
        {.args = {"--config", write_fault_config(config_dir.path()).string()}, .data_dir = disk.path()});
    const std::string project = create_project(auth());
    const auto before = listed_versions(hub->port(), hub->token(), project);
    const std::string target = "/api/projects/" + project + "/files/assets/big.bin";
    // About 4 MB left: a 32 MB upload runs out of space while its body streams in.
    disk.fill_leaving(4 << 20);

    const std::string answer = upload_reading_early(hub->port(), hub->bearer(), target, 32 << 20);
    EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0U) << answer << hub->log();
    EXPECT_NE(answer.find("the data disk is full"), std::string::npos) << answer;
    EXPECT_NE(answer.find("nothing was saved"), std::string::npos) << answer;

    // Nothing of it stays: no partial file, no version, no file at the path.
    EXPECT_TRUE(eventually([&] { return partial_upload_bytes(disk.path()).value_or(0) == 0; }, 60s))
        << "a partial upload stayed behind: " << partial_upload_bytes(disk.path()).value_or(0) << " bytes";
    EXPECT_EQ(listed_versions(hub->port(), hub->token(), project), before);
    EXPECT_EQ(rest(hub->port(), hub->token(), "GET", target).status, 404);
    // Reads go on while the disk is full.
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/health").status, 200);
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects", auth()).status, 200);
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth()).status, 200);

    // Space returns: the same upload works, without a restart, and reads back whole.
    disk.free_space();
    const std::string content = random_bytes(3 << 20, 7);
    const auto whole = http_request(hub->port(), "PUT", target, auth(), content);
    EXPECT_EQ(whole.status, 201) << whole.body;
    const auto downloaded = http_request(hub->port(), "GET", target, auth());
    EXPECT_EQ(downloaded.status, 200);
    EXPECT_TRUE(downloaded.body == content) << downloaded.body.size() << " bytes read back";
    EXPECT_EQ(listed_versions(hub->port(), hub->token(), project).size(), before.size() + 1);
    hub.reset();
    const auto check = fsck(disk.path(), project);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(FaultUpload, AClientKilledMidUploadLeavesNoFileNoVersionAndNoPartialFile) {
    start_test_hub();
    const std::string project = create_project(auth());
    const auto before = listed_versions(hub->port(), hub->token(), project);
    const pid_t uploader = start_endless_upload(hub->port(), hub->bearer(), project, "assets/big.bin", 64 << 20);
    ASSERT_GT(uploader, 0);
    // The hub is streaming it to disk: then the client dies.
    ASSERT_TRUE(eventually([&] { return partial_upload_bytes(hub->data_dir()).value_or(0) > (1U << 20); }, 60s))
        << hub->log();
    kill_and_reap(uploader);

    EXPECT_TRUE(eventually(
        [&] {
            return !partial_upload_bytes(hub->data_dir()).has_value() || partial_upload_bytes(hub->data_dir()) == 0U;
        },
        60s))
        << "a partial upload stayed behind: " << partial_upload_bytes(hub->data_dir()).value_or(0) << " bytes";
    EXPECT_EQ(listed_versions(hub->port(), hub->token(), project), before);
    EXPECT_EQ(rest(hub->port(), hub->token(), "GET", "/api/projects/" + project + "/files/assets/big.bin").status, 404);
    // The same upload, whole, then works.
    const auto whole = http_request(hub->port(), "PUT", "/api/projects/" + project + "/files/assets/big.bin", auth(),
                                    std::string(3 << 20, 'w'));
    EXPECT_EQ(whole.status, 201) << whole.body;
}

TEST_F(FaultUpload, AHubKilledMidUploadLeavesNoPartialFileAfterRestartAndNoVersion) {
    TempDir data;
    const auto file = write_fault_config(config_dir.path());
    hub = HubProcess::start({.args = {"--config", file.string()}, .data_dir = data.path()});
    const std::string project = create_project(auth());
    const auto before = listed_versions(hub->port(), hub->token(), project);
    const pid_t uploader = start_endless_upload(hub->port(), hub->bearer(), project, "big.bin", 64 << 20);
    ASSERT_GT(uploader, 0);
    ASSERT_TRUE(eventually([&] { return partial_upload_bytes(data.path()).value_or(0) > (1U << 20); }, 60s))
        << hub->log();
    EXPECT_TRUE(hub->stop(SIGKILL, 10s).has_value());
    kill_and_reap(uploader);
    ASSERT_GT(partial_upload_bytes(data.path()).value_or(0), 0U) << "kill -9 left no partial upload to clean up";

    hub = HubProcess::start({.args = {"--config", file.string()}, .data_dir = data.path()});
    EXPECT_EQ(partial_upload_bytes(data.path()).value_or(0), 0U) << "the restarted hub kept a dead upload's bytes";
    EXPECT_EQ(listed_versions(hub->port(), hub->token(), project), before);
    EXPECT_EQ(rest(hub->port(), hub->token(), "GET", "/api/projects/" + project + "/files/big.bin").status, 404);
    const auto whole =
        http_request(hub->port(), "PUT", "/api/projects/" + project + "/files/big.bin", auth(), "whole now");
    EXPECT_EQ(whole.status, 201) << whole.body;
    hub.reset();
    const auto check = fsck(data.path(), project);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

} // namespace
} // namespace atelier::testing
