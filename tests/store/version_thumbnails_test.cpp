// SPDX-License-Identifier: Apache-2.0
#include "store/version_thumbnails.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace atelier::store {
namespace {

namespace fs = std::filesystem;

const std::string kProject = "7c1e2f3a-0000-4000-8000-000000000001";
const std::string kFirst(40, 'a');
const std::string kSecond = std::string(10, 'a') + std::string(30, 'b');

class VersionThumbnailsTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "atelier-thumbnails-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        m_root = pattern;
    }
    void TearDown() override {
        std::error_code error;
        fs::remove_all(m_root, error);
    }
    static std::string read(const fs::path& file) {
        std::ifstream in(file, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    fs::path m_root;
};

TEST_F(VersionThumbnailsTest, KeepsAPicturePerVersionAndFindsItByAnUnambiguousPrefix) {
    const VersionThumbnails thumbnails(m_root / "thumbnails");
    ASSERT_TRUE(thumbnails.put(kProject, kFirst, "first", "jpg"));
    ASSERT_TRUE(thumbnails.put(kProject, kSecond, "second", "png"));
    EXPECT_EQ(read(*thumbnails.find(kProject, kFirst)), "first");
    EXPECT_EQ(read(*thumbnails.find(kProject, kSecond.substr(0, 12))), "second");
    EXPECT_EQ(thumbnails.find(kProject, kSecond.substr(0, 12))->extension(), ".png");
    EXPECT_FALSE(thumbnails.find(kProject, "aaaaaaaa")); // both start so: ambiguous
    EXPECT_FALSE(thumbnails.find(kProject, "cccc"));
    EXPECT_FALSE(thumbnails.find("other-project", kFirst.substr(0, 8)));
}

TEST_F(VersionThumbnailsTest, ListsTheNewestFirstAndAReplacedPictureLeavesNoOtherFormatBehind) {
    const VersionThumbnails thumbnails(m_root);
    ASSERT_TRUE(thumbnails.put(kProject, kFirst, "first", "jpg"));
    ASSERT_TRUE(thumbnails.put(kProject, kSecond, "second", "jpg"));
    auto pictures = thumbnails.list(kProject);
    ASSERT_EQ(pictures.size(), 2U);
    EXPECT_EQ(pictures[0].revision, kSecond);
    EXPECT_EQ(read(*thumbnails.newest(kProject)), "second");

    ASSERT_TRUE(thumbnails.put(kProject, kFirst, "first again", "webp"));
    pictures = thumbnails.list(kProject);
    ASSERT_EQ(pictures.size(), 2U);
    EXPECT_EQ(pictures[0].revision, kFirst);
    EXPECT_EQ(read(*thumbnails.find(kProject, kFirst)), "first again");
}

TEST_F(VersionThumbnailsTest, KeepsOnlyTheNewestPicturesOfAProject) {
    const VersionThumbnails thumbnails(m_root);
    const std::size_t count = VersionThumbnails::kKeepPerProject + 3;
    for (std::size_t i = 0; i < count; ++i) {
        char revision[41];
        std::snprintf(revision, sizeof revision, "%040zx", i);
        ASSERT_TRUE(thumbnails.put(kProject, revision, "x", "jpg"));
        // Distinct write times in the past, each later than the one before and earlier than the
        // next write: "newest" is well defined whatever the file system's clock resolution.
        const auto age = std::chrono::seconds(static_cast<int>(count - i));
        fs::last_write_time(*thumbnails.find(kProject, revision), fs::file_time_type::clock::now() - age);
    }
    EXPECT_EQ(thumbnails.list(kProject).size(), VersionThumbnails::kKeepPerProject);
    EXPECT_FALSE(thumbnails.find(kProject, std::string(40, '0')));
}

TEST_F(VersionThumbnailsTest, RefusesWhatCouldLeaveItsFolderOrIsNotAPicture) {
    const VersionThumbnails thumbnails(m_root);
    EXPECT_FALSE(thumbnails.put("../escape", kFirst, "x", "jpg"));
    EXPECT_FALSE(thumbnails.put(kProject, "../../x", "x", "jpg"));
    EXPECT_FALSE(thumbnails.put(kProject, kFirst, "x", "svg"));
    EXPECT_FALSE(thumbnails.put(kProject, kFirst, "", "jpg"));
    EXPECT_FALSE(thumbnails.put(kProject, kFirst, std::string(VersionThumbnails::kMaxBytes + 1, 'x'), "jpg"));
    EXPECT_FALSE(fs::exists(m_root / kProject));
}

TEST_F(VersionThumbnailsTest, RemovingAProjectRemovesItsPictures) {
    const VersionThumbnails thumbnails(m_root);
    ASSERT_TRUE(thumbnails.put(kProject, kFirst, "first", "jpg"));
    thumbnails.remove_project(kProject);
    EXPECT_FALSE(fs::exists(m_root / kProject));
    EXPECT_TRUE(thumbnails.list(kProject).empty());
}

} // namespace
} // namespace atelier::store
