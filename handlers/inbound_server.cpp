// The Poco side of the inbound server: socket, thread pool, HTTPServer, and the one request
// handler that turns a Poco request into an InboundRequest (body read with a size cap), asks the
// Router, and writes the InboundResponse. Everything that decides lives in router.cpp and the
// route files; Poco types stay in this file.
#include "handlers/inbound_server.h"

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

#include <optional>

#include "handlers/query_string.h"
#include "handlers/responses.h"
#include "handlers/router.h"
#include "handlers/standard_webhooks.h"
#include "handlers/store_pool.h"

namespace appkeeper::handlers {
namespace {

using Poco::Net::HTTPRequestHandler;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

std::string lowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

enum class BodyRead { kComplete, kTooLarge, kTruncated };

// Fills `in` from the socket. Anything but kComplete leaves the connection unusable for another
// request (its next bytes would be the rest of this body), so the caller closes it. A socket
// error or timeout while reading the body throws the Poco exception.
BodyRead readRequest(HTTPServerRequest& request, size_t maxBody, InboundRequest& in) {
  in.method = request.getMethod();
  RequestTarget target = splitTarget(request.getURI());
  in.path = std::move(target.path);
  in.query = parseQuery(target.rawQuery);
  for (const auto& [name, value] : request) in.headers.emplace(lowerAscii(name), value);
  in.contentType = request.get("Content-Type", "");

  const bool chunked = request.getChunkedTransferEncoding();
  if (!chunked && !request.hasContentLength()) return BodyRead::kComplete;  // no body
  const auto declared = request.getContentLength64();
  if (!chunked && declared > static_cast<Poco::Int64>(maxBody)) {
    in.bodyTooLarge = true;  // refused on the declared length, before reading a byte
    return BodyRead::kTooLarge;
  }
  std::istream& stream = request.stream();
  // Without this the istream swallows the socket's exception and looks like a short body.
  stream.exceptions(std::ios::badbit);
  char buffer[8192];
  // Bounded: every pass appends at least one byte and the total is capped at maxBody.
  while (stream.read(buffer, sizeof buffer) || stream.gcount() > 0) {
    const auto n = static_cast<size_t>(stream.gcount());
    if (in.body.size() + n > maxBody) {  // chunked (or lying) sender: stop at the cap
      in.body.clear();
      in.bodyTooLarge = true;
      return BodyRead::kTooLarge;
    }
    in.body.append(buffer, n);
  }
  if (!chunked && static_cast<Poco::Int64>(in.body.size()) != declared) return BodyRead::kTruncated;
  return BodyRead::kComplete;
}

void writeResponse(HTTPServerResponse& response, const InboundResponse& out, bool keepAlive) {
  response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(out.status));
  if (!out.contentType.empty()) response.setContentType(out.contentType);
  for (const auto& [name, value] : out.headers) response.set(name, value);
  if (!keepAlive) response.setKeepAlive(false);
  response.sendBuffer(out.body.data(), out.body.size());
}

class InboundRequestHandler final : public HTTPRequestHandler {
 public:
  InboundRequestHandler(const Router& router, size_t maxBody, const Clock& clock,
                        spdlog::logger& logger, const RequestObserver& observer)
      : router_(router), maxBody_(maxBody), clock_(clock), logger_(logger), observer_(observer) {}

  // Catches everything: an exception escaping here would leave the client without an answer.
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    const SteadyTime started = clock_.steadyNow();
    InboundRequest in;
    InboundResponse out;
    bool keepAlive = true;
    try {
      const BodyRead body = readRequest(request, maxBody_, in);
      keepAlive = body == BodyRead::kComplete;
      out = body == BodyRead::kTruncated
                ? errorResponse(400, "badRequest", "the request body ended before Content-Length")
                : router_.handle(in);
    } catch (const Poco::TimeoutException&) {
      keepAlive = false;
      out = errorResponse(408, "requestTimeout", "the request body did not arrive in time");
    } catch (const Poco::IOException& e) {  // broken chunk framing, connection reset
      keepAlive = false;
      logger_.debug("inbound {} {}: could not read the request: {}", in.method, clip(in.path, 128),
                    e.displayText());
      out = errorResponse(400, "badRequest", "the request body could not be read");
    } catch (const std::exception& e) {
      keepAlive = false;
      logger_.error("inbound {} {}: internal error: {}", in.method, clip(in.path, 128), e.what());
      out = errorResponse(500, "internalError", "internal error; see the server log");
    } catch (...) {
      keepAlive = false;
      logger_.error("inbound {} {}: internal error (non-standard exception)", in.method,
                    clip(in.path, 128));
      out = errorResponse(500, "internalError", "internal error; see the server log");
    }
    try {
      if (!response.sent()) writeResponse(response, out, keepAlive);
    } catch (const std::exception& e) {
      logger_.debug("inbound {} {}: could not send the response: {}", in.method, clip(in.path, 128),
                    e.what());
    } catch (...) {
      logger_.debug("inbound {} {}: could not send the response", in.method, clip(in.path, 128));
    }
    // Method, path, status, duration only: headers and bodies may carry secrets.
    const auto elapsed = clock_.steadyNow() - started;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed);
    logger_.debug("inbound {} {} -> {} in {} ms", in.method, clip(in.path, 128), out.status,
                  ms.count());
    try {
      if (observer_) observer_(endpointLabel(in.path), out.status, elapsed);
    } catch (...) {  // metrics must never cost the request its thread
    }
  }

 private:
  const Router& router_;
  const size_t maxBody_;
  const Clock& clock_;
  spdlog::logger& logger_;
  const RequestObserver& observer_;
};

// Every path goes to the one handler: the Router answers unknown paths (404) and wrong methods
// (405) itself, because a factory returning nullptr makes Poco answer 501.
class InboundHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  InboundHandlerFactory(const Router& router, size_t maxBody, const Clock& clock,
                        spdlog::logger& logger, const RequestObserver& observer)
      : router_(router), maxBody_(maxBody), clock_(clock), logger_(logger), observer_(observer) {}
  HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new InboundRequestHandler(router_, maxBody_, clock_, logger_, observer_);  // Poco owns
  }

 private:
  const Router& router_;
  const size_t maxBody_;
  const Clock& clock_;
  spdlog::logger& logger_;
  const RequestObserver& observer_;
};

}  // namespace

// Declaration order is destruction order in reverse: the server (last) goes first, then the
// threads, then what the handlers borrow.
struct InboundServer::Impl {
  std::shared_ptr<spdlog::logger> logger;
  RequestObserver onRequest;
  std::optional<WebhookKey> catalogKey;
  std::unique_ptr<StorePool> pool;
  std::unique_ptr<Router> router;
  std::unique_ptr<Poco::ThreadPool> threads;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t port = 0;
  bool running = false;
};

Result<std::unique_ptr<InboundServer>> InboundServer::start(InboundServerOptions options,
                                                            const Clock& clock) {
  if (options.maxThreads < 1 || options.maxQueued < 1 || options.maxBodyBytes < 1) {
    return Error::invalidInput(
        "inbound server: maxThreads, maxQueued and maxBodyBytes must be >= 1");
  }
  if (options.dbPath.empty()) return Error::invalidInput("inbound server: no database path given");

  auto impl = std::make_unique<Impl>();
  impl->onRequest = std::move(options.onRequest);
  impl->logger = options.logger ? options.logger
                                : std::make_shared<spdlog::logger>(
                                      "inbound", std::make_shared<spdlog::sinks::null_sink_mt>());
  if (!options.catalogSecret.empty()) {
    auto key = WebhookKey::fromSecret(options.catalogSecret);
    if (!key) return Error::invalidInput("inbound server: " + key.error().message);
    impl->catalogKey = std::move(key.value());
  } else {
    impl->logger->warn("no catalog secret configured: POST /events/catalog refuses every event");
  }

  const size_t connections = options.storeConnections > 0 ? options.storeConnections
                                                          : static_cast<size_t>(options.maxThreads);
  store::OpenOptions storeOptions;
  storeOptions.busyTimeout = options.storeBusyTimeout;
  auto pool = StorePool::open(options.dbPath, clock, connections, storeOptions);
  if (!pool) {
    Error e = pool.error();
    e.message = "inbound server: cannot open the store " + options.dbPath + ": " + e.message;
    return e;
  }
  impl->pool = std::move(pool.value());

  RouterConfig config;
  config.tenantId = options.tenantId;
  config.catalogKey = impl->catalogKey ? &*impl->catalogKey : nullptr;
  config.ready = options.ready;
  config.storeWait = options.storeWait;
  config.metrics = std::move(options.metrics);
  impl->router = std::make_unique<Router>(std::move(config), *impl->pool, clock, *impl->logger);

  const std::string where = options.address + ":" + std::to_string(options.port);
  try {
    Poco::Net::ServerSocket socket;
    // SO_REUSEADDR so a restart can rebind while old connections sit in TIME_WAIT; never
    // SO_REUSEPORT, which would let a second daemon silently share the port.
    socket.bind(Poco::Net::SocketAddress(options.address, options.port), /*reuseAddress=*/true,
                /*reusePort=*/false);
    socket.listen(64);
    impl->port = socket.address().port();

    auto* params = new Poco::Net::HTTPServerParams;  // the server takes ownership
    params->setMaxThreads(options.maxThreads);
    params->setMaxQueued(options.maxQueued);
    params->setTimeout(Poco::Timespan(10, 0));  // a stalled body ends in 408, not a held thread
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));

    // A pool of our own: Poco's default pool is global and capped at 16 threads.
    impl->threads = std::make_unique<Poco::ThreadPool>(1, options.maxThreads);
    impl->server = std::make_unique<Poco::Net::HTTPServer>(
        new InboundHandlerFactory(*impl->router, options.maxBodyBytes, clock, *impl->logger,
                                  impl->onRequest),
        *impl->threads, socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return Error::permanent("inbound server: cannot listen on " + where + ": " + e.displayText());
  } catch (const std::exception& e) {
    return Error::permanent("inbound server: cannot listen on " + where + ": " + e.what());
  }
  impl->running = true;
  impl->logger->info("inbound server listening on {}:{} ({} threads, {} store connections)",
                     options.address, impl->port, options.maxThreads, connections);
  return std::unique_ptr<InboundServer>(new InboundServer(std::move(impl)));
}

InboundServer::InboundServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

InboundServer::~InboundServer() { stop(); }

uint16_t InboundServer::port() const { return impl_->port; }

void InboundServer::stop() {
  if (!impl_ || !impl_->running) return;
  impl_->running = false;
  try {
    // Stop accepting, let in-flight requests finish (each connection closes after its current
    // request), then wait for the threads that served them.
    impl_->server->stopAll(false);
    impl_->threads->joinAll();
  } catch (const std::exception& e) {
    impl_->logger->error("inbound server: error while stopping: {}", e.what());
  }
  impl_->logger->info("inbound server stopped");
}

}  // namespace appkeeper::handlers
