// SPDX-License-Identifier: Apache-2.0
#include <fstream>

#include <gtest/gtest.h>

#include "hub_process.h"
#include "net/static_files.h"

namespace atelier::net {
namespace {
namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        root = dir.path() / "dist";
        fs::create_directories(root / "assets");
        std::ofstream(root / "index.html") << "<html>app</html>";
        std::ofstream(root / "assets" / "app-1234.js") << "console.log(1)";
        std::ofstream(root / "assets" / "app-1234.js.gz") << "gzipped";
        std::ofstream(dir.path() / "secret.txt") << "secret";
        fs::create_symlink(dir.path() / "secret.txt", root / "leak.txt");
        fs::create_directory_symlink("/etc", root / "etc");
    }

    HttpResponse get(const std::string& path, const std::map<std::string, std::string>& headers = {}) {
        HttpRequest request;
        request.method = "GET";
        request.path = path;
        for (const auto& [name, value] : headers) {
            request.headers.add(name, value);
        }
        return StaticFiles(root).serve(request);
    }

    testing::TempDir dir;
    fs::path root;
};

TEST_F(StaticFilesTest, ServesIndexForTheRoot) {
    const auto response = get("/");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.file.filename(), "index.html");
    EXPECT_EQ(response.headers.get("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(response.headers.get("Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, ServesAssetsWithTheirMimeTypeAndLongCaching) {
    const auto response = get("/assets/app-1234.js");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_NE(response.headers.get("Cache-Control").find("immutable"), std::string_view::npos);
}

TEST_F(StaticFilesTest, AnswersNotModifiedForAMatchingETag) {
    const auto first = get("/assets/app-1234.js");
    const std::string etag(first.headers.get("ETag"));
    ASSERT_FALSE(etag.empty());
    const auto second = get("/assets/app-1234.js", {{"If-None-Match", etag}});
    EXPECT_EQ(second.status, 304);
    EXPECT_TRUE(second.file.empty());
}

TEST_F(StaticFilesTest, ServesThePrecompressedFileWhenGzipIsAccepted) {
    const auto response = get("/assets/app-1234.js", {{"Accept-Encoding", "gzip, br"}});
    EXPECT_EQ(response.headers.get("Content-Encoding"), "gzip");
    EXPECT_EQ(response.file.filename(), "app-1234.js.gz");
    EXPECT_EQ(response.headers.get("Content-Type"), "text/javascript; charset=utf-8");
    const auto plain = get("/assets/app-1234.js");
    EXPECT_EQ(plain.headers.get("Content-Encoding"), "");
}

TEST_F(StaticFilesTest, FallsBackToIndexForClientSideRoutes) {
    const auto response = get("/projects/42");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.file.filename(), "index.html");
}

TEST_F(StaticFilesTest, AnswersNotFoundForMissingFilesWithAnExtension) {
    EXPECT_EQ(get("/assets/missing.js").status, 404);
}

TEST_F(StaticFilesTest, RefusesDotDotSegments) {
    EXPECT_EQ(get("/../secret.txt").status, 404);
    EXPECT_EQ(get("/assets/../../secret.txt").status, 404);
}

TEST_F(StaticFilesTest, RefusesSymlinksThatLeaveTheRoot) {
    EXPECT_EQ(get("/leak.txt").status, 404);
    EXPECT_EQ(get("/etc/hostname").status, 404);
}

} // namespace
} // namespace atelier::net
