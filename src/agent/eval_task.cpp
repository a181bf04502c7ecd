// SPDX-License-Identifier: Apache-2.0
#include "agent/eval_task.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <zlib.h>

namespace atelier::agent {
namespace {

constexpr std::array kKnownChecks{"objects", "object_count", "camera", "lights", "frames", "files", "render"};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return lower(haystack).find(lower(needle)) != std::string::npos;
}

std::string text_of(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : "";
}

// Does one summary object match `want` ({name, type, material, animated})?
bool object_matches(const nlohmann::json& object, const nlohmann::json& want) {
    if (!object.is_object()) {
        return false;
    }
    if (want.contains("name") && !contains(text_of(object.value("name", nlohmann::json())), want["name"])) {
        return false;
    }
    if (want.contains("type") && lower(text_of(object.value("type", nlohmann::json()))) != lower(want["type"])) {
        return false;
    }
    if (want.contains("material")) {
        const auto material = text_of(object.value("material", nlohmann::json()));
        if (want["material"].is_boolean()) {
            if (want["material"].get<bool>() == material.empty()) {
                return false;
            }
        } else if (material.empty() || !contains(material, want["material"])) {
            return false;
        }
    }
    if (want.contains("animated") && object.value("animated", false) != want["animated"].get<bool>()) {
        return false;
    }
    return true;
}

std::string describe_object_check(const nlohmann::json& want) {
    std::string text;
    for (const auto* key : {"type", "name", "material", "animated"}) {
        if (want.contains(key)) {
            text += fmt::format("{}{}={}", text.empty() ? "" : " ", key,
                                want[key].is_string() ? want[key].get<std::string>() : want[key].dump());
        }
    }
    return text;
}

std::int64_t bound(const nlohmann::json& range, const char* key, std::int64_t fallback) {
    return range.is_object() && range.contains(key) && range[key].is_number_integer() ? range[key].get<std::int64_t>()
                                                                                      : fallback;
}

CheckOutcome range_check(const std::string& name, std::int64_t value, const nlohmann::json& range) {
    const auto minimum = bound(range, "min", INT64_MIN);
    const auto maximum = bound(range, "max", INT64_MAX);
    const bool passed = value >= minimum && value <= maximum;
    std::string want;
    if (minimum != INT64_MIN) {
        want += fmt::format("≥ {}", minimum);
    }
    if (maximum != INT64_MAX) {
        want += fmt::format("{}≤ {}", want.empty() ? "" : ", ", maximum);
    }
    return {name, passed, fmt::format("{} (want {})", value, want)};
}

std::uint32_t be32(std::string_view bytes, std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

int paeth(int a, int b, int c) {
    const int p = a + b - c;
    const int pa = std::abs(p - a);
    const int pb = std::abs(p - b);
    const int pc = std::abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

} // namespace

Result<EvalTask> parse_eval_task(const nlohmann::json& json, const std::filesystem::path& file) {
    const auto where = file.string();
    if (!json.is_object()) {
        return fail(ErrorCode::InvalidArgument, where + ": a task is a JSON object");
    }
    EvalTask task;
    task.file = file;
    for (const auto* key : {"id", "engine", "prompt"}) {
        if (!json.contains(key) || !json[key].is_string() || json[key].get<std::string>().empty()) {
            return fail(ErrorCode::InvalidArgument, fmt::format("{}: \"{}\" must be a non-empty string", where, key));
        }
    }
    task.id = json["id"];
    task.engine = json["engine"];
    task.prompt = json["prompt"];
    if (json.contains("timeout_s")) {
        if (!json["timeout_s"].is_number_integer() || json["timeout_s"].get<int>() <= 0) {
            return fail(ErrorCode::InvalidArgument, where + ": \"timeout_s\" must be a positive integer");
        }
        task.timeout_s = json["timeout_s"];
    }
    task.checks = json.value("checks", nlohmann::json::object());
    if (!task.checks.is_object() || task.checks.empty()) {
        return fail(ErrorCode::InvalidArgument, where + ": \"checks\" must be an object with at least one check");
    }
    for (const auto& [key, value] : task.checks.items()) {
        if (std::find(kKnownChecks.begin(), kKnownChecks.end(), key) == kKnownChecks.end()) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("{}: unknown check \"{}\" (known: objects, object_count, camera, lights, frames, "
                                    "files, render)",
                                    where, key));
        }
    }
    if (task.checks.contains("objects") && !task.checks["objects"].is_array()) {
        return fail(ErrorCode::InvalidArgument, where + ": \"objects\" must be an array of object checks");
    }
    if (task.checks.contains("files") && !task.checks["files"].is_array()) {
        return fail(ErrorCode::InvalidArgument, where + ": \"files\" must be an array of paths");
    }
    return task;
}

Result<std::vector<EvalTask>> load_eval_tasks(const std::filesystem::path& path) {
    std::vector<std::filesystem::path> files;
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
            if (entry.path().extension() == ".json") {
                files.push_back(entry.path());
            }
        }
        std::sort(files.begin(), files.end());
    } else if (std::filesystem::is_regular_file(path, error)) {
        files.push_back(path);
    } else {
        return fail(ErrorCode::NotFound, fmt::format("no task file or directory at {}", path.string()));
    }
    std::vector<EvalTask> tasks;
    for (const auto& file : files) {
        std::ifstream in(file);
        std::stringstream text;
        text << in.rdbuf();
        const auto json = nlohmann::json::parse(text.str(), nullptr, false);
        if (json.is_discarded()) {
            return fail(ErrorCode::InvalidArgument, fmt::format("{}: not valid JSON", file.string()));
        }
        tasks.push_back(ATELIER_TRY(parse_eval_task(json, file)));
    }
    if (tasks.empty()) {
        return fail(ErrorCode::NotFound, fmt::format("no *.json tasks in {}", path.string()));
    }
    return tasks;
}

std::vector<CheckOutcome> check_eval_result(const EvalTask& task, const nlohmann::json& scene,
                                            const std::vector<EvalRender>& renders) {
    std::vector<CheckOutcome> out;
    const auto& checks = task.checks;
    const nlohmann::json summary = scene.is_object() ? scene : nlohmann::json::object();
    const auto objects = summary.value("objects", nlohmann::json::array());
    if (checks.contains("objects")) {
        for (const auto& want : checks["objects"]) {
            const auto minimum = bound(want, "min", 1);
            const auto found = std::count_if(objects.begin(), objects.end(), [&want](const nlohmann::json& object) {
                return object_matches(object, want);
            });
            out.push_back({"object " + describe_object_check(want), found >= minimum,
                           fmt::format("{} matching (want ≥ {})", found, minimum)});
        }
    }
    if (checks.contains("object_count")) {
        const auto count = summary.contains("object_count") && summary["object_count"].is_number_integer()
                               ? summary["object_count"].get<std::int64_t>()
                               : static_cast<std::int64_t>(objects.size());
        out.push_back(range_check("object count", count, checks["object_count"]));
    }
    if (checks.contains("camera") && checks["camera"].is_boolean()) {
        const bool has = summary.contains("camera") && summary["camera"].is_object();
        out.push_back({"camera", has == checks["camera"].get<bool>(), has ? "an active camera" : "no active camera"});
    }
    if (checks.contains("lights")) {
        const auto lights = summary.value("lights", nlohmann::json::array());
        out.push_back(range_check("lights", static_cast<std::int64_t>(lights.size()), checks["lights"]));
    }
    if (checks.contains("frames")) {
        const auto range = summary.value("frame_range", nlohmann::json::array());
        const std::int64_t frames =
            range.is_array() && range.size() == 2 && range[0].is_number_integer() && range[1].is_number_integer()
                ? range[1].get<std::int64_t>() - range[0].get<std::int64_t>() + 1
                : 0;
        out.push_back(range_check("animation frames", frames, checks["frames"]));
    }
    if (checks.contains("files")) {
        const auto files = summary.value("files", nlohmann::json::array());
        for (const auto& want : checks["files"]) {
            const auto path = text_of(want);
            const bool has = std::any_of(files.begin(), files.end(),
                                         [&path](const nlohmann::json& file) { return text_of(file) == path; });
            out.push_back({"file " + path, has, has ? "present" : "missing"});
        }
    }
    if (checks.contains("render")) {
        const auto& want = checks["render"];
        const std::string kind = want.is_object() ? want.value("kind", "still") : "still";
        const bool not_blank = want.is_object() ? want.value("not_blank", kind == "still") : kind == "still";
        const auto is_kind = [&kind](const EvalRender& render) {
            const auto name = lower(render.name);
            return kind == "video" ? name.ends_with(".mp4") || name.ends_with(".webm") || name.ends_with(".mov")
                                   : name.ends_with(".png") || name.ends_with(".jpg") || name.ends_with(".jpeg");
        };
        std::vector<const EvalRender*> matching;
        for (const auto& render : renders) {
            if (is_kind(render) && render.size > 0) {
                matching.push_back(&render);
            }
        }
        if (matching.empty()) {
            out.push_back({"render " + kind, false, fmt::format("no {} in renders/ ({} files)", kind, renders.size())});
        } else if (not_blank) {
            const bool any = std::any_of(matching.begin(), matching.end(), [](const EvalRender* render) {
                return render->blank.has_value() && !*render->blank;
            });
            out.push_back(
                {"render " + kind + " not blank", any,
                 any ? matching.front()->name : fmt::format("{} blank or unreadable", matching.front()->name)});
        } else {
            out.push_back({"render " + kind, true, matching.front()->name});
        }
    }
    return out;
}

Result<bool> png_is_blank(std::string_view png) {
    static constexpr std::string_view kSignature{"\x89PNG\r\n\x1a\n", 8};
    if (png.size() < 8 || png.substr(0, 8) != kSignature) {
        return fail(ErrorCode::InvalidArgument, "not a PNG file");
    }
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    int depth = 0;
    int colour = -1;
    std::string compressed;
    for (std::size_t at = 8; at + 12 <= png.size();) {
        const auto length = be32(png, at);
        const auto type = png.substr(at + 4, 4);
        if (at + 12 + length > png.size()) {
            return fail(ErrorCode::InvalidArgument, "a PNG chunk runs past the end of the file");
        }
        const auto data = png.substr(at + 8, length);
        if (type == "IHDR" && length >= 13) {
            width = be32(data, 0);
            height = be32(data, 4);
            depth = static_cast<unsigned char>(data[8]);
            colour = static_cast<unsigned char>(data[9]);
            if (data[12] != 0) {
                return fail(ErrorCode::InvalidArgument, "interlaced PNGs are not read");
            }
        } else if (type == "IDAT") {
            compressed.append(data);
        } else if (type == "IEND") {
            break;
        }
        at += 12 + length;
    }
    int channels = 0;
    switch (colour) {
    case 0:
        channels = 1;
        break;
    case 2:
        channels = 3;
        break;
    case 3:
        channels = 1;
        break;
    case 4:
        channels = 2;
        break;
    case 6:
        channels = 4;
        break;
    default:
        return fail(ErrorCode::InvalidArgument, "a PNG without a known colour type");
    }
    if (width == 0 || height == 0 || (depth != 8 && depth != 16) || width > 20000 || height > 20000) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("a {}×{} PNG of bit depth {} is not read (8 or 16 bits only)", width, height, depth));
    }
    const std::size_t pixel = static_cast<std::size_t>(channels) * static_cast<std::size_t>(depth) / 8;
    const std::size_t row = pixel * width;
    std::string raw(height * (row + 1), '\0');
    uLongf size = raw.size();
    if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &size, reinterpret_cast<const Bytef*>(compressed.data()),
                   compressed.size()) != Z_OK ||
        size != raw.size()) {
        return fail(ErrorCode::InvalidArgument, "the PNG's image data does not inflate to its size");
    }
    std::vector<unsigned char> previous(row, 0);
    std::vector<unsigned char> current(row, 0);
    std::vector<unsigned char> first(pixel, 0);
    constexpr int kTolerance = 3; // of 255: noise in a flat render is not a picture
    for (std::uint32_t y = 0; y < height; ++y) {
        const auto* line = reinterpret_cast<const unsigned char*>(raw.data()) + y * (row + 1);
        const int filter = line[0];
        for (std::size_t x = 0; x < row; ++x) {
            const int a = x >= pixel ? current[x - pixel] : 0;
            const int b = previous[x];
            const int c = x >= pixel ? previous[x - pixel] : 0;
            int predicted = 0;
            switch (filter) {
            case 0:
                predicted = 0;
                break;
            case 1:
                predicted = a;
                break;
            case 2:
                predicted = b;
                break;
            case 3:
                predicted = (a + b) / 2;
                break;
            case 4:
                predicted = paeth(a, b, c);
                break;
            default:
                return fail(ErrorCode::InvalidArgument, "a PNG row has an unknown filter");
            }
            current[x] = static_cast<unsigned char>(line[1 + x] + predicted);
        }
        if (y == 0) {
            std::copy_n(current.begin(), pixel, first.begin());
        }
        // 16-bit samples are compared by their high byte.
        for (std::size_t x = 0; x < row; x += depth == 16 ? 2 : 1) {
            if (std::abs(static_cast<int>(current[x]) - static_cast<int>(first[x % pixel])) > kTolerance) {
                return false;
            }
        }
        std::swap(previous, current);
    }
    return true;
}

} // namespace atelier::agent
