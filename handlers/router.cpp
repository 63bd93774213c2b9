#include "handlers/router.h"

#include <spdlog/spdlog.h>

#include "handlers/catalog_events.h"
#include "handlers/client_state_cache.h"
#include "handlers/graph_notifications.h"
#include "handlers/responses.h"
#include "handlers/store_pool.h"

namespace appkeeper::handlers {
namespace {

enum class Route { kNotifications, kLifecycle, kCatalogEvents, kHealth, kReady, kMetrics };

struct RouteSpec {
  std::string_view path;
  std::string_view method;
  Route route;
};

constexpr RouteSpec kRoutes[] = {
    {"/graph/notifications", "POST", Route::kNotifications},
    {"/graph/lifecycle", "POST", Route::kLifecycle},
    {"/events/catalog", "POST", Route::kCatalogEvents},
    {"/healthz", "GET", Route::kHealth},
    {"/readyz", "GET", Route::kReady},
    {kMetricsPath, "GET", Route::kMetrics},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string_view endpointLabel(std::string_view path) {
  for (const RouteSpec& r : kRoutes) {
    if (r.path == path) return r.path;
  }
  return "other";
}

bool isJsonContentType(std::string_view contentType) {
  auto semicolon = contentType.find(';');
  if (!equalsIgnoreCase(trim(contentType.substr(0, semicolon)), "application/json")) return false;
  if (semicolon == std::string_view::npos) return true;
  std::string_view param = trim(contentType.substr(semicolon + 1));
  auto eq = param.find('=');
  if (eq == std::string_view::npos || !equalsIgnoreCase(trim(param.substr(0, eq)), "charset")) {
    return false;
  }
  std::string_view charset = trim(param.substr(eq + 1));
  if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
    charset = charset.substr(1, charset.size() - 2);
  }
  return equalsIgnoreCase(charset, "utf-8");  // JSON is UTF-8 (RFC 8259 §8.1)
}

Router::Router(RouterConfig config, StorePool& pool, const Clock& clock, spdlog::logger& logger)
    : config_(std::move(config)),
      limit_(std::make_unique<InFlightLimit>(config_.maxInFlight)),
      pool_(pool),
      clock_(clock),
      logger_(logger),
      clientStates_(std::make_unique<ClientStateCache>(clock)) {}

InboundResponse Router::handle(const InboundRequest& request) const {
  const RouteSpec* spec = nullptr;
  for (const RouteSpec& r : kRoutes) {
    if (r.path == request.path) spec = &r;
  }
  if (spec == nullptr || (spec->route == Route::kMetrics && !config_.metrics.served())) {
    return errorResponse(404, "notFound", "no such endpoint");
  }
  if (request.method != spec->method) {
    InboundResponse r = errorResponse(405, "methodNotAllowed",
                                      "use " + std::string(spec->method) + " on this endpoint");
    r.headers.emplace_back("Allow", std::string(spec->method));
    return r;
  }
  if (request.bodyTooLarge) {
    return errorResponse(413, "payloadTooLarge", "the request body is too large");
  }

  switch (spec->route) {
    case Route::kHealth:
      return jsonResponse(200, {{"status", "ok"}});
    case Route::kReady:
      if (!config_.ready || config_.ready()) return jsonResponse(200, {{"status", "ready"}});
      return jsonResponse(503, {{"status", "not ready"}});
    case Route::kMetrics:
      return metricsResponse(request, config_.metrics);
    case Route::kNotifications:
    case Route::kLifecycle:
      // Graph sends the handshake as text/plain; it needs neither a JSON body nor the store.
      if (auto handshake = validationHandshake(request)) return *handshake;
      break;
    case Route::kCatalogEvents:
      break;
  }

  if (!isJsonContentType(request.contentType)) {
    return errorResponse(415, "unsupportedMediaType", "the body must be application/json");
  }
  // Counted from here: everything above is cheap and never waits on the store.
  auto slot = limit_->tryEnter();
  if (!slot) {
    // debug, not warn: a flood must not become a flood of log lines (the 503s are counted in
    // the inbound request metrics).
    logger_.debug("inbound {}: {} requests already in flight, answering 503", clip(request.path),
                  limit_->cap());
    InboundResponse r = unavailableResponse("the server is overloaded; retry later");
    // Frees the thread now rather than holding the connection for the sender's next request.
    r.headers.emplace_back("Connection", "close");
    return r;
  }
  if (config_.writer != nullptr) {
    const auto route = spec->route == Route::kLifecycle ? GraphDeliveryRoute::kLifecycle
                                                        : GraphDeliveryRoute::kNotifications;
    return handleWithWriter(request, route, spec->route == Route::kCatalogEvents);
  }
  auto lease = pool_.acquire(config_.storeWait);
  if (!lease) {
    logger_.warn("inbound {}: no store connection free within {} ms, answering 503", request.path,
                 config_.storeWait.count());
    return unavailableResponse("the server is busy; retry later");
  }
  if (spec->route == Route::kNotifications) {
    return handleGraphNotifications(request, **lease, logger_, config_.writer, clientStates_.get());
  }
  if (spec->route == Route::kLifecycle) {
    return handleGraphLifecycle(request, **lease, logger_, config_.writer, clientStates_.get());
  }
  CatalogEventContext ctx{config_.catalogKey, config_.tenantId, clock_.now(), config_.writer};
  return handleCatalogEvent(request, ctx, **lease, logger_);
}

// Group commit: the pooled connection serves only the reads of the check and goes back before
// the delivery waits for its fsync, so a few connections serve every request in flight.
InboundResponse Router::handleWithWriter(const InboundRequest& request, GraphDeliveryRoute route,
                                         bool catalog) const {
  if (catalog) {
    CatalogEventContext ctx{config_.catalogKey, config_.tenantId, clock_.now(), config_.writer};
    return handleCatalogEvent(request, ctx, logger_);
  }
  CheckedGraphDelivery checked;
  {
    auto lease = pool_.acquire(config_.storeWait);
    if (!lease) {
      logger_.warn("inbound {}: no store connection free within {} ms, answering 503",
                   request.path, config_.storeWait.count());
      return unavailableResponse("the server is busy; retry later");
    }
    checked = checkGraphDelivery(request, **lease, logger_, route, clientStates_.get());
  }
  return persistGraphDelivery(checked, nullptr, logger_, config_.writer);
}

}  // namespace appkeeper::handlers
