// SPDX-License-Identifier: Apache-2.0
#pragma once

// Starts the Kubernetes API test double (k8s_api_double.py, a double, not Kubernetes) for a test and
// writes a kubeconfig pointing at it. Shared by tests/engines and tests/integration.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "atelier/source_dir.h"

namespace atelier::testing {

class K8sDouble {
public:
    /// Starts the double on a free loopback port; `kubeconfig` is written beside `dir`.
    explicit K8sDouble(const std::filesystem::path& dir) {
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe failed");
        }
        const std::string script = std::string(ATELIER_SOURCE_DIR) + "/tests/k8s_double/k8s_api_double.py";
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(out[1], 1);
            ::setpgid(0, 0);
            ::execl("/usr/bin/python3", "python3", script.c_str(), "--port", "0", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(out[1]);
        // The first line names the port; the double prints it once it listens.
        std::string line;
        char c = 0;
        while (::read(out[0], &c, 1) == 1 && c != '\n') {
            line.push_back(c);
        }
        ::close(out[0]);
        const auto colon = line.rfind(':');
        if (line.find("k8s double listening on") != 0 || colon == std::string::npos) {
            throw std::runtime_error("the k8s API double did not start: " + line);
        }
        m_url = line.substr(line.find("http://"));
        m_kubeconfig = dir / "kubeconfig";
        std::ofstream(m_kubeconfig) << "apiVersion: v1\nkind: Config\n"
                                    << "clusters:\n- name: double\n  cluster:\n    server: " << m_url << "\n"
                                    << "users:\n- name: tester\n  user:\n    token: test-token\n"
                                    << "contexts:\n- name: double\n  context:\n    cluster: double\n"
                                    << "    user: tester\n    namespace: default\n"
                                    << "current-context: double\n";
    }
    ~K8sDouble() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
        }
    }
    K8sDouble(const K8sDouble&) = delete;
    K8sDouble& operator=(const K8sDouble&) = delete;

    [[nodiscard]] const std::string& url() const { return m_url; }
    [[nodiscard]] const std::filesystem::path& kubeconfig() const { return m_kubeconfig; }

private:
    pid_t m_pid = -1;
    std::string m_url;
    std::filesystem::path m_kubeconfig;
};

/// The kubectl on PATH (Debian's kubernetes-client, or any other), or "" when there is none.
inline std::string find_kubectl() {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const auto end = dirs.find(':', start);
        const auto candidate =
            std::filesystem::path(dirs.substr(start, end == std::string::npos ? std::string::npos : end - start)) /
            "kubectl";
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate.string();
        }
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return {};
}

} // namespace atelier::testing
