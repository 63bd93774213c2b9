// Text forms of time used on the emulator's wire: Graph's error dates, OData DateTimeOffset and
// the identity platform's timestamps. Pure functions, thread-safe, never throw.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"

namespace appkeeper::emulator {

// "2024-04-18T21:08:55": innerError.date (UTC, no zone suffix, as Graph writes it).
std::string graphErrorDate(WallTime t);
// "2024-04-18T21:08:55.123Z": OData DateTimeOffset (lastModifiedDateTime).
std::string odataDateTime(WallTime t);
// "2024-04-18 21:08:55Z": the identity platform's error "timestamp".
std::string aadTimestamp(WallTime t);
// Reads "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (what odataDateTime writes); nullopt otherwise.
std::optional<WallTime> parseOdataDateTime(const std::string& text);

}  // namespace appkeeper::emulator
