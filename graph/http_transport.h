// HttpTransport: the seam between appkeeper's Graph logic and the network. One request in, one
// response (any status) or a transport Error out. Implementations are thread-safe.
//
// Errors: connection refused/reset, timeouts, truncated bodies and TLS errors other than a
// refused certificate are ErrorKind::kTransient with a message naming host:port and what
// happened; a malformed URL or a header containing a line break is kInvalidInput; a body over
// the size cap, an https URL when the TLS settings could not be loaded, or a server certificate
// that fails verification ("TLS to HOST:PORT failed: certificate verify failed: REASON", "...:
// host name mismatch: certificate is for NAMES") is kPermanent, so callers fail fast. Never put
// request headers (they hold tokens) or bodies into error messages.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  // Applies to each of connect, send and receive (per socket operation, not the whole call).
  std::chrono::milliseconds timeout{30'000};
};

// The first value of header `name` (ASCII case-insensitive); nullopt when absent.
std::optional<std::string> findHeader(const Headers& headers, std::string_view name);

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
  std::string caFile;  // extra trust anchor for HTTPS (empty: system store only)
  size_t maxBodyBytes = 16 * 1024 * 1024;  // larger response bodies are an error
  size_t maxIdlePerOrigin = 16;            // keep-alive connections kept per scheme/host/port
  // An idle connection older than this is not reused (servers close idle ones; Poco's own
  // default is 8 s, Azure front ends keep them for minutes).
  std::chrono::milliseconds maxIdle{5'000};
};

// Poco-based transport: http:// (loopback/emulator) and https:// with certificate and host-name
// verification always on, inside the handshake, so an unverified peer receives no request byte
// (TLS 1.2+, system trust store plus `caFile`; graph/tls_context.h). Keeps a small pool of
// keep-alive connections per origin (guarded by a mutex; a connection is used by one request at
// a time). A GET that fails on a reused connection before any response arrives is retried once
// on a fresh one; other methods never are.
std::unique_ptr<HttpTransport> makePocoTransport(const TransportOptions& options = {});

}  // namespace appkeeper::graph
