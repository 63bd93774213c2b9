// The inbound server: the store pool and the Router behind an HttpListener (http_listener.h
// does the Poco side). Everything that decides lives in router.cpp and the route files.
#include "handlers/inbound_server.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "handlers/http_listener.h"
#include "handlers/inbound_writer.h"
#include "handlers/router.h"
#include "handlers/standard_webhooks.h"
#include "handlers/store_pool.h"

namespace appkeeper::handlers {

// Declaration order is destruction order in reverse: the listener (last) goes first, then what
// its handler borrows.
struct InboundServer::Impl {
  std::shared_ptr<spdlog::logger> logger;
  std::optional<WebhookKey> catalogKey;
  std::unique_ptr<StorePool> pool;
  std::unique_ptr<InboundWriter> writer;  // after the listener stops: writes what is queued
  std::unique_ptr<Router> router;
  std::unique_ptr<HttpListener> listener;
  bool stopLogged = false;  // stop() may run twice (explicitly, then from the destructor)
};

Result<std::unique_ptr<InboundServer>> InboundServer::start(InboundServerOptions options,
                                                            const Clock& clock) {
  if (options.maxThreads < 1 || options.maxQueued < 1 || options.maxBodyBytes < 1 ||
      options.maxInFlight < 0) {
    return Error::invalidInput(
        "inbound server: maxThreads, maxQueued and maxBodyBytes must be >= 1, maxInFlight >= 0");
  }
  if (options.dbPath.empty()) return Error::invalidInput("inbound server: no database path given");

  auto impl = std::make_unique<Impl>();
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

  const size_t maxInFlight = options.maxInFlight > 0
                                 ? static_cast<size_t>(options.maxInFlight)
                                 : static_cast<size_t>(std::max(1, options.maxThreads * 3 / 4));
  // More connections than in-flight requests would never be borrowed. With group commit a
  // request borrows one only for its reads (tens of µs), so a few serve every request in flight.
  constexpr size_t kInboundReadConnections = 8;
  const size_t connections = options.storeConnections > 0 ? options.storeConnections
                             : options.groupCommit ? std::min(maxInFlight, kInboundReadConnections)
                                                   : maxInFlight;
  store::OpenOptions storeOptions;
  storeOptions.busyTimeout = options.storeBusyTimeout;
  auto pool = StorePool::open(options.dbPath, clock, connections, storeOptions);
  if (!pool) {
    Error e = pool.error();
    e.message = "inbound server: cannot open the store " + options.dbPath + ": " + e.message;
    return e;
  }
  impl->pool = std::move(pool.value());
  if (options.groupCommit) {
    auto writerStore = store::Store::open(options.dbPath, clock, storeOptions);
    if (!writerStore) {
      Error e = writerStore.error();
      e.message = "inbound server: cannot open the store " + options.dbPath + ": " + e.message;
      return e;
    }
    InboundWriter::Options writerOptions;
    writerOptions.wait = options.storeWait;
    writerOptions.pressure = options.pressure;
    writerOptions.clock = &clock;
    writerOptions.logger = impl->logger;
    writerOptions.slowCommit = options.slowCommit;
    impl->writer = std::make_unique<InboundWriter>(std::move(writerStore).value(), writerOptions);
  }

  RouterConfig config;
  config.tenantId = options.tenantId;
  config.catalogKey = impl->catalogKey ? &*impl->catalogKey : nullptr;
  config.ready = options.ready;
  config.storeWait = options.storeWait;
  config.maxInFlight = maxInFlight;
  config.writer = impl->writer.get();
  config.metrics = std::move(options.metrics);
  impl->router = std::make_unique<Router>(std::move(config), *impl->pool, clock, *impl->logger);

  HttpListenerOptions listen;
  listen.name = "inbound server";
  listen.address = options.address;
  listen.port = options.port;
  listen.maxThreads = options.maxThreads;
  listen.maxQueued = options.maxQueued;
  listen.maxBodyBytes = options.maxBodyBytes;
  listen.tls = options.tls;
  auto listener = HttpListener::start(
      std::move(listen), [router = impl->router.get()](const InboundRequest& in) {
        return router->handle(in);
      },
      std::move(options.onRequest), clock, impl->logger);
  if (!listener) return listener.error();
  impl->listener = std::move(*listener);
  impl->logger->info(
      "inbound server listening on {}:{} ({} threads, {} requests in flight at most, {} store "
      "connections)",
      options.address, impl->listener->port(), options.maxThreads, maxInFlight, connections);
  return std::unique_ptr<InboundServer>(new InboundServer(std::move(impl)));
}

InboundServer::InboundServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

InboundServer::~InboundServer() { stop(); }

uint16_t InboundServer::port() const { return impl_->listener->port(); }

bool InboundServer::tlsEnabled() const { return impl_->listener->tlsEnabled(); }

Result<TlsCertificateInfo> InboundServer::reloadTls(const ListenerTlsFiles& files) {
  return impl_->listener->reloadTls(files);
}

void InboundServer::stop() {
  if (!impl_ || !impl_->listener) return;
  impl_->listener->stop();
  if (impl_->writer && !impl_->stopLogged) {
    impl_->stopLogged = true;
    const auto totals = impl_->writer->totals();
    if (totals.commits > 0) {
      // How well the group commit batched: each commit costs an fsync, shared by its writes.
      impl_->logger->info(
          "inbound server stopped: {} writes in {} group commits ({:.1f} per commit)",
          totals.writes, totals.commits,
          static_cast<double>(totals.writes) / static_cast<double>(totals.commits));
    }
  }
}

}  // namespace appkeeper::handlers
