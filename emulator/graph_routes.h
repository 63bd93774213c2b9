// The emulated Graph resource routes, as plain functions from a Request to a Response (no
// sockets, no throttling, no faults: emulator_core.cpp applies those around them):
//   GET  /appCatalogs/teamsApps                        ($filter, $expand=appDefinitions, $select)
//   GET  /teams, /teams/{id}                           ($filter, $select, $top, paging)
//   GET  /teams/{id}/installedApps[/{installation}]    ($expand=teamsApp,teamsAppDefinition, ...)
//   POST /teams/{id}/installedApps/{id}/upgrade (and /microsoft.graph.upgrade)
// plus Graph's 401 and unmatched-route answers. Subscription routes belong to
// SubscriptionService.
//
// Borrows the model for the call. Thread-safe (the model is). Errors are Graph-shaped
// (http_types.h graphError); nothing throws.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "emulator/http_types.h"
#include "emulator/route_table.h"
#include "emulator/tenant_model.h"
#include "emulator/token_store.h"

namespace appkeeper::emulator {

struct GraphSettings {
  size_t pageSize = 20;
  bool allowAppOnlyRsc = false;  // Decision 3 switch
};

// An installation that changed, for change notifications (sent by the caller, unlocked).
struct InstallationChange {
  std::string tenantId;
  std::string teamsAppId;
  std::string teamId;
  std::string installationId;
  std::string changeType;  // "created" | "updated" | "deleted"
};

struct GraphResult {
  Response response;
  std::optional<InstallationChange> change;
  std::optional<bool> upgradeChanged;  // set by a successful upgrade: changed or a no-op
};

// `route` is a matched Graph route whose method is allowed (route_table.h); `token` is valid.
GraphResult handleGraphRoute(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                             const TokenRecord& token, TenantModel& model,
                             const GraphSettings& settings);

// 401 InvalidAuthenticationToken with Graph's messages and WWW-Authenticate (§4.3).
Response authError(const RequestContext& ctx, TokenCheck check);

// A Graph-prefixed path the emulator does not know: 400 BadRequest "Resource not found for the
// segment '...'" (what Graph answers; see graph_routes.cpp), or 405 for a known path with the
// wrong method. Outside any version prefix: 404 NotFound.
Response unmatchedRoute(const Request& req, const RouteInfo& route, const RequestContext& ctx);

// An Error from the model or the parsers, Graph-shaped (400 BadRequest when it has no status).
Response errorResponse(const RequestContext& ctx, const Error& error);

}  // namespace appkeeper::emulator
