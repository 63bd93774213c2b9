// URL helpers for the Graph client: split an absolute http(s) URL into what a connection needs
// without decoding or rebuilding the path (so @odata.nextLink is sent verbatim), and the
// percent-encodings Graph requests need (path segments, OData query values, form bodies).
//
// Pure functions, thread-safe. parseUrl returns kInvalidInput for anything that is not a plain
// absolute http/https URL (no user-info, valid port).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace appkeeper::graph {

struct ParsedUrl {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // without IPv6 brackets
  uint16_t port = 0;   // explicit or the scheme default
  std::string target;  // path + query exactly as given ("/" when empty), fragment dropped
  // "scheme://host:port": the pool key and the origin compared for nextLink.
  std::string origin() const;
  // "host:port" for error messages.
  std::string hostPort() const;
};

Result<ParsedUrl> parseUrl(std::string_view url);

// Every byte except unreserved (A-Z a-z 0-9 - . _ ~) as %XX: safe for ids that contain '/',
// '+', '=' (base64 installation ids).
std::string encodePathSegment(std::string_view s);
// For one query parameter value: like a path segment, but keeps the characters OData
// expressions use and RFC 3986 allows in a query ("'(),$:/@!*;") readable.
std::string encodeQueryValue(std::string_view s);
// application/x-www-form-urlencoded value (RFC 1866 / WHATWG): unreserved kept, space and
// everything else as %XX.
std::string encodeFormValue(std::string_view s);
// An OData string literal: 'value' with single quotes doubled.
std::string odataString(std::string_view s);

// Percent-encodes only bytes that may not appear in an HTTP request-target (controls, space,
// non-ASCII, '"', '<', '>', '\\', '^', '`', '{', '|', '}'), leaving existing escapes alone. A
// server-supplied nextLink therefore cannot inject a header or break the request line.
std::string sanitizeRequestTarget(std::string_view target);

}  // namespace appkeeper::graph
