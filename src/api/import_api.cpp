// SPDX-License-Identifier: Apache-2.0
#include "api/import_api.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/assets_api.h"
#include "api/files_api.h"
#include "api/json_request.h"
#include "api/renders_api.h"
#include "api/upload_api.h"
#include "api/versions_api.h"

namespace atelier::api {
namespace {

namespace fs = std::filesystem;

/// A private copy of the source in <data>/uploads: a session moves its edits' files into its tree,
/// and the source (another project's render) must stay where it is.
Result<std::shared_ptr<net::BodyFile>> staging_file(ApiContext& api) {
    static std::atomic<std::uint64_t> counter{0};
    const fs::path dir = api.repos().root().parent_path() / "uploads";
    std::error_code error;
    fs::create_directories(dir, error);
    const fs::path path = dir / fmt::format("import-{}-{}.part", ::getpid(), ++counter);
    return std::make_shared<net::BodyFile>(path, 0);
}

Result<void> write_bytes(const fs::path& path, const std::string& bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot stage the import: {}", path.string()));
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t written = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (written <= 0) {
            ::close(fd);
            return fail(ErrorCode::Unavailable, fmt::format("cannot stage the import: {}", path.string()));
        }
        done += static_cast<std::size_t>(written);
    }
    ::close(fd);
    return {};
}

Result<void> check_destination(const std::string& path) {
    ATELIER_TRY(check_file_path(path));
    const std::string_view top = std::string_view(path).substr(0, path.find('/'));
    if (top == "renders" || top == "exports") {
        return fail(ErrorCode::InvalidArgument,
                    "\"to\" must not be in renders/ or exports/ (outputs are not versioned)");
    }
    return {};
}

struct Prepared {
    store::User user;
    store::Project project;
    std::string path;
    std::string message;
    std::shared_ptr<net::BodyFile> staged;
};

std::string destination(ApiContext& api, const ImportRequest& what, const store::Project& project,
                        const std::string& name) {
    const std::string to = what.to.empty() ? api.assets_dir_of(project.kind) + "/" : what.to;
    return to.ends_with('/') ? to + name : to;
}

/// An asset of the local library (`[assets] library`): copied like an import.
Result<Prepared> prepare_asset(ApiContext& api, const std::string& user_id, const std::string& project_id,
                               const ImportRequest& what) {
    if (!what.to.empty()) {
        ATELIER_TRY(check_destination(what.to.ends_with('/') ? what.to + "file" : what.to));
    }
    Prepared prepared;
    prepared.project = ATELIER_TRY(api.store().get_project(user_id, project_id));
    prepared.user = ATELIER_TRY(api.store().get_user(user_id));
    const fs::path source = ATELIER_TRY(library_file(api, what.asset));
    prepared.staged = ATELIER_TRY(staging_file(api));
    std::error_code error;
    fs::copy_file(source, prepared.staged->path(), fs::copy_options::overwrite_existing, error);
    if (error) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot copy {}: {}", what.asset, error.message()));
    }
    prepared.path = destination(api, what, prepared.project, source.filename().string());
    ATELIER_TRY(check_destination(prepared.path));
    prepared.message = fmt::format("import {} from the asset library", what.asset);
    return prepared;
}

Result<Prepared> prepare(ApiContext& api, const std::string& user_id, const std::string& project_id,
                         const ImportRequest& what) {
    if (!what.asset.empty()) {
        if (!what.from_project.empty() || !what.render.empty() || !what.path.empty()) {
            return fail(ErrorCode::InvalidArgument, "\"asset\" comes from the library: no \"from_project\" with it");
        }
        return prepare_asset(api, user_id, project_id, what);
    }
    if (what.from_project.empty()) {
        return fail(ErrorCode::InvalidArgument, "\"from_project\" is required: the id of the project to import from");
    }
    if (what.render.empty() == what.path.empty()) {
        return fail(ErrorCode::InvalidArgument,
                    "give either \"render\" (a name from the source's renders) or \"path\" (a file of a version)");
    }
    if (!what.to.empty()) {
        // Checked before anything is read: a bad destination is the caller's mistake, whatever the source.
        ATELIER_TRY(check_destination(what.to.ends_with('/') ? what.to + "file" : what.to));
    }
    Prepared prepared;
    prepared.project = ATELIER_TRY(api.store().get_project(user_id, project_id));
    prepared.user = ATELIER_TRY(api.store().get_user(user_id));
    const store::Project source = ATELIER_TRY(api.store().get_project(user_id, what.from_project));
    prepared.staged = ATELIER_TRY(staging_file(api));
    std::string name;
    std::string version;
    std::string described;
    if (!what.render.empty()) {
        const OutputFile output = ATELIER_TRY(find_output(api, user_id, source.id, what.render));
        std::error_code error;
        fs::copy_file(output.path, prepared.staged->path(), fs::copy_options::overwrite_existing, error);
        if (error) {
            return fail(ErrorCode::Unavailable, fmt::format("cannot copy {}: {}", what.render, error.message()));
        }
        name = what.render;
        version = output.version;
        described = fmt::format("{} {}", output.kind, what.render);
    } else {
        ATELIER_TRY(check_file_path(what.path));
        std::string revision = what.rev.empty() ? source.current_version : what.rev;
        if (!what.rev.empty()) {
            ATELIER_TRY(check_revision(what.rev, "rev"));
        }
        auto repo = ATELIER_TRY(api.repos().open(source.id));
        auto resolved = repo.resolve(revision.empty() ? "HEAD" : revision);
        if (!resolved) {
            return fail(ErrorCode::NotFound, fmt::format("no version {} in project {}", revision, source.name));
        }
        const std::string bytes = ATELIER_TRY(repo.read_file(*resolved, what.path));
        ATELIER_TRY(write_bytes(prepared.staged->path(), bytes));
        name = fs::path(what.path).filename().string();
        version = *resolved;
        described = what.path;
    }
    std::string to = what.to;
    if (to.empty()) {
        to = api.assets_dir_of(prepared.project.kind) + "/";
    }
    prepared.path = to.ends_with('/') ? to + name : to;
    ATELIER_TRY(check_destination(prepared.path));
    prepared.message = fmt::format("import {} from {}\n\nSource: project {} ({}), version {}", described, source.name,
                                   source.id, source.name, version.empty() ? "unknown" : version);
    return prepared;
}

} // namespace

void import_from_project(ApiContext& api, const std::string& user_id, const std::string& project_id,
                         const ImportRequest& what, std::function<void(Result<ImportResult>)> done) {
    auto prepared = prepare(api, user_id, project_id, what);
    if (!prepared) {
        return done(fail(prepared.error()));
    }
    auto staged = prepared->staged;
    const std::string path = prepared->path;
    apply_file_edits(api, prepared->user, prepared->project, {store::FileEdit{path, staged->path()}}, prepared->message,
                     [staged, path, done](Result<std::string> revision) {
                         if (!revision) {
                             return done(fail(revision.error()));
                         }
                         done(ImportResult{path, *revision});
                     });
}

namespace {

/// The attachment's file name: its own reduced to safe characters, else one from its media type.
std::string attachment_name(const Attachment& attachment, std::size_t index) {
    std::string name = fs::path(attachment.name).filename().string();
    for (char& c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) == 0 && c != '.' && c != '-' && c != '_') {
            c = '-';
        }
    }
    if (!name.empty() && name.front() != '.') {
        return name;
    }
    const std::string& type = attachment.media_type;
    const std::string extension = type == "image/jpeg" ? "jpg" : type.starts_with("image/") ? type.substr(6) : "bin";
    return fmt::format("attachment-{}.{}", index + 1, extension);
}

/// `path`, or `stem-2.ext`, `stem-3.ext`, … when it is taken.
std::string unique_path(const std::string& path, const std::set<std::string>& taken) {
    if (!taken.contains(path)) {
        return path;
    }
    const fs::path original(path);
    const std::string stem = (original.parent_path() / original.stem()).generic_string();
    for (int n = 2;; ++n) {
        std::string candidate = fmt::format("{}-{}{}", stem, n, original.extension().string());
        if (!taken.contains(candidate)) {
            return candidate;
        }
    }
}

} // namespace

void keep_attachments(ApiContext& api, const std::string& user_id, const std::string& project_id,
                      std::vector<Attachment> attachments, std::function<void(Result<nlohmann::json>)> done) {
    auto found_project = api.store().get_project(user_id, project_id);
    if (!found_project) {
        return done(fail(found_project.error()));
    }
    auto found_user = api.store().get_user(user_id);
    if (!found_user) {
        return done(fail(found_user.error()));
    }
    const store::User& user = *found_user;
    const store::Project& project = *found_project;
    std::set<std::string> taken;
    if (auto repo = api.repos().open(project.id)) {
        if (auto head = repo->resolve("HEAD")) {
            if (auto files = repo->list_files(*head)) {
                for (const auto& file : *files) {
                    taken.insert(file.path);
                }
            }
        }
    }
    std::vector<store::FileEdit> edits;
    std::vector<std::shared_ptr<net::BodyFile>> staged;
    nlohmann::json paths = nlohmann::json::array();
    std::string names;
    for (std::size_t index = 0; index < attachments.size(); ++index) {
        const std::string path =
            unique_path(api.assets_dir_of(project.kind) + "/" + attachment_name(attachments[index], index), taken);
        taken.insert(path);
        auto file = staging_file(api);
        if (!file) {
            return done(fail(file.error()));
        }
        if (auto written = write_bytes((*file)->path(), attachments[index].bytes); !written) {
            return done(fail(written.error()));
        }
        staged.push_back(*file);
        edits.push_back(store::FileEdit{path, (*file)->path()});
        paths.push_back(path);
        names += (names.empty() ? "" : ", ") + path;
    }
    if (edits.empty()) {
        return done(nlohmann::json{{"paths", paths}, {"version", nullptr}});
    }
    apply_file_edits(api, user, project, std::move(edits), "attach " + names,
                     [staged, paths, done](Result<std::string> revision) {
                         if (!revision) {
                             return done(fail(revision.error()));
                         }
                         done(nlohmann::json{{"paths", paths}, {"version", *revision}});
                     });
}

void import_file(ApiContext& api, net::HttpRequest& request, net::HttpResponder responder) {
    auto body = parse_object(request.body, {"asset", "from_project", "render", "path", "rev", "to"});
    if (!body) {
        return responder.send(error_response(body.error()));
    }
    ImportRequest what;
    for (auto [field, target] : {std::pair{"asset", &what.asset}, std::pair{"from_project", &what.from_project},
                                 std::pair{"render", &what.render}, std::pair{"path", &what.path},
                                 std::pair{"rev", &what.rev}, std::pair{"to", &what.to}}) {
        auto value = string_field(*body, field, Presence::Optional, 4096);
        if (!value) {
            return responder.send(error_response(value.error()));
        }
        *target = value->value_or("");
    }
    auto reply = std::make_shared<net::HttpResponder>(std::move(responder));
    import_from_project(api, request.subject, request.params.at("id"), what, [reply](Result<ImportResult> result) {
        if (!result) {
            return reply->send(error_response(result.error()));
        }
        reply->send(json_response(201, {{"path", result->path}, {"version", result->version}}));
    });
}

} // namespace atelier::api
