// Time as text for the CLI and the audit output: RFC 3339 (UTC, milliseconds) out; RFC 3339 or a
// relative age ("90s", "30m", "1h", "2d", "1w") in, for `--since`. Pure, thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace appkeeper::daemon {

// "2026-11-29T10:00:00.123Z".
std::string formatRfc3339(WallTime t);

// A wait for messages, to a tenth of a second: 1500 ms -> "1.5 s".
std::string formatSeconds(std::chrono::milliseconds d);
// Whole hours: 48 h -> "48 h".
std::string formatHours(std::chrono::milliseconds d);

// "2026-11-29T10:00:00Z", "...T10:00:00.5+01:00", "2026-11-29 10:00:00Z" (a space for the T),
// or a bare date "2026-11-29" (midnight UTC). nullopt for anything else.
std::optional<WallTime> parseRfc3339(std::string_view text);

// `--since`: an RFC 3339 time, or an age before `now` ("<digits><s|m|h|d|w>").
// kInvalidInput with a message saying what is accepted.
Result<WallTime> parseSince(std::string_view text, WallTime now);

}  // namespace appkeeper::daemon
