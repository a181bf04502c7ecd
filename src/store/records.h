// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace atelier::store {

/// Milliseconds since the Unix epoch (UTC). Every timestamp the store keeps is one of these, so
/// both backends store a plain 64-bit integer and compare it the same way.
using TimestampMs = std::int64_t;

enum class UserRole { Member, Admin };

/// An account. The first user ever created is always an Admin.
struct User {
    std::string id;
    std::string name;
    UserRole role = UserRole::Member;
    TimestampMs created_at = 0;
};

struct NewUser {
    std::string name;
    /// Hashed with argon2id before it reaches the database; absent = token-only account.
    std::optional<std::string> password;
    UserRole role = UserRole::Member;
};

/// An API token's metadata. The secret itself is never stored, only its BLAKE2b-256 hash.
struct ApiToken {
    std::string id;
    std::string user_id;
    std::string label;
    TimestampMs created_at = 0;
};

/// A token as returned once at creation: `secret` is what the client sends as `Bearer`.
struct CreatedToken {
    ApiToken token;
    std::string secret;
};

struct Project {
    std::string id;
    std::string owner_id;
    std::string name;
    std::string kind;
    TimestampMs created_at = 0;
    TimestampMs updated_at = 0;
    /// The git revision of the newest version; empty before the first one.
    std::string current_version;
};

struct NewProject {
    std::string name;
    std::string kind;
};

/// Fields left empty are not changed.
struct ProjectUpdate {
    std::optional<std::string> name;
    std::optional<std::string> current_version;
};

struct Message {
    std::int64_t id = 0;
    std::string project_id;
    std::string role; // "user", "assistant", "system", "tool" — the agent owns the vocabulary
    std::string content;
    std::string tool_actions; // JSON text, "[]" when there were none
    TimestampMs created_at = 0;
};

struct NewMessage {
    std::string role;
    std::string content;
    std::string tool_actions = "[]";
};

/// The agent's provider-neutral conversation for a project, kept as one JSON array of turns.
struct Transcript {
    std::string project_id;
    std::string turns = "[]";
    TimestampMs updated_at = 0;
};

struct SessionRecord {
    std::string id;
    std::string project_id;
    std::string state;  // the sessions module owns the state names
    std::string engine; // engine kind (e.g. "blender")
    TimestampMs created_at = 0;
    TimestampMs updated_at = 0;
};

struct NewSession {
    /// Empty = the store generates a UUID.
    std::string id;
    std::string project_id;
    std::string state;
    std::string engine;
};

struct SessionUpdate {
    std::optional<std::string> state;
    std::optional<std::string> engine;
};

/// One committed version of a project: a row per git commit the hub made.
struct Version {
    std::int64_t id = 0;
    std::string project_id;
    std::string revision; // full hex git object id
    std::string message;
    std::string author;
    TimestampMs created_at = 0;
};

struct NewVersion {
    std::string revision;
    std::string message;
    std::string author;
    /// The version this one was made on: when given, the project's current version moves only if
    /// it still is `base` (compare-and-swap); empty: unconditionally.
    std::string base;
};

/// `limit` 0 means the default (50); 1..500 otherwise. `cursor` is the `next_cursor` of the
/// previous page, or empty for the first page. Cursors are opaque to callers.
struct PageRequest {
    int limit = 0;
    std::string cursor;
};

inline constexpr int kDefaultPageLimit = 50;
inline constexpr int kMaxPageLimit = 500;

template <class T> struct Page {
    std::vector<T> items;
    /// Empty when this is the last page.
    std::string next_cursor;
};

} // namespace atelier::store
