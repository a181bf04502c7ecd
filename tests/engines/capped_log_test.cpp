// SPDX-License-Identifier: Apache-2.0
#include "engines/capped_log.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "hub_process.h"

namespace atelier::engines {
namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

TEST(CappedLog, TailReturnsTheLastLines) {
    auto log = CappedLog::open({}, 1 << 20);
    ASSERT_TRUE(log);
    (*log)->append("one\ntwo\nthr");
    (*log)->append("ee\nfour\n");
    EXPECT_EQ((*log)->tail(2), "three\nfour\n");
    EXPECT_EQ((*log)->tail(10), "one\ntwo\nthree\nfour\n");
    (*log)->append("partial");
    EXPECT_EQ((*log)->tail(2), "four\npartial");
    EXPECT_EQ((*log)->tail(0), "");
}

TEST(CappedLog, DiskNeverHoldsMoreThanTheLimit) {
    testing::TempDir dir;
    const auto path = dir.path() / "engine.log";
    auto log = CappedLog::open(path, 1000);
    ASSERT_TRUE(log);
    for (int i = 0; i < 500; ++i) {
        (*log)->append("line " + std::to_string(i) + "\n");
    }
    const auto current = read_file(path);
    const auto older = read_file(path.string() + ".1");
    EXPECT_LE(current.size(), 500U);
    EXPECT_EQ(older.size(), 500U);
    EXPECT_NE((older + current).find("line 499\n"), std::string::npos);
    EXPECT_EQ((*log)->tail(1), "line 499\n");
}

TEST(CappedLog, ReopeningTruncatesAndDropsTheOlderHalf) {
    testing::TempDir dir;
    const auto path = dir.path() / "engine.log";
    {
        auto log = CappedLog::open(path, 10);
        ASSERT_TRUE(log);
        (*log)->append("0123456789abcdef");
    }
    ASSERT_TRUE(std::filesystem::exists(path.string() + ".1"));
    auto log = CappedLog::open(path, 10);
    ASSERT_TRUE(log);
    EXPECT_EQ(std::filesystem::file_size(path), 0U);
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".1"));
}

TEST(CappedLog, UnwritablePathIsAClearError) {
    auto log = CappedLog::open("/nonexistent-dir/engine.log", 10);
    ASSERT_FALSE(log);
    EXPECT_NE(log.error().message.find("/nonexistent-dir/engine.log"), std::string::npos) << log.error().message;
}

} // namespace
} // namespace atelier::engines
