// The Poco side of the admin listener: socket, thread pool, HTTPServer and one handler that
// turns a Poco request into an InboundRequest (headers only), asks handleAdminRequest and
// writes the answer. Poco types stay in this file.
#include "handlers/admin_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "common/ascii.h"
#include "handlers/query_string.h"
#include "handlers/responses.h"
#include "handlers/router.h"

namespace appkeeper::handlers {
namespace {

using Poco::Net::HTTPRequestHandler;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

class AdminRequestHandler final : public HTTPRequestHandler {
 public:
  AdminRequestHandler(const AdminRoutes& routes, const RequestObserver& observer,
                      const Clock& clock, spdlog::logger& logger)
      : routes_(routes), observer_(observer), clock_(clock), logger_(logger) {}

  // Catches everything: an exception escaping here would leave the client without an answer.
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    const SteadyTime started = clock_.steadyNow();
    InboundRequest in;
    InboundResponse out;
    try {
      in.method = request.getMethod();
      in.path = splitTarget(request.getURI()).path;
      for (const auto& [name, value] : request) in.headers.emplace(toLowerAscii(name), value);
      out = handleAdminRequest(in, routes_);
    } catch (const std::exception& e) {
      logger_.error("admin {} {}: internal error: {}", in.method, clip(in.path, 128), e.what());
      out = errorResponse(500, "internalError", "internal error; see the server log");
    } catch (...) {
      logger_.error("admin {} {}: internal error (non-standard exception)", in.method,
                    clip(in.path, 128));
      out = errorResponse(500, "internalError", "internal error; see the server log");
    }
    try {
      response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(out.status));
      if (!out.contentType.empty()) response.setContentType(out.contentType);
      for (const auto& [name, value] : out.headers) response.set(name, value);
      // An unread body would be taken for the next request on this connection.
      if (request.getChunkedTransferEncoding() || request.getContentLength64() > 0) {
        response.setKeepAlive(false);
      }
      response.sendBuffer(out.body.data(), out.body.size());
    } catch (const std::exception& e) {
      logger_.debug("admin {} {}: could not send the response: {}", in.method, clip(in.path, 128),
                    e.what());
    } catch (...) {
      logger_.debug("admin {} {}: could not send the response", in.method, clip(in.path, 128));
    }
    try {
      if (observer_) observer_(endpointLabel(in.path), out.status, clock_.steadyNow() - started);
    } catch (...) {  // metrics must never cost the request its thread
    }
  }

 private:
  const AdminRoutes& routes_;
  const RequestObserver& observer_;
  const Clock& clock_;
  spdlog::logger& logger_;
};

class AdminHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  AdminHandlerFactory(const AdminRoutes& routes, const RequestObserver& observer,
                      const Clock& clock, spdlog::logger& logger)
      : routes_(routes), observer_(observer), clock_(clock), logger_(logger) {}
  HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new AdminRequestHandler(routes_, observer_, clock_, logger_);  // Poco owns it
  }

 private:
  const AdminRoutes& routes_;
  const RequestObserver& observer_;
  const Clock& clock_;
  spdlog::logger& logger_;
};

}  // namespace

// Declaration order is destruction order in reverse: the server (last) goes first, then the
// threads, then what the handlers borrow.
struct AdminServer::Impl {
  std::shared_ptr<spdlog::logger> logger;
  AdminRoutes routes;
  RequestObserver onRequest;
  std::unique_ptr<Poco::ThreadPool> threads;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t port = 0;
  bool running = false;
};

Result<std::unique_ptr<AdminServer>> AdminServer::start(AdminServerOptions options,
                                                        const Clock& clock) {
  if (options.maxThreads < 1 || options.maxQueued < 1) {
    return Error::invalidInput("admin server: maxThreads and maxQueued must be >= 1");
  }
  auto impl = std::make_unique<Impl>();
  impl->logger = options.logger ? options.logger
                                : std::make_shared<spdlog::logger>(
                                      "admin", std::make_shared<spdlog::sinks::null_sink_mt>());
  impl->routes = std::move(options.routes);
  impl->onRequest = std::move(options.onRequest);

  const std::string where = options.address + ":" + std::to_string(options.port);
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(options.address, options.port), /*reuseAddress=*/true,
                /*reusePort=*/false);
    socket.listen(16);
    impl->port = socket.address().port();

    auto* params = new Poco::Net::HTTPServerParams;  // the server takes ownership
    params->setMaxThreads(options.maxThreads);
    params->setMaxQueued(options.maxQueued);
    params->setTimeout(Poco::Timespan(10, 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));

    impl->threads = std::make_unique<Poco::ThreadPool>(1, options.maxThreads);
    impl->server = std::make_unique<Poco::Net::HTTPServer>(
        new AdminHandlerFactory(impl->routes, impl->onRequest, clock, *impl->logger),
        *impl->threads, socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return Error::permanent("admin server: cannot listen on " + where + ": " + e.displayText());
  } catch (const std::exception& e) {
    return Error::permanent("admin server: cannot listen on " + where + ": " + e.what());
  }
  impl->running = true;
  impl->logger->info("admin listener on {}:{} (/metrics{}, /healthz, /readyz)", options.address,
                     impl->port, impl->routes.metrics.token.empty() ? "" : " with bearer token");
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() { stop(); }

uint16_t AdminServer::port() const { return impl_->port; }

void AdminServer::stop() {
  if (!impl_ || !impl_->running) return;
  impl_->running = false;
  try {
    impl_->server->stopAll(false);
    impl_->threads->joinAll();
  } catch (const std::exception& e) {
    impl_->logger->error("admin server: error while stopping: {}", e.what());
  }
  impl_->logger->info("admin listener stopped");
}

}  // namespace appkeeper::handlers
