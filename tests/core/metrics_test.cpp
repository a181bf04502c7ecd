// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "core/metrics.h"

namespace atelier {
namespace {

TEST(Metrics, RendersCountersWithLabelsInPrometheusFormat) {
    MetricsRegistry metrics;
    metrics.counter("requests_total", "Requests", {{"route", "/api/health"}, {"status", "200"}}).increment(3);
    const auto text = metrics.render();
    EXPECT_NE(text.find("# TYPE requests_total counter"), std::string::npos) << text;
    EXPECT_NE(text.find("requests_total{route=\"/api/health\",status=\"200\"} 3"), std::string::npos) << text;
}

TEST(Metrics, ReturnsTheSameSeriesForTheSameLabels) {
    MetricsRegistry metrics;
    auto& first = metrics.counter("c", "h", {{"a", "1"}});
    auto& second = metrics.counter("c", "h", {{"a", "1"}});
    EXPECT_EQ(&first, &second);
}

TEST(Metrics, RendersCumulativeHistogramBuckets) {
    MetricsRegistry metrics;
    auto& histogram = metrics.histogram("latency_seconds", "Latency");
    histogram.observe(0.0002);
    histogram.observe(0.003);
    histogram.observe(20);
    const auto text = metrics.render();
    EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.00025\"} 1"), std::string::npos) << text;
    EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.005\"} 2"), std::string::npos) << text;
    EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos) << text;
    EXPECT_NE(text.find("latency_seconds_count 3"), std::string::npos) << text;
}

TEST(Metrics, EscapesLabelValues) {
    MetricsRegistry metrics;
    metrics.gauge("g", "h", {{"path", "a\"b"}}).set(1);
    EXPECT_NE(metrics.render().find("g{path=\"a\\\"b\"} 1"), std::string::npos);
}

} // namespace
} // namespace atelier
