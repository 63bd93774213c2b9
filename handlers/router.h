// Router: the inbound server's one decision point. Given an InboundRequest it checks path (404),
// method (405 + Allow), body size (413) and content type (415; the validation handshake is
// exempt), sheds a persisting request when RouterConfig::maxInFlight of them are already running
// (503 + Retry-After + Connection: close at once; in_flight_limit.h says why), borrows a store
// connection when the route persists something (503 + Retry-After when none is free in time;
// with a writer, only for the notification routes' subscription reads, given back before the
// write waits for its group commit), and dispatches to the route functions:
//   POST /graph/notifications -> graph_notifications.h
//   POST /graph/lifecycle     -> graph_notifications.h (lifecycle events, same checks)
//   POST /events/catalog      -> catalog_events.h
//   GET  /healthz             -> 200 {"status":"ok"} (process alive, no store access)
//   GET  /readyz              -> 200 {"status":"ready"} / 503 {"status":"not ready"}
//   GET  /metrics             -> admin_routes.h (404 unless RouterConfig::metrics serves it here)
//
// Borrows the pool, clock, key and logger (they must outlive it). Immutable after construction
// apart from the in-flight counter (atomic) and the cache of subscriptions' clientStates
// (client_state_cache.h, locked): handle() is thread-safe. Never throws for any
// request content.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "handlers/admin_routes.h"
#include "handlers/client_state_cache.h"
#include "handlers/graph_notifications.h"
#include "handlers/in_flight_limit.h"
#include "handlers/inbound_request.h"
#include "handlers/standard_webhooks.h"

namespace spdlog {
class logger;
}

namespace appkeeper::handlers {

class InboundWriter;
class StorePool;

struct RouterConfig {
  std::string tenantId;
  const WebhookKey* catalogKey = nullptr;    // nullptr: catalog events refused (401)
  std::function<bool()> ready;               // empty: always ready
  std::chrono::milliseconds storeWait{250};  // how long a request waits for a free connection
  MetricsEndpoint metrics;                   // empty render: /metrics is not served here (404)
  // Persisting requests (the POST routes past their cheap checks) handled at once; beyond it the
  // answer is 503 at once. 0: no cap. Health, readiness and metrics are never counted.
  size_t maxInFlight = 0;
  // Set: deliveries are persisted through it (group commit); the pool serves the reads.
  InboundWriter* writer = nullptr;
};

class Router {
 public:
  Router(RouterConfig config, StorePool& pool, const Clock& clock, spdlog::logger& logger);
  InboundResponse handle(const InboundRequest& request) const;
  // Persisting requests being handled now (tests, diagnostics).
  size_t inFlight() const { return limit_->inFlight(); }

 private:
  InboundResponse handleWithWriter(const InboundRequest& request, GraphDeliveryRoute route,
                                   bool catalog) const;
  RouterConfig config_;
  std::unique_ptr<InFlightLimit> limit_;  // behind a pointer: the counter is atomic, Router movable
  StorePool& pool_;
  const Clock& clock_;
  spdlog::logger& logger_;
  // The notification routes' clientState lookups (client_state_cache.h); thread-safe itself.
  std::unique_ptr<ClientStateCache> clientStates_;
};

// The metrics label for a request path: the route's path when it is one of ours, else "other",
// so a scan of random URLs cannot grow the label set.
std::string_view endpointLabel(std::string_view path);

// "application/json", optionally with "; charset=utf-8" (any case, spaces allowed).
bool isJsonContentType(std::string_view contentType);

}  // namespace appkeeper::handlers
