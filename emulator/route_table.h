// The emulator's route table: which area a request belongs to (Graph under /v1.0 or /beta, the
// token endpoint, the /_emulator control API), its route key for fault rules ("POST upgrade"),
// its normalised template for stats ("POST /teams/{id}/installedApps/{id}/upgrade"), the
// throttling budget it draws on and, for team-scoped routes, the team.
//
// Route keys: "GET teamsApps", "GET teams", "GET team", "GET installedApps",
// "GET installedApp", "POST upgrade", "POST token", "POST devicecode", "GET subscriptions",
// "POST subscriptions", "GET subscription", "PATCH subscription", "DELETE subscription",
// "POST reauthorize". Pure function; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "emulator/http_types.h"
#include "emulator/throttle.h"

namespace appkeeper::emulator {

enum class Area { kGraph, kToken, kControl, kUnknown };

struct RouteInfo {
  Area area = Area::kUnknown;
  // Decoded path segments: after the version prefix (Graph), after "_emulator" (control), the
  // whole path otherwise.
  std::vector<std::string> segments;
  std::string version;   // "v1.0" | "beta" (Graph)
  bool matched = false;  // a known resource path (Graph, token)
  bool methodAllowed = false;
  std::string allow;     // methods the matched path accepts, for 405's Allow header
  std::string key;       // fault route key; empty when unmatched
  std::string statsKey;  // "GET /teams/{id}"; "GET (unmatched)" when unmatched
  Budget budget = Budget::kNone;
  std::string teamId;         // team-scoped routes
  std::string tenantSegment;  // token and devicecode routes
  std::string subPath;        // subscription routes: "/subscriptions/..." as the service wants it
  bool badPath = false;       // a malformed percent-escape
};

RouteInfo classify(const Request& req);

}  // namespace appkeeper::emulator
