// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Untrusted input: anything else,
// negative values and dates in the past yield nullopt / zero, and huge values are clamped.
//
// Accepted: "120" (digits, surrounding spaces/tabs tolerated); IMF-fixdate
// "Sun, 06 Nov 1994 08:49:37 GMT"; the obsolete RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit
// years read as the most recent matching year not more than 50 years ahead) and asctime
// "Sun Nov  6 08:49:37 1994". Pure, thread-safe, never throws.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "common/clock.h"

namespace appkeeper::graph {

// nullopt when the header is absent or garbage; the wait otherwise, clamped to [0, cap].
std::optional<std::chrono::milliseconds> parseRetryAfter(
    std::string_view value, WallTime now, std::chrono::milliseconds cap = std::chrono::hours(1));

// The HTTP-date forms above (seconds precision, so any 4-digit year fits); nullopt for anything
// else (exposed for tests).
std::optional<std::chrono::sys_seconds> parseHttpDate(std::string_view value, WallTime now);

}  // namespace appkeeper::graph
