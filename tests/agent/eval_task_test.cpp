// SPDX-License-Identifier: Apache-2.0
#include "atelier/source_dir.h"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "agent/eval_task.h"

namespace atelier::agent {
namespace {

using nlohmann::json;

EvalTask task_with(const json& checks) {
    auto task = parse_eval_task({{"id", "t"}, {"engine", "blender"}, {"prompt", "p"}, {"checks", checks}}, "t.json");
    EXPECT_TRUE(task) << task.error().message;
    return task ? *task : EvalTask{};
}

json scene() {
    return {{"object_count", 3},
            {"objects",
             {{{"name", "Red Sphere"}, {"type", "mesh"}, {"material", "Glossy Red"}},
              {{"name", "Ground Plane"}, {"type", "mesh"}, {"material", nullptr}},
              {{"name", "Ball"}, {"type", "mesh"}, {"material", nullptr}, {"animated", true}}}},
            {"camera", {{"name", "Camera"}}},
            {"lights", {{{"name", "Sun"}}}},
            {"frame_range", {1, 72}}};
}

std::vector<std::string> failed(const std::vector<CheckOutcome>& outcomes) {
    std::vector<std::string> names;
    for (const auto& outcome : outcomes) {
        if (!outcome.passed) {
            names.push_back(outcome.check);
        }
    }
    return names;
}

TEST(EvalTask, ObjectsMatchByNameTypeMaterialAndAnimation) {
    const auto task = task_with({{"objects",
                                  {{{"name", "sphere"}, {"type", "mesh"}, {"material", "red"}},
                                   {{"name", "ball"}, {"animated", true}},
                                   {{"name", "plane"}, {"material", false}}}}});
    EXPECT_TRUE(failed(check_eval_result(task, scene(), {})).empty());
}

TEST(EvalTask, AWrongSceneFailsTheChecksItMisses) {
    const auto task = task_with({{"objects", {{{"name", "cone"}}, {{"name", "sphere"}, {"material", "blue"}}}},
                                 {"frames", {{"min", 96}}},
                                 {"lights", {{"min", 3}}},
                                 {"camera", true}});
    EXPECT_EQ(failed(check_eval_result(task, scene(), {})),
              (std::vector<std::string>{"object name=cone", "object name=sphere material=blue", "lights",
                                        "animation frames"}));
}

TEST(EvalTask, NoSceneFailsEveryCheckOfTheScene) {
    const auto task = task_with({{"objects", {{{"type", "mesh"}}}}, {"camera", true}, {"object_count", {{"min", 1}}}});
    EXPECT_EQ(failed(check_eval_result(task, nullptr, {})).size(), 3U);
}

TEST(EvalTask, ARenderMustExistAndAStillMustNotBeBlank) {
    const auto task = task_with({{"render", {{"kind", "still"}}}});
    EXPECT_EQ(failed(check_eval_result(task, scene(), {})).size(), 1U);
    EXPECT_EQ(failed(check_eval_result(task, scene(), {{"still.png", 900, true}})).size(), 1U);
    EXPECT_EQ(failed(check_eval_result(task, scene(), {{"still.png", 900, std::nullopt}})).size(), 1U);
    EXPECT_TRUE(failed(check_eval_result(task, scene(), {{"a.png", 900, true}, {"b.png", 900, false}})).empty());
    const auto video = task_with({{"render", {{"kind", "video"}}}});
    EXPECT_EQ(failed(check_eval_result(video, scene(), {{"b.png", 900, false}})).size(), 1U);
    EXPECT_TRUE(failed(check_eval_result(video, scene(), {{"turn.mp4", 90000, std::nullopt}})).empty());
}

TEST(EvalTask, RejectsUnknownChecksAndMissingFields) {
    const auto typo =
        parse_eval_task({{"id", "t"}, {"engine", "blender"}, {"prompt", "p"}, {"checks", {{"object", 1}}}}, "t.json");
    ASSERT_FALSE(typo);
    EXPECT_NE(typo.error().message.find("unknown check \"object\""), std::string::npos) << typo.error().message;
    const auto no_prompt =
        parse_eval_task({{"id", "t"}, {"engine", "blender"}, {"checks", {{"camera", true}}}}, "t.json");
    ASSERT_FALSE(no_prompt);
    EXPECT_NE(no_prompt.error().message.find("\"prompt\""), std::string::npos);
    const auto no_checks = parse_eval_task({{"id", "t"}, {"engine", "blender"}, {"prompt", "p"}}, "t.json");
    EXPECT_FALSE(no_checks);
}

TEST(EvalTask, TheSuiteInTheRepositoryParses) {
    const auto tasks = load_eval_tasks(std::filesystem::path(ATELIER_SOURCE_DIR) / "eval/tasks");
    ASSERT_TRUE(tasks) << tasks.error().message;
    EXPECT_GE(tasks->size(), 8U);
}

// A PNG of `width`×`height` RGB pixels from `pixel(x, y)`, every row with `filter`.
template <class Pixel> std::string png(int width, int height, int filter, Pixel pixel) {
    std::string raw;
    std::vector<unsigned char> previous(width * 3, 0);
    for (int y = 0; y < height; ++y) {
        std::vector<unsigned char> row(width * 3);
        for (int x = 0; x < width; ++x) {
            const auto [r, g, b] = pixel(x, y);
            row[x * 3] = r;
            row[x * 3 + 1] = g;
            row[x * 3 + 2] = b;
        }
        raw.push_back(static_cast<char>(filter));
        for (int i = 0; i < width * 3; ++i) {
            const int left = i >= 3 ? row[i - 3] : 0;
            const int up = previous[i];
            const int predicted = filter == 1 ? left : filter == 2 ? up : filter == 3 ? (left + up) / 2 : 0;
            raw.push_back(static_cast<char>(static_cast<unsigned char>(row[i] - predicted)));
        }
        previous = row;
    }
    uLongf size = compressBound(raw.size());
    std::string compressed(size, '\0');
    compress(reinterpret_cast<Bytef*>(compressed.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
             raw.size());
    compressed.resize(size);
    const auto be32 = [](std::uint32_t value) {
        return std::string{static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                           static_cast<char>(value >> 8), static_cast<char>(value)};
    };
    const auto chunk = [&be32](const std::string& type, const std::string& data) {
        return be32(static_cast<std::uint32_t>(data.size())) + type + data + be32(0); // CRCs are not checked
    };
    std::string header = be32(width) + be32(height) + std::string{8, 2, 0, 0, 0};
    return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", header) + chunk("IDAT", compressed) + chunk("IEND", "");
}

TEST(EvalTask, AFlatPngIsBlankAndAPictureIsNot) {
    using Rgb = std::tuple<unsigned char, unsigned char, unsigned char>;
    for (const int filter : {0, 1, 2, 3}) {
        const auto flat = png_is_blank(png(40, 20, filter, [](int, int) { return Rgb{128, 128, 130}; }));
        ASSERT_TRUE(flat) << flat.error().message;
        EXPECT_TRUE(*flat) << "filter " << filter;
        const auto noisy = png_is_blank(png(40, 20, filter, [](int x, int y) {
            return Rgb{static_cast<unsigned char>(128 + (x + y) % 3), 128, 128}; // within the tolerance
        }));
        ASSERT_TRUE(noisy);
        EXPECT_TRUE(*noisy) << "filter " << filter;
        const auto sphere = png_is_blank(png(40, 20, filter, [](int x, int y) {
            const bool inside = (x - 20) * (x - 20) + (y - 10) * (y - 10) < 36;
            return inside ? Rgb{200, 30, 30} : Rgb{60, 60, 60};
        }));
        ASSERT_TRUE(sphere);
        EXPECT_FALSE(*sphere) << "filter " << filter;
    }
}

TEST(EvalTask, WhatIsNotAPngIsAnError) {
    EXPECT_FALSE(png_is_blank("GIF89a"));
    auto truncated = png(8, 8, 0, [](int, int) {
        return std::tuple<unsigned char, unsigned char, unsigned char>{1, 2, 3};
    });
    truncated.resize(truncated.size() - 20);
    EXPECT_FALSE(png_is_blank(truncated));
}

} // namespace
} // namespace atelier::agent
