// Splitting a request target into path and query, and decoding the query the way HTML forms and
// Graph's validation request encode it ('%XX' escapes, '+' for space).
//
// Pure functions, thread-safe; they never fail: a malformed escape is kept literally (the one
// value that matters, validationToken, is opaque and echoed as received in that case).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace appkeeper::handlers {

struct RequestTarget {
  std::string path;      // everything before '?', not decoded
  std::string rawQuery;  // everything after the first '?', fragment dropped
};

RequestTarget splitTarget(std::string_view target);

// '%XX' -> byte, '+' -> ' '.
std::string decodeQueryComponent(std::string_view s);

// "a=1&b=x%20y&c" -> {a:"1", b:"x y", c:""}; the first occurrence of a name wins.
std::map<std::string, std::string> parseQuery(std::string_view rawQuery);

// A request path as it may appear in a log line: every byte outside printable ASCII (control
// characters such as ESC, which would drive an admin's terminal, and non-ASCII bytes, which may
// be invalid UTF-8) written as %XX, and at most `max` bytes of the path kept ("..." after a cut).
std::string loggablePath(std::string_view path, size_t max = 128);

}  // namespace appkeeper::handlers
