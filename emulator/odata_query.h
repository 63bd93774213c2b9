// OData system query options as the emulator understands them. Input is untrusted, so parsing
// is strict: anything it cannot parse, or does not support, is an error (the routes answer 400
// BadRequest with its message) rather than being silently ignored.
//
// Supported: $filter with `path eq 'string'` comparisons joined by `and`, optionally in
// parentheses (e.g. "teamsApp/id eq 'x' and distributionMethod eq 'organization'");
// $expand as a comma list of names with an optional nested ($select=a,b); $select; $top
// (1..999); $skiptoken; $count=true|false. Other $-options are refused; non-$ parameters are
// ignored (Graph ignores unknown custom parameters too).
// Pure functions; thread-safe; never throw.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace appkeeper::emulator {

inline constexpr size_t kMaxTop = 999;

struct FilterClause {
  std::string path;   // "teamsApp/id", "distributionMethod"
  std::string value;  // the string literal, unescaped
  bool operator==(const FilterClause&) const = default;
};

struct ExpandItem {
  std::string name;
  std::optional<std::vector<std::string>> select;
};

struct ODataQuery {
  std::vector<FilterClause> filter;  // all must hold
  std::vector<ExpandItem> expand;
  std::optional<std::vector<std::string>> select;
  std::optional<size_t> top;
  std::optional<std::string> skipToken;
  bool count = false;
};

Result<std::vector<FilterClause>> parseFilter(const std::string& text);
Result<std::vector<ExpandItem>> parseExpand(const std::string& text);
Result<std::vector<std::string>> parseSelect(const std::string& text);
// From the decoded query parameters of a request.
Result<ODataQuery> parseODataQuery(const std::map<std::string, std::string>& query);

}  // namespace appkeeper::emulator
