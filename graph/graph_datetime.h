// Graph's DateTimeOffset text (subscription expirationDateTime): written as Graph itself writes
// it, "2024-04-18T21:08:55.1230000Z" (UTC, seven fraction digits), and read in any RFC 3339
// form Graph may answer with (fraction optional and of any length, "Z" or "+hh:mm"/"-hh:mm").
// Pure functions, thread-safe, never throw.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace appkeeper::graph {

std::string formatGraphDateTime(WallTime t);
// nullopt for anything else, including impossible dates and years outside
// 1970..2261 (what WallTime holds).
std::optional<WallTime> parseGraphDateTime(std::string_view text);

}  // namespace appkeeper::graph
