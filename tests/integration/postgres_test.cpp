// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"
#include "postgres_server.h"
#include "rest_client.h"

namespace atelier::testing {
namespace {

// The hub with `--database postgres://…` on a private PostgreSQL server this test starts
// (tests/store/postgres_server.h): the same REST scenario as on SQLite.
TEST(PostgresRest, ProjectCrudAndIsolationWorkOnPostgres) {
    auto server = store::testing::PostgresServer::shared();
    ASSERT_TRUE(server) << server.error().message;
    auto url = (*server)->create_database();
    ASSERT_TRUE(url) << url.error().message;
    auto hub = HubProcess::start({.args = {"--database", *url}});
    EXPECT_FALSE(std::filesystem::exists(hub->data_dir() / "atelier.db"));
    const auto health = http_request(hub->port(), "GET", "/api/health");
    EXPECT_EQ(nlohmann::json::parse(health.body)["subsystems"]["store"], "ok");

    expect_project_crud_works(hub->port(), hub->token());

    const std::string bob = create_user_token(hub->port(), hub->token(), "bob");
    const std::string id = create_project(hub->port(), hub->token(), "admin's");
    EXPECT_EQ(rest(hub->port(), bob, "GET", "/api/projects/" + id).status, 404);
    EXPECT_TRUE(rest(hub->port(), bob, "GET", "/api/projects").body["items"].empty());
}

} // namespace
} // namespace atelier::testing
