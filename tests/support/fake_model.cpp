// SPDX-License-Identifier: Apache-2.0
#include "fake_model.h"
#include "atelier/source_dir.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "clients.h"

namespace atelier::testing {

std::unique_ptr<FakeModelServer> FakeModelServer::start(std::string* error) {
    const std::string script = std::string(ATELIER_SOURCE_DIR) + "/tests/support/fake_model_server.py";
    int out[2];
    if (pipe(out) != 0) {
        return nullptr;
    }
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        ::close(out[0]);
        ::close(out[1]);
        execl("/usr/bin/python3", "python3", script.c_str(), "--port", "0", static_cast<char*>(nullptr));
        _exit(127);
    }
    ::close(out[1]);
    std::unique_ptr<FakeModelServer> server(new FakeModelServer());
    server->m_pid = pid;
    // The first line is "fake model listening on PORT".
    std::string line;
    pollfd poll_fd{out[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos && ::poll(&poll_fd, 1, 20'000) > 0) {
        char buffer[256];
        const auto got = ::read(out[0], buffer, sizeof(buffer));
        if (got <= 0) {
            break;
        }
        line.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(out[0]);
    const std::string prefix = "fake model listening on ";
    const auto at = line.find(prefix);
    if (at == std::string::npos) {
        if (error != nullptr) {
            *error = "the fake model server did not start: " + line;
        }
        return nullptr;
    }
    server->m_port = static_cast<std::uint16_t>(std::stoi(line.substr(at + prefix.size())));
    return server;
}

FakeModelServer::~FakeModelServer() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
    }
}

std::string FakeModelServer::base_url() const {
    return "http://127.0.0.1:" + std::to_string(m_port);
}

bool FakeModelServer::script(const nlohmann::json& script) {
    const auto response =
        http_request(m_port, "POST", "/_script", {{"Content-Type", "application/json"}}, script.dump());
    return response.status == 200;
}

nlohmann::json FakeModelServer::requests() const {
    const auto response = http_request(m_port, "GET", "/_requests");
    auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    return parsed.is_discarded() ? nlohmann::json::array() : parsed;
}

} // namespace atelier::testing
