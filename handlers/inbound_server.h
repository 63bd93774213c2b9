// InboundServer: appkeeper's HTTP listener (Poco HTTPServer) for Graph change notifications,
// signed catalog publish events and health probes. Its handlers check, persist, and answer: no
// Graph call is ever made inline, so answers stay well within Graph's 3 s.
//
// Routes: POST /graph/notifications, POST /graph/lifecycle, POST /events/catalog, GET /healthz,
// GET /readyz, and GET /metrics when `metrics` is set (admin_routes.h).
// Persistence goes through a group-commit writer (inbound_writer.h) and a few pooled
// store::Store connections for reads, opened on `dbPath` (store_pool.h); when the store cannot
// keep a delivery (locked, disk full, file unwritable) the answer is 503 + Retry-After so
// senders retry, and the next request tries the store again, so the server recovers by itself
// when the fault clears. A flood beyond maxInFlight is shed with 503 at once while health probes
// keep their threads (in_flight_limit.h).
//
// With `tls` set it serves HTTPS only ([listen] tls_cert_file / tls_key_file); reloadTls()
// (SIGHUP) swaps the certificate for new connections.
//
// Thread contract: start(), reloadTls() and stop() from one thread; the server's own threads
// call the handlers. stop() waits for in-flight requests. Borrowed references must outlive the
// server.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "handlers/admin_routes.h"
#include "handlers/inbound_pressure.h"
#include "handlers/listener_tls.h"

namespace spdlog {
class logger;
}

namespace appkeeper::handlers {

// The inbound listener's threads by default; [listen] max_in_flight may go up to one less.
inline constexpr int kInboundListenerThreads = 128;

struct InboundServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  std::string dbPath;
  std::string tenantId;       // events for another tenant are rejected (400, audited)
  std::string catalogSecret;  // "whsec_<base64>" (a secret: never logged)
  size_t maxBodyBytes = 1 << 20;
  // Poco serves a keep-alive connection on one thread for as long as it stays open, and with
  // group commit a delivery's thread only waits for the writer's fsync (no CPU, no store
  // connection), so threads are what lets many senders' connections be served at once: Graph
  // delivers over many concurrent connections, and 5,000 deliveries/s at a 5 ms fsync need ~25+
  // in flight. Idle threads are reclaimed by the pool.
  int maxThreads = kInboundListenerThreads;
  int maxQueued = 128;  // connections waiting beyond this are refused (overload shedding)
  // Persisting requests (POST routes) handled at once; beyond it the answer is 503 + Retry-After
  // at once, so the other threads stay free for health probes and for answering the flood (see
  // in_flight_limit.h). 0: three quarters of maxThreads (at least 1).
  int maxInFlight = 0;
  // /readyz: store open and workers running (empty: always ready). Called from server threads.
  std::function<bool()> ready;
  std::shared_ptr<spdlog::logger> logger;  // null: no logging
  // Store connections shared by the server threads (0: with group commit a few, which serve
  // only the subscription reads of notifications; without it one per in-flight request). A
  // request that finds none free within storeWait is answered 503 + Retry-After.
  size_t storeConnections = 0;
  std::chrono::milliseconds storeWait{250};
  // How long an inbound write waits for another connection's lock before the answer becomes 503.
  // Below Graph's 3 s answer limit, so a locked database makes Graph retry rather than time out.
  std::chrono::milliseconds storeBusyTimeout{2000};
  // Group commit (inbound_writer.h): one writer thread on a connection of its own persists the
  // deliveries of all request threads, many per transaction; a delivery still waits for the fsync
  // of its own transaction before its 2xx. A write not started within storeWait is answered 503.
  // false: each request writes its own transaction on its pooled connection.
  bool groupCommit = true;
  // With group commit: where the writer publishes how hard deliveries arrive (may be null).
  std::shared_ptr<InboundPressure> pressure;
  // With group commit: a commit that takes this long or longer is logged as a warning.
  std::chrono::milliseconds slowCommit{100};
  // GET /metrics on this listener (empty render: 404, e.g. when a separate admin listener
  // serves it), and the per-request observation for the inbound metrics (may be empty).
  MetricsEndpoint metrics;
  RequestObserver onRequest;
  ListenerTlsFiles tls;  // empty: plain HTTP
};

class InboundServer {
 public:
  // Binds and starts serving. Errors: the address is in use or not bindable -> kPermanent with
  // the address; the store cannot be opened -> kTransient (kPermanent for a schema newer than
  // this binary); catalogSecret set but not "whsec_<base64>", or a limit below 1 ->
  // kInvalidInput. An empty catalogSecret is allowed: every catalog event is then refused (401).
  // With `tls`: an unreadable file or a key that does not match the certificate -> kPermanent
  // naming the file.
  static Result<std::unique_ptr<InboundServer>> start(InboundServerOptions options,
                                                      const Clock& clock);
  ~InboundServer();  // stops if still running
  uint16_t port() const;
  bool tlsEnabled() const;
  // Re-reads the TLS pair (see HttpListener::reloadTls): new connections get it, open ones keep
  // theirs; on error (TLS off: kInvalidInput; bad pair: kPermanent) the current pair stays.
  Result<TlsCertificateInfo> reloadTls(const ListenerTlsFiles& files);
  void stop();

 private:
  struct Impl;
  explicit InboundServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace appkeeper::handlers
