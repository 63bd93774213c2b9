// AdminServer: the optional second listener for the admin endpoints ([admin] address): GET
// /metrics (behind the bearer token when one is configured) plus GET /healthz and GET /readyz,
// so a management network or loopback-only address can be scraped while the main listener
// faces Graph. Requests are answered by handleAdminRequest (admin_routes.h) through an
// HttpListener (http_listener.h); every route is a GET, so bodies are capped at 4 KiB and ignored.
//
// Thread contract: start() and stop() from one thread; the server's own threads call the
// routes' functions and the observer. stop() waits for in-flight requests. The Clock is
// borrowed and must outlive the server.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "handlers/admin_routes.h"

namespace spdlog {
class logger;
}

namespace appkeeper::handlers {

struct AdminServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 9090;  // 0 picks a free port (tests)
  AdminRoutes routes;
  RequestObserver onRequest;  // may be empty
  int maxThreads = 2;         // scrapes are rare and short
  int maxQueued = 16;
  std::shared_ptr<spdlog::logger> logger;  // null: no logging
};

class AdminServer {
 public:
  // Binds and starts serving. Errors: the address is in use or not bindable -> kPermanent with
  // the address; a limit below 1 -> kInvalidInput.
  static Result<std::unique_ptr<AdminServer>> start(AdminServerOptions options, const Clock& clock);
  ~AdminServer();  // stops if still running
  uint16_t port() const;
  void stop();

 private:
  struct Impl;
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace appkeeper::handlers
