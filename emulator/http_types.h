// The emulator's request/response values: its routes are plain functions from Request to
// Response, so they are tested without sockets; emulator_server.cpp adapts them to Poco.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace appkeeper::emulator {

struct Request {
  std::string method;
  std::string scheme = "http";  // "https" when the server speaks TLS: absolute links follow it
  std::string path;  // decoded path, without query: /v1.0/teams/abc/installedApps
  // As received (percent-encoded). Routing splits this one, so an id holding an encoded '/'
  // stays one segment; tests that build a Request by hand may leave it empty (path is used).
  std::string rawPath;
  std::string rawQuery;                        // as received, without '?'
  std::map<std::string, std::string> query;    // decoded; "$filter" -> "teamsApp/id eq 'x'"
  std::map<std::string, std::string> headers;  // keys lower-case
  std::string body;
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
};

// How the transport should misbehave (fault injection); kNone sends the response normally.
enum class Misbehave { kNone, kHang, kDrop, kTruncate, kNonJson };

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string contentType = "application/json";
  std::string body;
  Misbehave misbehave = Misbehave::kNone;
  std::chrono::milliseconds hangFor{0};  // kHang: how long to hold the connection, then close

  static Response json(int status, const nlohmann::json& body) {
    Response r;
    r.status = status;
    r.body = body.dump();
    return r;
  }
  static Response empty(int status) {
    Response r;
    r.status = status;
    r.contentType.clear();
    return r;
  }
};

// Per-request identity the routes need for error bodies and the request-id header.
struct RequestContext {
  std::string requestId;        // GUID, also sent as the request-id response header
  std::string clientRequestId;  // echoed from the client-request-id request header
  std::string date;             // "2024-04-18T21:08:55" (UTC, no zone suffix, as Graph)
};

// Graph's error shape (shared/graph-api.md §5.1):
// {"error":{"code","message","innerError":{"code"?,"message"?,"date","request-id","client-request-id"}}}
Response graphError(const RequestContext& ctx, int status, const std::string& code,
                    const std::string& message, const std::string& innerCode = "");

}  // namespace appkeeper::emulator
