#include "handlers/http_listener.h"

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

enum class BodyRead { kComplete, kTooLarge, kTruncated };

// Fills `in` from the socket. Anything but kComplete leaves the connection unusable for another
// request (its next bytes would be the rest of this body), so the caller closes it. A socket
// error or timeout while reading the body throws the Poco exception.
BodyRead readRequest(HTTPServerRequest& request, size_t maxBody, InboundRequest& in) {
  in.method = request.getMethod();
  RequestTarget target = splitTarget(request.getURI());
  in.path = std::move(target.path);
  in.query = parseQuery(target.rawQuery);
  for (const auto& [name, value] : request) in.headers.emplace(toLowerAscii(name), value);
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

// After a 413 the sender may still be writing the body we refused. Closing with unread bytes
// makes the kernel reset the connection, and a reset can reach the sender before it reads our
// answer: it would see a network error and retry, instead of a 413 telling it to stop. So up to
// kMaxDiscardBytes more are read and dropped first (each read bounded by the server timeout).
constexpr std::streamsize kMaxDiscardBytes = 16 << 20;

void discardRestOfBody(HTTPServerRequest& request) {
  try {
    std::istream& stream = request.stream();
    char buffer[8192];
    std::streamsize discarded = 0;
    while (discarded < kMaxDiscardBytes &&
           (stream.read(buffer, sizeof buffer) || stream.gcount() > 0)) {
      discarded += stream.gcount();
    }
  } catch (...) {  // the sender went away or stalled: the connection is closed either way
  }
}

void writeResponse(HTTPServerResponse& response, const InboundResponse& out, bool keepAlive) {
  response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(out.status));
  if (!out.contentType.empty()) response.setContentType(out.contentType);
  for (const auto& [name, value] : out.headers) response.set(name, value);
  if (!keepAlive) response.setKeepAlive(false);
  response.sendBuffer(out.body.data(), out.body.size());
}

// What every request handler of one listener shares (owned by the listener's Impl).
struct Shared {
  std::string name;
  size_t maxBody = 0;
  RequestHandler handler;
  RequestObserver observer;
  const Clock* clock = nullptr;
  std::shared_ptr<spdlog::logger> logger;
};

class RequestHandlerAdapter final : public HTTPRequestHandler {
 public:
  explicit RequestHandlerAdapter(const Shared& shared) : s_(shared) {}

  // Catches everything: an exception escaping here would leave the client without an answer.
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    spdlog::logger& log = *s_.logger;
    const SteadyTime started = s_.clock->steadyNow();
    InboundRequest in;
    InboundResponse out;
    bool keepAlive = true;
    // For log lines: the request line's bytes come from anyone, escape sequences included.
    auto where = [&in] { return loggablePath(in.method, 16) + " " + loggablePath(in.path); };
    try {
      const BodyRead body = readRequest(request, s_.maxBody, in);
      keepAlive = body == BodyRead::kComplete;
      out = body == BodyRead::kTruncated
                ? errorResponse(400, "badRequest", "the request body ended before Content-Length")
                : s_.handler(in);
    } catch (const Poco::TimeoutException&) {
      keepAlive = false;
      out = errorResponse(408, "requestTimeout", "the request body did not arrive in time");
    } catch (const Poco::IOException& e) {  // broken chunk framing, connection reset
      keepAlive = false;
      log.debug("{}: {}: could not read the request: {}", s_.name, where(), e.displayText());
      out = errorResponse(400, "badRequest", "the request body could not be read");
    } catch (const std::exception& e) {
      keepAlive = false;
      log.error("{}: {}: internal error: {}", s_.name, where(), e.what());
      out = errorResponse(500, "internalError", "internal error; see the server log");
    } catch (...) {
      keepAlive = false;
      log.error("{}: {}: internal error (non-standard exception)", s_.name, where());
      out = errorResponse(500, "internalError", "internal error; see the server log");
    }
    try {
      if (!response.sent()) writeResponse(response, out, keepAlive);
      if (in.bodyTooLarge) discardRestOfBody(request);
    } catch (const std::exception& e) {
      log.debug("{}: {}: could not send the response: {}", s_.name, where(), e.what());
    } catch (...) {
      log.debug("{}: {}: could not send the response", s_.name, where());
    }
    // Method, path, status, duration only: headers and bodies may carry secrets.
    const auto elapsed = s_.clock->steadyNow() - started;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed);
    // Checked first: the arguments (where() builds two escaped strings) are evaluated even when
    // the line is dropped, and this runs for every request.
    if (log.should_log(spdlog::level::debug)) {
      log.debug("{}: {} -> {} in {} ms", s_.name, where(), out.status, ms.count());
    }
    try {
      if (s_.observer) s_.observer(endpointLabel(in.path), out.status, elapsed);
    } catch (...) {  // metrics must never cost the request its thread
    }
  }

 private:
  const Shared& s_;
};

// Every path goes to the one handler: the RequestHandler answers unknown paths (404) and wrong
// methods (405) itself, because a factory returning nullptr makes Poco answer 501.
class AdapterFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit AdapterFactory(const Shared& shared) : s_(shared) {}
  HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new RequestHandlerAdapter(s_);  // Poco owns it
  }

 private:
  const Shared& s_;
};

// The public parts only: subject, serial and expiry tell an operator which certificate is live.
void logTlsCertificate(spdlog::logger& log, const std::string& name,
                       const TlsCertificateInfo& info) {
  log.info("{}: serving TLS with certificate {} (serial {}, expires {})", name, info.subject,
           info.serial, info.notAfter);
  if (info.expired) {
    log.warn("{}: the TLS certificate {} expired on {}: senders that verify it (Graph does) "
             "refuse to connect; install a new one and reload (SIGHUP)",
             name, info.subject, info.notAfter);
  }
}

}  // namespace

// Declaration order is destruction order in reverse: the server (last) goes first, then the
// threads, then what the handlers borrow.
struct HttpListener::Impl {
  Shared shared;
  std::unique_ptr<ListenerTls> tls;  // null: plain HTTP
  std::unique_ptr<Poco::ThreadPool> threads;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t port = 0;
  bool running = false;
};

Result<std::unique_ptr<HttpListener>> HttpListener::start(HttpListenerOptions options,
                                                          RequestHandler handler,
                                                          RequestObserver observer,
                                                          const Clock& clock,
                                                          std::shared_ptr<spdlog::logger> logger) {
  auto impl = std::make_unique<Impl>();
  impl->shared.name = options.name;
  impl->shared.maxBody = options.maxBodyBytes;
  impl->shared.handler = std::move(handler);
  impl->shared.observer = std::move(observer);
  impl->shared.clock = &clock;
  impl->shared.logger =
      logger ? std::move(logger)
             : std::make_shared<spdlog::logger>(options.name,
                                                std::make_shared<spdlog::sinks::null_sink_mt>());

  const std::string where = options.address + ":" + std::to_string(options.port);
  if (options.tls.enabled()) {
    auto tls = ListenerTls::load(options.tls);
    if (!tls) {
      Error e = tls.error();
      e.message = options.name + ": " + e.message;
      return e;
    }
    impl->tls = std::move(*tls);
  }
  try {
    Poco::Net::ServerSocket socket =
        impl->tls ? impl->tls->serverSocket() : Poco::Net::ServerSocket();
    // SO_REUSEADDR so a restart can rebind while old connections sit in TIME_WAIT; never
    // SO_REUSEPORT, which would let a second daemon silently share the port.
    socket.bind(Poco::Net::SocketAddress(options.address, options.port), /*reuseAddress=*/true,
                /*reusePort=*/false);
    socket.listen(options.backlog);
    impl->port = socket.address().port();

    auto* params = new Poco::Net::HTTPServerParams;  // the server takes ownership
    params->setMaxThreads(options.maxThreads);
    params->setMaxQueued(options.maxQueued);
    params->setTimeout(Poco::Timespan(10, 0));  // a stalled body ends in 408, not a held thread
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));

    // A pool of our own: Poco's default pool is global and capped at 16 threads.
    impl->threads = std::make_unique<Poco::ThreadPool>(1, options.maxThreads);
    impl->server = std::make_unique<Poco::Net::HTTPServer>(new AdapterFactory(impl->shared),
                                                           *impl->threads, socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return Error::permanent(options.name + ": cannot listen on " + where + ": " + e.displayText());
  } catch (const std::exception& e) {
    return Error::permanent(options.name + ": cannot listen on " + where + ": " + e.what());
  }
  impl->running = true;
  if (impl->tls) logTlsCertificate(*impl->shared.logger, impl->shared.name, impl->tls->current());
  return std::unique_ptr<HttpListener>(new HttpListener(std::move(impl)));
}

HttpListener::HttpListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpListener::~HttpListener() { stop(); }

uint16_t HttpListener::port() const { return impl_->port; }

bool HttpListener::tlsEnabled() const { return impl_->tls != nullptr; }

Result<TlsCertificateInfo> HttpListener::reloadTls(const ListenerTlsFiles& files) {
  if (!impl_->tls) {
    return Error::invalidInput(impl_->shared.name + ": TLS is off; it cannot be reloaded");
  }
  auto info = impl_->tls->reload(files);
  if (!info) {
    Error e = info.error();
    e.message = impl_->shared.name + ": " + e.message;
    return e;
  }
  logTlsCertificate(*impl_->shared.logger, impl_->shared.name, *info);
  return info;
}

void HttpListener::stop() {
  if (!impl_ || !impl_->running) return;
  impl_->running = false;
  try {
    // Stop accepting, let in-flight requests finish (each connection closes after its current
    // request), then wait for the threads that served them.
    impl_->server->stopAll(false);
    impl_->threads->joinAll();
  } catch (const std::exception& e) {
    impl_->shared.logger->error("{}: error while stopping: {}", impl_->shared.name, e.what());
  }
  impl_->shared.logger->info("{} stopped", impl_->shared.name);
}

}  // namespace appkeeper::handlers
