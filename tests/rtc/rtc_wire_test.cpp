// SPDX-License-Identifier: Apache-2.0
#include "rtc/rtc_wire.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace atelier::rtc {
namespace {

TEST(RtcWire, RoundTripsAHeaderAndABinaryBody) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    const std::string body("\xff\xd8\x00jpeg\x00", 8);
    ASSERT_TRUE(write_wire_message(fds[0], {{"op", "frame"}, {"session", "s"}, {"seq", 7}}, body));
    auto message = read_wire_message(fds[1]);
    ASSERT_TRUE(message) << message.error().message;
    EXPECT_EQ(message->op(), "frame");
    EXPECT_EQ(message->header["seq"], 7);
    EXPECT_EQ(message->body, body);
    ::close(fds[0]);
    auto closed = read_wire_message(fds[1]);
    ASSERT_FALSE(closed);
    EXPECT_EQ(closed.error().code, ErrorCode::Unavailable);
    ::close(fds[1]);
}

TEST(RtcWire, RejectsAnEmptyOrOversizedHeader) {
    auto empty = decode_wire_prefix(std::string(8, '\0'));
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, ErrorCode::ProtocolError);
    std::string huge = encode_wire_message({{"op", "x"}});
    huge[3] = '\x7f';
    EXPECT_FALSE(decode_wire_prefix(huge));
}

TEST(RtcWire, RejectsAHeaderWithoutOp) {
    EXPECT_FALSE(decode_wire_header(R"({"viewer":"v"})"));
    EXPECT_FALSE(decode_wire_header("[1]"));
    EXPECT_FALSE(decode_wire_header("not json"));
    EXPECT_TRUE(decode_wire_header(R"({"op":"stop"})"));
}

} // namespace
} // namespace atelier::rtc
