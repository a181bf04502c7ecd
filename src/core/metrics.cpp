// SPDX-License-Identifier: Apache-2.0
#include "core/metrics.h"

#include <fmt/format.h>

namespace atelier {
namespace {

std::string escape_label_value(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string render_labels(const Labels& labels) {
    if (labels.empty()) {
        return {};
    }
    std::string out = "{";
    for (std::size_t i = 0; i < labels.size(); ++i) {
        out += fmt::format("{}{}=\"{}\"", i == 0 ? "" : ",", labels[i].first, escape_label_value(labels[i].second));
    }
    return out + "}";
}

// Adds one more label to an already rendered label set ("{a="b"}" + le → "{a="b",le="0.1"}").
std::string with_label(const std::string& rendered, const std::string& name, const std::string& value) {
    if (rendered.empty()) {
        return fmt::format("{{{}=\"{}\"}}", name, value);
    }
    return fmt::format("{},{}=\"{}\"}}", rendered.substr(0, rendered.size() - 1), name, value);
}

} // namespace

void Histogram::observe(double seconds) {
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
        if (seconds <= kBounds[i]) {
            m_buckets[i].fetch_add(1, std::memory_order_relaxed);
            break;
        }
    }
    m_count.fetch_add(1, std::memory_order_relaxed);
    const double nanoseconds = seconds > 0 ? seconds * 1e9 : 0.0;
    m_sum_nanoseconds.fetch_add(static_cast<std::uint64_t>(nanoseconds), std::memory_order_relaxed);
}

double Histogram::sum() const {
    return static_cast<double>(m_sum_nanoseconds.load()) / 1e9;
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help, Kind kind) {
    auto [it, inserted] = m_families.try_emplace(name);
    if (inserted) {
        it->second.kind = kind;
        it->second.help = help;
    }
    return it->second;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, const Labels& labels) {
    const std::lock_guard lock(m_mutex);
    auto& slot = family(name, help, Kind::Counter).counters[render_labels(labels)];
    if (!slot) {
        slot = std::make_unique<Counter>();
    }
    return *slot;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
    const std::lock_guard lock(m_mutex);
    auto& slot = family(name, help, Kind::Gauge).gauges[render_labels(labels)];
    if (!slot) {
        slot = std::make_unique<Gauge>();
    }
    return *slot;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help, const Labels& labels) {
    const std::lock_guard lock(m_mutex);
    auto& slot = family(name, help, Kind::Histogram).histograms[render_labels(labels)];
    if (!slot) {
        slot = std::make_unique<Histogram>();
    }
    return *slot;
}

std::string MetricsRegistry::render() const {
    const std::lock_guard lock(m_mutex);
    std::string out;
    for (const auto& [name, family] : m_families) {
        static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, family.help, name,
                           kTypeNames[static_cast<int>(family.kind)]);
        for (const auto& [labels, counter] : family.counters) {
            out += fmt::format("{}{} {}\n", name, labels, counter->value());
        }
        for (const auto& [labels, gauge] : family.gauges) {
            out += fmt::format("{}{} {}\n", name, labels, gauge->value());
        }
        for (const auto& [labels, histogram] : family.histograms) {
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < Histogram::kBounds.size(); ++i) {
                cumulative += histogram->bucket(i);
                out += fmt::format("{}_bucket{} {}\n", name,
                                   with_label(labels, "le", fmt::format("{}", Histogram::kBounds[i])), cumulative);
            }
            out += fmt::format("{}_bucket{} {}\n", name, with_label(labels, "le", "+Inf"), histogram->count());
            out += fmt::format("{}_sum{} {}\n", name, labels, histogram->sum());
            out += fmt::format("{}_count{} {}\n", name, labels, histogram->count());
        }
    }
    return out;
}

} // namespace atelier
