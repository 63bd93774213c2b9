// The admin surface of the listeners (issue 6): GET /metrics (Prometheus text format 0.0.4,
// optionally behind "Authorization: Bearer <token>") and the routes of the separate admin
// listener (/metrics, /healthz, /readyz). The metrics text itself comes from a function the
// daemon supplies: nothing here knows what is measured.
//
// Also the observation hook both listeners call once per answered request, with the endpoint
// label from endpointLabel() (router.h), so label values stay a bounded set.
//
// Pure functions over plain values; thread-safe as long as the supplied functions are.
// The token is a secret: it is never logged and never echoed in a response.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "handlers/inbound_request.h"

namespace appkeeper::handlers {

inline constexpr const char* kMetricsPath = "/metrics";
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct MetricsEndpoint {
  // The exposition text; called from server threads on each scrape. Empty: this listener does
  // not serve /metrics (404).
  std::function<std::string()> render;
  std::string token;  // secret; non-empty: the Bearer token every scrape must present

  bool served() const { return static_cast<bool>(render); }
};

// Called once per answered request with the endpoint label, the status sent and how long the
// request took. Called from server threads; must be cheap.
using RequestObserver =
    std::function<void(std::string_view endpoint, int status, std::chrono::nanoseconds elapsed)>;

// True when the request carries "Authorization: Bearer <token>" (scheme in any case) for
// exactly `token`, compared in constant time. False for an empty `token`.
bool bearerTokenMatches(const InboundRequest& request, std::string_view token);

// The answer to a GET /metrics on a listener that serves it: 401 + WWW-Authenticate: Bearer
// (JSON error body) when a token is required and not presented, else 200 with the text.
InboundResponse metricsResponse(const InboundRequest& request, const MetricsEndpoint& metrics);

struct AdminRoutes {
  MetricsEndpoint metrics;
  std::function<bool()> ready;  // /readyz; empty: always ready
};

// The separate admin listener's one decision point: GET /metrics, GET /healthz, GET /readyz;
// 404 for any other path, 405 + Allow for another method.
InboundResponse handleAdminRequest(const InboundRequest& request, const AdminRoutes& routes);

}  // namespace appkeeper::handlers
