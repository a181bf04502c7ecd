// SPDX-License-Identifier: Apache-2.0
// Stateless seat handles name their project (mcp/seat_handle.h): what the cluster's forwarder and
// McpServer::adopt_seat read back out of a handle.

#include <gtest/gtest.h>

#include "core/ids.h"
#include "mcp/seat_handle.h"

namespace atelier::mcp {
namespace {

TEST(SeatHandle, NamesItsProjectAndIsNewEachTime) {
    const std::string project = new_uuid();
    const std::string first = new_seat_handle(project);
    const std::string second = new_seat_handle(project);
    EXPECT_NE(first, second);
    EXPECT_EQ(seat_handle_project(first), project);
    EXPECT_EQ(seat_handle_project(second), project);
    EXPECT_EQ(first.size(), project.size() + 1 + 24);
}

TEST(SeatHandle, AnythingElseNamesNoProject) {
    const std::string random(24, 'a');
    EXPECT_EQ(seat_handle_project(""), std::nullopt);
    EXPECT_EQ(seat_handle_project("no-such-handle"), std::nullopt);
    EXPECT_EQ(seat_handle_project(new_uuid()), std::nullopt) << "a bare uuid (the old handles)";
    EXPECT_EQ(seat_handle_project("." + random), std::nullopt) << "no project";
    EXPECT_EQ(seat_handle_project("p." + std::string(23, 'a')), std::nullopt) << "too short";
    EXPECT_EQ(seat_handle_project("p." + std::string(24, 'A')), std::nullopt) << "not lowercase hex";
    EXPECT_EQ(seat_handle_project("p/../x." + random), std::nullopt) << "not a project id";
    EXPECT_EQ(seat_handle_project(std::string(129, 'p') + "." + random), std::nullopt) << "too long";
    EXPECT_EQ(seat_handle_project("my_project-1." + random), "my_project-1");
}

} // namespace
} // namespace atelier::mcp
