#include "emulator/graph_routes.h"

#include "emulator/paging.h"
#include "emulator/route_support.h"

namespace appkeeper::emulator {

Response errorResponse(const RequestContext& ctx, const Error& error) {
  return graphError(ctx, error.httpStatus > 0 ? error.httpStatus : 400,
                    error.code.empty() ? "BadRequest" : error.code, error.message, error.innerCode);
}

GraphResult handleGraphRoute(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                             const TokenRecord& token, TenantModel& model,
                             const GraphSettings& settings) {
  auto q = parseODataQuery(req.query);
  if (!q) return {errorResponse(ctx, q.error()), std::nullopt, std::nullopt};
  if (route.key == "GET teamsApps") return catalogRoute(req, route, ctx, *q, model, settings);
  return teamRoute(req, route, ctx, *q, token, model, settings);
}

Response authError(const RequestContext& ctx, TokenCheck check) {
  std::string message;
  switch (check) {
    case TokenCheck::kMissing:
      message = "Access token is empty.";
      break;
    case TokenCheck::kExpired:
      message = "Access token has expired or is not yet valid.";
      break;
    case TokenCheck::kMalformed:
    case TokenCheck::kUnknown:
    case TokenCheck::kOk:
      message = "CompactToken parsing failed with error code: 80049217";
      break;
  }
  Response r = graphError(ctx, 401, "InvalidAuthenticationToken", message);
  r.headers.emplace_back(
      "WWW-Authenticate",
      "Bearer realm=\"\", "
      "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
      "client_id=\"00000003-0000-0000-c000-000000000000\"");
  return r;
}

Response unmatchedRoute(const Request& req, const RouteInfo& route, const RequestContext& ctx) {
  if (route.badPath) return graphError(ctx, 400, "BadRequest", "The request URL is malformed.");
  if (route.matched && !route.methodAllowed) {
    Response r =
        graphError(ctx, 405, "MethodNotAllowed",
                   "The HTTP method '" + req.method + "' is not allowed for this resource.");
    std::string allow = route.allow;
    for (char& c : allow) {
      if (c == ' ') c = ',';
    }
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  if (route.area == Area::kGraph) {
    // Graph answers an unknown segment under a version prefix with 400, not 404: the URL does
    // not name a resource at all. We do the same so clients see what they would in production.
    if (route.segments.empty()) {
      return graphError(ctx, 400, "BadRequest", "Invalid request: the URL names no resource.");
    }
    return graphError(ctx, 400, "BadRequest",
                      "Resource not found for the segment '" + route.segments.back() + "'.");
  }
  // Outside /v1.0 and /beta Graph answers 404 (e.g. "Invalid version").
  return graphError(ctx, 404, "NotFound",
                    "No emulated resource at '" + req.path +
                        "'. Graph lives under /v1.0 or /beta, the token endpoint at "
                        "/{tenant}/oauth2/v2.0/token, the control API under /_emulator/.");
}

}  // namespace appkeeper::emulator
