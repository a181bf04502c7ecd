// SPDX-License-Identifier: Apache-2.0
// Faults (issue 22 §2, docs/reliability.md): kills during a streamed upload
// (PUT /api/projects/{id}/files/{path}, body streamed to <data>/uploads/*.part). A client killed
// mid-upload leaves no file in the project, no version and no partial file; a hub killed mid-upload
// leaves a partial file behind that the restarted hub removes, and the repository passes fsck.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fault_support.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& condition, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return condition();
}

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
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::send(fd, head.data(), head.size(), MSG_NOSIGNAL) < 0) {
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

class FaultUpload : public SessionTest {};

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
    const auto file = config_dir.path() / "atelier.toml";
    std::ofstream(file) << "[engines.test]\ncommand = [\"" << test_engine_binary() << "\"]\n";
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
