#include "metrics/exposition.h"

#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <vector>

using namespace appkeeper::metrics;

namespace {

std::string value(double v) {
  std::string out;
  appendValue(out, v);
  return out;
}

}  // namespace

TEST_CASE("whole numbers print without a fraction, others in their shortest form", "[metrics]") {
  CHECK(value(0) == "0");
  CHECK(value(42) == "42");
  CHECK(value(-3) == "-3");
  CHECK(value(0.005) == "0.005");
  CHECK(value(2.5) == "2.5");
  CHECK(value(1767225600.5) == "1767225600.5");
  CHECK(value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("label values escape backslash, double quote and newline only", "[metrics]") {
  std::string out;
  appendEscapedLabelValue(out, "a\\b\"c\nd\te");
  CHECK(out == "a\\\\b\\\"c\\nd\te");
}

TEST_CASE("help text escapes backslash and newline but not quotes", "[metrics]") {
  std::string out;
  appendEscapedHelp(out, "say \"hi\"\\\nnow");
  CHECK(out == "say \"hi\"\\\\\\nnow");
}

TEST_CASE("a sample line lists its labels in order, then the extra label", "[metrics]") {
  const std::vector<std::string> names{"a", "b"};
  const std::vector<std::string> values{"x", "y\"z"};
  std::string out;
  appendSample(out, "m", "_bucket", names, values, "le", "0.5", 3);
  CHECK(out == "m_bucket{a=\"x\",b=\"y\\\"z\",le=\"0.5\"} 3\n");
  out.clear();
  appendSample(out, "m", "", {}, {}, "", "", 1.5);
  CHECK(out == "m 1.5\n");
}

TEST_CASE("metric and label names follow the Prometheus rules", "[metrics]") {
  CHECK(isValidMetricName("appkeeper_jobs"));
  CHECK(isValidMetricName("a:b_c9"));
  CHECK_FALSE(isValidMetricName(""));
  CHECK_FALSE(isValidMetricName("9lives"));
  CHECK_FALSE(isValidMetricName("has-dash"));
  CHECK(isValidLabelName("status_class"));
  CHECK_FALSE(isValidLabelName("__reserved"));
  CHECK_FALSE(isValidLabelName("a:b"));
  CHECK_FALSE(isValidLabelName("1st"));
}
