// InboundRequest / InboundResponse: the plain values the inbound routes work on. The Poco
// adapter (inbound_server.cpp) fills an InboundRequest from the socket and writes the
// InboundResponse back, so every decision is made by functions that are tested without sockets.
//
// Plain values: no ownership, no thread contract beyond that of std::string.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace appkeeper::handlers {

struct InboundRequest {
  std::string method;                          // "POST"
  std::string path;                            // request path without the query, as received
  std::map<std::string, std::string> query;    // decoded; the first occurrence of a name wins
  std::map<std::string, std::string> headers;  // names lower-cased; first occurrence wins
  std::string contentType;                     // the Content-Type header as received ("" if none)
  std::string body;                            // empty when bodyTooLarge
  bool bodyTooLarge = false;                   // the body exceeded the limit and was not read

  std::optional<std::string_view> header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    if (it == headers.end()) return std::nullopt;
    return std::string_view(it->second);
  }
};

struct InboundResponse {
  int status = 200;
  std::string contentType;  // empty: no Content-Type header (empty body)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace appkeeper::handlers
