// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace atelier {

/// Label pairs in a fixed order, e.g. {{"route", "/api/health"}, {"status", "200"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
public:
    void increment(std::uint64_t by = 1) { m_value.fetch_add(by, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> m_value{0};
};

class Gauge {
public:
    void add(std::int64_t by) { m_value.fetch_add(by, std::memory_order_relaxed); }
    void set(std::int64_t value) { m_value.store(value, std::memory_order_relaxed); }
    [[nodiscard]] std::int64_t value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> m_value{0};
};

/// Latency histogram with fixed buckets in seconds (100 µs … 10 s), lock-free to observe.
class Histogram {
public:
    static constexpr std::array<double, 12> kBounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                    0.01,   0.025,   0.05,   0.1,   1.0,    10.0};
    void observe(double seconds);
    [[nodiscard]] std::uint64_t bucket(std::size_t index) const { return m_buckets[index].load(); }
    [[nodiscard]] std::uint64_t count() const { return m_count.load(); }
    [[nodiscard]] double sum() const;

private:
    std::array<std::atomic<std::uint64_t>, kBounds.size()> m_buckets{};
    std::atomic<std::uint64_t> m_count{0};
    std::atomic<std::uint64_t> m_sum_nanoseconds{0};
};

/// Named metric families with labels, rendered in the Prometheus text exposition format.
/// Thread-safe. Returned references stay valid for the registry's lifetime, so hot paths look a
/// series up once and keep the reference.
class MetricsRegistry {
public:
    Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
    Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
    Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels = {});

    /// Everything registered so far, as `text/plain; version=0.0.4`.
    [[nodiscard]] std::string render() const;

private:
    enum class Kind { Counter, Gauge, Histogram };
    struct Family {
        Kind kind;
        std::string help;
        std::map<std::string, std::unique_ptr<Counter>> counters;
        std::map<std::string, std::unique_ptr<Gauge>> gauges;
        std::map<std::string, std::unique_ptr<Histogram>> histograms;
    };
    Family& family(const std::string& name, const std::string& help, Kind kind);

    mutable std::mutex m_mutex;
    std::map<std::string, Family> m_families;
};

} // namespace atelier
