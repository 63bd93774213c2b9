// Percent-decoding of request targets: the emulator routes on path segments decoded one by one
// (an installation id may carry an encoded '/'), and reads query values form-style ('+' is a
// space, as in the docs' "$filter=id+eq+'...'"). Pure functions; never throw.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace appkeeper::emulator {

// nullopt for a malformed escape ("%4", "%zz").
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace);
// "/v1.0/teams/a%2Fb/" -> {"v1.0", "teams", "a/b"}; empty segments are dropped.
std::optional<std::vector<std::string>> splitPath(std::string_view rawPath);
// "a=1&b=x+y" -> {a:1, b:"x y"}; a repeated name keeps its first value. nullopt when malformed.
std::optional<std::map<std::string, std::string>> parseQuery(std::string_view rawQuery);
// Percent-encodes everything but RFC 3986 unreserved characters (for building URLs).
std::string percentEncode(std::string_view text);

}  // namespace appkeeper::emulator
