// HttpTransport: the seam between appkeeper's Graph logic and the network. One request in, one
// response (any status) or a transport Error out. Implementations are thread-safe.
//
// Errors: connection refused/reset, timeouts, truncated bodies and TLS failures are
// ErrorKind::kTransient with a message naming the host and what happened; a malformed URL is
// kInvalidInput. Never put request headers (they hold tokens) or bodies into error messages.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace appkeeper::graph {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: http://127.0.0.1:1234/v1.0/teams?$top=5
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{30'000};
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
  // Case-insensitive header lookup; empty when absent.
  std::string header(std::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

struct TransportOptions {
  std::string caFile;  // extra trust anchor for HTTPS (empty: system store)
};

// Poco-based transport: http:// (loopback/emulator) and https:// with certificate and host-name
// verification. Keeps no connection state shared between threads.
std::unique_ptr<HttpTransport> makePocoTransport(const TransportOptions& options = {});

}  // namespace appkeeper::graph
