// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "net/send_queue.h"

namespace atelier::net {
namespace {

TEST(SendQueue, KeepsTextInOrder) {
    SendQueue queue(100);
    ASSERT_EQ(queue.push_text("a"), SendQueue::PushResult::Queued);
    ASSERT_EQ(queue.push_text("b"), SendQueue::PushResult::Queued);
    EXPECT_EQ(queue.pop()->data, "a");
    EXPECT_EQ(queue.pop()->data, "b");
    EXPECT_FALSE(queue.pop());
}

TEST(SendQueue, RefusesTextPastTheByteBound) {
    SendQueue queue(10);
    ASSERT_EQ(queue.push_text("123456"), SendQueue::PushResult::Queued);
    EXPECT_EQ(queue.push_text("12345"), SendQueue::PushResult::Overflow);
    EXPECT_EQ(queue.queued_text_bytes(), 6U);
    (void)queue.pop();
    EXPECT_EQ(queue.push_text("12345"), SendQueue::PushResult::Queued);
}

TEST(SendQueue, KeepsOnlyTheLatestBinaryFrame) {
    SendQueue queue(10);
    EXPECT_FALSE(queue.set_binary("frame1"));
    EXPECT_TRUE(queue.set_binary("frame2"));
    auto frame = queue.pop();
    ASSERT_TRUE(frame);
    EXPECT_FALSE(frame->is_text);
    EXPECT_EQ(frame->data, "frame2");
    EXPECT_TRUE(queue.empty());
}

TEST(SendQueue, SendsQueuedTextBeforeTheBinaryFrame) {
    SendQueue queue(100);
    (void)queue.set_binary("frame");
    ASSERT_EQ(queue.push_text("status"), SendQueue::PushResult::Queued);
    EXPECT_TRUE(queue.pop()->is_text);
    EXPECT_FALSE(queue.pop()->is_text);
}

TEST(SendQueue, BinaryFramesDoNotCountAgainstTheTextBound) {
    SendQueue queue(4);
    (void)queue.set_binary(std::string(1000, 'x'));
    EXPECT_EQ(queue.push_text("1234"), SendQueue::PushResult::Queued);
}

} // namespace
} // namespace atelier::net
