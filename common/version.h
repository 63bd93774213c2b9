// Teams app versions ("1.10.0", "1.2"): numeric, component by component (Decision 1 of
// shared/graph-api.md). Missing components count as 0, so "1.2" == "1.2.0".
#pragma once

#include <optional>
#include <string_view>

namespace appkeeper {

// True when every dot-separated component is a non-empty run of digits (at most 9 each).
bool isValidVersion(std::string_view v);

// <0, 0, >0 like strcmp; nullopt when either side is not a valid version.
std::optional<int> compareVersions(std::string_view a, std::string_view b);

}  // namespace appkeeper
