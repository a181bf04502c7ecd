// SPDX-License-Identifier: Apache-2.0
#include "launcher_test_support.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace atelier::engines::testing {

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return condition();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

bool wait_exit(const EngineProcess& process, std::chrono::milliseconds timeout) {
    return eventually([&] { return !process.running(); }, timeout);
}

bool process_dead(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) {
        return true;
    }
    std::string text;
    std::getline(stat, text);
    const auto close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z';
}

std::vector<pid_t> live_group_members(pid_t group) {
    std::vector<pid_t> members;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream stat(entry.path() / "stat");
        std::string text;
        std::getline(stat, text);
        const auto close = text.rfind(')');
        char state = 0;
        long parent = 0;
        long process_group = 0;
        if (close != std::string::npos &&
            std::sscanf(text.c_str() + close + 1, " %c %ld %ld", &state, &parent, &process_group) == 3 &&
            process_group == group && state != 'Z') {
            members.push_back(std::stoi(name));
        }
    }
    return members;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

LaunchSpec shell(const std::string& script, const std::filesystem::path& workdir) {
    LaunchSpec spec;
    spec.command = {"sh", "-c", script};
    spec.workdir = workdir;
    spec.log_file = workdir.parent_path() / "engine.log";
    return spec;
}

} // namespace atelier::engines::testing
