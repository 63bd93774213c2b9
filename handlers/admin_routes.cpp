#include "handlers/admin_routes.h"

#include "common/ascii.h"
#include "handlers/hmac.h"
#include "handlers/responses.h"

namespace appkeeper::handlers {
namespace {

std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

InboundResponse methodNotAllowed() {
  InboundResponse r = errorResponse(405, "methodNotAllowed", "use GET on this endpoint");
  r.headers.emplace_back("Allow", "GET");
  return r;
}

}  // namespace

bool bearerTokenMatches(const InboundRequest& request, std::string_view token) {
  if (token.empty()) return false;
  auto header = request.header("authorization");
  if (!header) return false;
  std::string_view value = trimSpaces(*header);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() ||
      !equalsIgnoreCaseAscii(value.substr(0, kScheme.size()), kScheme) ||
      (value[kScheme.size()] != ' ' && value[kScheme.size()] != '\t')) {
    return false;
  }
  return constantTimeEquals(trimSpaces(value.substr(kScheme.size())), token);
}

InboundResponse metricsResponse(const InboundRequest& request, const MetricsEndpoint& metrics) {
  if (!metrics.token.empty() && !bearerTokenMatches(request, metrics.token)) {
    InboundResponse r = errorResponse(
        401, "unauthorized", "GET /metrics needs the header Authorization: Bearer <admin token>");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  InboundResponse r;
  r.status = 200;
  r.contentType = kMetricsContentType;
  r.body = metrics.render();
  return r;
}

InboundResponse handleAdminRequest(const InboundRequest& request, const AdminRoutes& routes) {
  const bool metrics = request.path == kMetricsPath && routes.metrics.served();
  const bool health = request.path == "/healthz";
  const bool ready = request.path == "/readyz";
  if (!metrics && !health && !ready) return errorResponse(404, "notFound", "no such endpoint");
  if (request.method != "GET") return methodNotAllowed();
  if (metrics) return metricsResponse(request, routes.metrics);
  if (health) return jsonResponse(200, {{"status", "ok"}});
  if (!routes.ready || routes.ready()) return jsonResponse(200, {{"status", "ready"}});
  return jsonResponse(503, {{"status", "not ready"}});
}

}  // namespace appkeeper::handlers
