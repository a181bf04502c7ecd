// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>

namespace atelier {

/// Time source. Production code takes a `Clock&` so tests can drive time by hand.
class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual std::chrono::steady_clock::time_point now() const = 0;
    [[nodiscard]] virtual std::chrono::system_clock::time_point wall_now() const = 0;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] std::chrono::steady_clock::time_point now() const override {
        return std::chrono::steady_clock::now();
    }
    [[nodiscard]] std::chrono::system_clock::time_point wall_now() const override {
        return std::chrono::system_clock::now();
    }
};

} // namespace atelier
