// Server-driven paging (shared/graph-api.md §2.7): a page carries an ABSOLUTE @odata.nextLink
// made from the Host the client used, the original query parameters as the client sent them,
// and an opaque $skiptoken. The token is base64url("v1:{offset}:{checksum}"), where the checksum
// binds the offset to the request path and the other parameters, so a tampered token, or one
// moved to another query, is refused (the route answers 400).
// Pure functions; thread-safe; never throw.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "emulator/http_types.h"

namespace appkeeper::emulator {

// scheme ("http" or "https") + "://" + Host header (127.0.0.1 when the client sent none).
std::string requestOrigin(const Request& req);
// What a $skiptoken of this request is bound to: the path and every parameter but $skiptoken.
std::string pagingBinding(const Request& req);
std::string encodeSkipToken(size_t offset, const std::string& binding);
// nullopt when the token is malformed or was made for another binding.
std::optional<size_t> decodeSkipToken(const std::string& token, const std::string& binding);
// The absolute link to the page starting at `offset`.
std::string nextLink(const Request& req, size_t offset);

}  // namespace appkeeper::emulator
