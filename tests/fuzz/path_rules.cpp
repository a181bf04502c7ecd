// SPDX-License-Identifier: Apache-2.0
// Paths a client names: a project file (`/api/projects/{id}/files/{path*}`, uploads), checked by
// store::check_relative_path, and a static file of the web app, served by net::StaticFiles from a
// small root holding a file, a directory and a symlink that points outside it. Properties: an
// accepted project path, joined to a root, stays under it; StaticFiles serves only regular files
// inside its root.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "fuzz_check.h"
#include "net/static_files.h"
#include "store/repo_tree.h"

using namespace atelier;
namespace fs = std::filesystem;

namespace {

const net::StaticFiles& static_files() {
    static const net::StaticFiles files = [] {
        const fs::path root = fs::temp_directory_path() / ("atelier-fuzz-static-" + std::to_string(::getpid()));
        fs::create_directories(root / "assets");
        std::ofstream(root / "index.html") << "<!doctype html>";
        std::ofstream(root / "assets" / "app.js") << "1";
        std::ofstream(root.parent_path() / ("atelier-fuzz-secret-" + std::to_string(::getpid()))) << "secret";
        std::error_code ignored;
        fs::create_symlink("../atelier-fuzz-secret-" + std::to_string(::getpid()), root / "leak.txt", ignored);
        std::atexit([] {
            const fs::path temp = fs::temp_directory_path();
            std::error_code ignored_too;
            fs::remove_all(temp / ("atelier-fuzz-static-" + std::to_string(::getpid())), ignored_too);
            fs::remove(temp / ("atelier-fuzz-secret-" + std::to_string(::getpid())), ignored_too);
        });
        return net::StaticFiles(root);
    }();
    return files;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view path = atelier::fuzz::as_text(data, size);
    if (store::check_relative_path(path)) {
        const fs::path root = "/project";
        const fs::path joined = (root / fs::path(path)).lexically_normal();
        ATELIER_FUZZ_CHECK(joined.string().starts_with("/project/"));
        for (const auto& part : joined.lexically_relative(root)) {
            ATELIER_FUZZ_CHECK(part != ".." && part != "." && !part.empty());
        }
    }

    net::HttpRequest request;
    request.method = "GET";
    request.path = "/" + std::string(path);
    const auto response = static_files().serve(request);
    if (!response.file.empty()) {
        std::error_code error;
        const fs::path served = fs::canonical(response.file, error);
        ATELIER_FUZZ_CHECK(!error);
        const auto& root = static_files().root();
        ATELIER_FUZZ_CHECK(served.string().starts_with(root.string() + "/"));
        ATELIER_FUZZ_CHECK(fs::is_regular_file(served));
    }
    return 0;
}
