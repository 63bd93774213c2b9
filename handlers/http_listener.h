// HttpListener: the Poco HTTP server behind both of appkeeper's listeners (inbound and admin):
// the socket, a thread pool of its own, reading each request into an InboundRequest (body capped
// at maxBodyBytes), asking the handler, writing the InboundResponse, closing connections whose
// request was not read completely, and reporting every answer to the observer. What a request
// means is decided by the handler (Router, handleAdminRequest); Poco types stay in the .cpp.
// With `tls` set it serves HTTPS only (listener_tls.h); reloadTls() swaps the certificate for
// connections accepted afterwards.
//
// Thread contract: start(), reloadTls() and stop() from one thread; the server's threads call
// the handler and the observer concurrently. stop() waits for in-flight requests. The Clock is
// borrowed and must outlive the listener.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "handlers/admin_routes.h"
#include "handlers/inbound_request.h"
#include "handlers/listener_tls.h"

namespace spdlog {
class logger;
}

namespace appkeeper::handlers {

struct HttpListenerOptions {
  std::string name;  // "inbound server", "admin server": prefixes messages
  std::string address;
  uint16_t port = 0;  // 0 picks a free port
  int backlog = 64;
  int maxThreads = 16;
  int maxQueued = 128;  // connections waiting beyond this are refused
  size_t maxBodyBytes = 1 << 20;
  ListenerTlsFiles tls;  // empty: plain HTTP
};

// Must not throw for any request content; an exception is answered 500 and logged.
using RequestHandler = std::function<InboundResponse(const InboundRequest&)>;

class HttpListener {
 public:
  // Binds and starts serving. Errors: the address is in use or not bindable -> kPermanent
  // naming the address; with `tls`, a file that cannot be read or a key that does not match the
  // certificate -> kPermanent naming the file and what to do.
  static Result<std::unique_ptr<HttpListener>> start(HttpListenerOptions options,
                                                     RequestHandler handler,
                                                     RequestObserver observer, const Clock& clock,
                                                     std::shared_ptr<spdlog::logger> logger);
  ~HttpListener();  // stops if still running
  uint16_t port() const;
  bool tlsEnabled() const;
  // Re-reads the certificate and key (`files` may name new paths): connections accepted from now
  // on use them, open ones finish with the pair they started with. Errors: TLS is off ->
  // kInvalidInput; a bad pair -> kPermanent as for start(), and the current pair stays.
  Result<TlsCertificateInfo> reloadTls(const ListenerTlsFiles& files);
  // Stops accepting, lets in-flight requests finish, joins the threads.
  void stop();

 private:
  struct Impl;
  explicit HttpListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace appkeeper::handlers
