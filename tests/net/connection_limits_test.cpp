// SPDX-License-Identifier: Apache-2.0
#include "net/connection_limits.h"

#include <vector>

#include <gtest/gtest.h>

namespace atelier::net::detail {
namespace {

asio::ip::address address(const char* text) {
    return asio::ip::make_address(text);
}

TEST(AddressCounts, AnAddressGetsItsCapAndNoMoreUntilALeaseGoes) {
    AddressCounts counts(3);
    std::vector<AddressLease> held;
    for (int n = 0; n < 3; ++n) {
        auto lease = counts.acquire(address("192.0.2.1"));
        ASSERT_TRUE(lease.has_value());
        held.push_back(std::move(*lease));
    }
    EXPECT_FALSE(counts.acquire(address("192.0.2.1")).has_value());
    EXPECT_TRUE(counts.acquire(address("192.0.2.2")).has_value()) << "another address has slots of its own";
    // A copy of a lease (the socket handed on to a WebSocket) keeps the slot until the last goes.
    AddressLease copy = held.back();
    held.pop_back();
    EXPECT_FALSE(counts.acquire(address("192.0.2.1")).has_value());
    copy.reset();
    EXPECT_TRUE(counts.acquire(address("192.0.2.1")).has_value());
}

TEST(AddressCounts, TheDefaultExemptsLoopbackAndCapsEveryOtherAddress) {
    AddressCounts counts(0);
    EXPECT_EQ(counts.cap(), kDefaultConnectionsPerAddress);
    std::vector<AddressLease> held;
    for (std::size_t n = 0; n < kDefaultConnectionsPerAddress + 10; ++n) {
        auto loopback = counts.acquire(address(n % 2 == 0 ? "127.0.0.1" : "::1"));
        ASSERT_TRUE(loopback.has_value()) << n;
        auto mapped = counts.acquire(address("::ffff:127.0.0.1"));
        ASSERT_TRUE(mapped.has_value()) << n;
        held.push_back(std::move(*loopback)); // held, so a counted address would reach the cap
        held.push_back(std::move(*mapped));
        if (n < kDefaultConnectionsPerAddress) {
            auto other = counts.acquire(address("198.51.100.7"));
            ASSERT_TRUE(other.has_value()) << n;
            held.push_back(std::move(*other));
        }
    }
    EXPECT_FALSE(counts.acquire(address("198.51.100.7")).has_value());
}

TEST(AddressCounts, AConfiguredCapCountsLoopbackToo) {
    AddressCounts counts(1);
    auto first = counts.acquire(address("127.0.0.1"));
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(counts.acquire(address("127.0.0.1")).has_value());
    EXPECT_FALSE(counts.acquire(address("::ffff:127.0.0.1")).has_value()) << "a mapped address is its IPv4 address";
}

TEST(AddressCounts, IPv6AddressesOfOneSlash64ShareASlot) {
    AddressCounts counts(2);
    auto first = counts.acquire(address("2001:db8:1:2::1"));
    auto second = counts.acquire(address("2001:db8:1:2:ffff::9"));
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_FALSE(counts.acquire(address("2001:db8:1:2:abcd::1")).has_value());
    EXPECT_TRUE(counts.acquire(address("2001:db8:1:3::1")).has_value()) << "another /64";
}

} // namespace
} // namespace atelier::net::detail
