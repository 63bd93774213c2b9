// The Prometheus text exposition format 0.0.4, the pieces every metric type shares: name rules,
// escaping (label values: backslash, double quote, newline; HELP text: backslash, newline) and
// sample values (integers without a fraction, other numbers in their shortest round-trip form,
// +Inf / -Inf / NaN).
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
//
// Pure functions; thread-safe. They do not fail: callers validate names at registration.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace appkeeper::metrics {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool isValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved by Prometheus).
bool isValidLabelName(std::string_view name);

void appendValue(std::string& out, double value);
void appendEscapedLabelValue(std::string& out, std::string_view value);
void appendEscapedHelp(std::string& out, std::string_view help);

// "# HELP name help\n# TYPE name type\n".
void appendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type);

// One sample line: name+suffix{n1="v1",...[,extraName="extraValue"]} value\n. `names` and
// `values` have the same length; the braces are left out when there is no label at all.
void appendSample(std::string& out, std::string_view name, std::string_view suffix,
                  std::span<const std::string> names, std::span<const std::string> values,
                  std::string_view extraName, std::string_view extraValue, double value);

}  // namespace appkeeper::metrics
