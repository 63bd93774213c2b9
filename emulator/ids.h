// Identifiers the emulator hands out: GUIDs from a Random, and the base64 ids Graph uses for
// installations and app definitions (shared/graph-api.md Decision 5). Also the base64 codecs
// they need. Pure functions (newGuid draws from the Random it is given); never throw.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/random.h"

namespace appkeeper::emulator {

// Standard alphabet with '=' padding (what Graph's ids use).
std::string base64Encode(std::string_view bytes);
// Strict: standard alphabet, correct padding; nullopt otherwise.
std::optional<std::string> base64Decode(std::string_view text);
// URL-safe alphabet without padding (tokens, $skiptoken).
std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

// Lower-case version-4 GUID "8-4-4-4-12".
std::string newGuid(Random& random);
bool isGuid(std::string_view text);

// base64("{teamId}##{teamsAppId}").
std::string installationId(std::string_view teamId, std::string_view teamsAppId);
// base64("{teamsAppId}##{version}##{Published|Submitted|Rejected}"): the id changes with the
// publishing state, as in the docs' approval example.
std::string definitionId(std::string_view teamsAppId, std::string_view version,
                         std::string_view publishingState);

}  // namespace appkeeper::emulator
