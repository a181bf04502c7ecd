// SPDX-License-Identifier: Apache-2.0
// A configuration file (`atelier serve --config`), through load_config: the TOML parser and every
// option's checks. The input is written to a memory file each run. Properties: nothing throws; a
// refused file gets a one-line message naming the file; an accepted one has values inside the
// documented bounds.
#include <cstdio>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"
#include "fuzz_check.h"

using namespace atelier;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const int fd = ::memfd_create("atelier-fuzz-config", 0);
    ATELIER_FUZZ_CHECK(fd >= 0);
    ATELIER_FUZZ_CHECK(::ftruncate(fd, 0) == 0);
    ATELIER_FUZZ_CHECK(::pwrite(fd, data, size, 0) == static_cast<ssize_t>(size));
    const std::string path = "/proc/self/fd/" + std::to_string(fd);

    auto config = load_config(ConfigSources{.file = path});
    if (!config) {
        if (config.error().message.find('\n') != std::string::npos) {
            std::fprintf(stderr, "message: %s\n", config.error().message.c_str());
        }
        ATELIER_FUZZ_CHECK(config.error().message.find('\n') == std::string::npos);
        ATELIER_FUZZ_CHECK(!config.error().message.empty());
        return 0;
    }
    for (const auto& spec : config_options()) {
        (void)option_value_text(*config, spec);
    }
    ATELIER_FUZZ_CHECK(config->port >= 0 && config->port <= 65535);
    ATELIER_FUZZ_CHECK(config->max_body_bytes >= 1 && config->max_header_bytes >= 1024);
    return 0;
}
