// The admin listener: handleAdminRequest (admin_routes.h) behind an HttpListener
// (http_listener.h does the Poco side).
#include "handlers/admin_server.h"

#include <spdlog/spdlog.h>

#include "handlers/http_listener.h"

namespace appkeeper::handlers {
namespace {

// Every admin route is a GET: a body is never needed, so it is kept small.
constexpr size_t kMaxAdminBodyBytes = 4096;

}  // namespace

// Declaration order is destruction order in reverse: the listener goes first, then the routes
// its handler borrows.
struct AdminServer::Impl {
  AdminRoutes routes;
  std::unique_ptr<HttpListener> listener;
};

Result<std::unique_ptr<AdminServer>> AdminServer::start(AdminServerOptions options,
                                                        const Clock& clock) {
  if (options.maxThreads < 1 || options.maxQueued < 1) {
    return Error::invalidInput("admin server: maxThreads and maxQueued must be >= 1");
  }
  auto impl = std::make_unique<Impl>();
  impl->routes = std::move(options.routes);
  HttpListenerOptions listen;
  listen.name = "admin listener";
  listen.address = options.address;
  listen.port = options.port;
  listen.backlog = 16;
  listen.maxThreads = options.maxThreads;
  listen.maxQueued = options.maxQueued;
  listen.maxBodyBytes = kMaxAdminBodyBytes;
  auto listener = HttpListener::start(
      std::move(listen),
      [routes = &impl->routes](const InboundRequest& in) { return handleAdminRequest(in, *routes); },
      std::move(options.onRequest), clock, options.logger);
  if (!listener) return listener.error();
  impl->listener = std::move(*listener);
  if (options.logger) {
    options.logger->info("admin listener on {}:{} (/metrics{}, /healthz, /readyz)",
                         options.address, impl->listener->port(),
                         impl->routes.metrics.token.empty() ? "" : " with bearer token");
  }
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() { stop(); }

uint16_t AdminServer::port() const { return impl_->listener->port(); }

void AdminServer::stop() {
  if (impl_ && impl_->listener) impl_->listener->stop();
}

}  // namespace appkeeper::handlers
