// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Untrusted input: anything else,
// negative values and dates in the past yield nullopt / zero, and huge values are clamped.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "common/clock.h"

namespace appkeeper::graph {

// nullopt when the header is absent or garbage; the wait otherwise, clamped to [0, cap].
std::optional<std::chrono::milliseconds> parseRetryAfter(
    std::string_view value, WallTime now, std::chrono::milliseconds cap = std::chrono::hours(1));

}  // namespace appkeeper::graph
