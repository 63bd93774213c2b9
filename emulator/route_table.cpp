#include "emulator/route_table.h"

#include "emulator/url_codec.h"

namespace appkeeper::emulator {
namespace {

struct Match {
  const char* allow;  // accepted methods, space-separated
  std::string keyNoun;
  std::string templ;  // path template after the version prefix
};

bool accepts(const char* allow, const std::string& method) {
  std::string list = std::string(" ") + allow + " ";
  return list.find(" " + method + " ") != std::string::npos;
}

// Subscription route keys depend on the method (a collection vs one item).
std::string subscriptionKey(const std::string& method, bool item) {
  if (!item) return method + " subscriptions";
  return method + " subscription";
}

void matchGraph(const Request& req, RouteInfo& r) {
  const auto& s = r.segments;
  const std::string& m = req.method;
  auto set = [&](const char* allow, const std::string& key, const std::string& templ) {
    r.matched = true;
    r.allow = allow;
    r.methodAllowed = accepts(allow, m);
    r.statsKey = m + " " + templ;
    if (r.methodAllowed) r.key = key;
  };
  if (s.size() == 2 && s[0] == "appCatalogs" && s[1] == "teamsApps") {
    set("GET", "GET teamsApps", "/appCatalogs/teamsApps");
    r.budget = Budget::kGet;
  } else if (s.size() == 1 && s[0] == "teams") {
    set("GET", "GET teams", "/teams");
    r.budget = Budget::kGet;
  } else if (s.size() >= 2 && s[0] == "teams") {
    r.teamId = s[1];
    if (s.size() == 2) {
      set("GET", "GET team", "/teams/{id}");
      r.budget = Budget::kGet;
    } else if (s.size() == 3 && s[2] == "installedApps") {
      set("GET", "GET installedApps", "/teams/{id}/installedApps");
      r.budget = Budget::kGet;
    } else if (s.size() == 4 && s[2] == "installedApps") {
      set("GET", "GET installedApp", "/teams/{id}/installedApps/{id}");
      r.budget = Budget::kGet;
    } else if (s.size() == 5 && s[2] == "installedApps" &&
               (s[4] == "upgrade" || s[4] == "microsoft.graph.upgrade")) {
      set("POST", "POST upgrade", "/teams/{id}/installedApps/{id}/upgrade");
      r.budget = Budget::kPost;
    } else {
      r.teamId.clear();
    }
  } else if (!s.empty() && s[0] == "subscriptions") {
    r.subPath = "";
    for (const auto& seg : s) r.subPath += "/" + seg;
    if (s.size() == 1) {
      set("GET POST", subscriptionKey(m, false), "/subscriptions");
    } else if (s.size() == 2) {
      set("GET PATCH DELETE", subscriptionKey(m, true), "/subscriptions/{id}");
    } else if (s.size() == 3 && s[2] == "reauthorize") {
      set("POST", "POST reauthorize", "/subscriptions/{id}/reauthorize");
    }
  }
  if (!r.methodAllowed) r.budget = Budget::kNone;
}

}  // namespace

RouteInfo classify(const Request& req) {
  RouteInfo r;
  r.statsKey = req.method + " (unmatched)";
  auto segments = splitPath(req.rawPath.empty() ? req.path : req.rawPath);
  if (!segments) {
    r.badPath = true;
    return r;
  }
  r.segments = std::move(*segments);
  const auto& s = r.segments;
  if (!s.empty() && s[0] == "_emulator") {
    r.area = Area::kControl;
    r.segments.erase(r.segments.begin());
    return r;
  }
  if (!s.empty() && (s[0] == "v1.0" || s[0] == "beta")) {
    r.area = Area::kGraph;
    r.version = s[0];
    r.segments.erase(r.segments.begin());
    matchGraph(req, r);
    return r;
  }
  if (s.size() == 4 && s[1] == "oauth2" && s[2] == "v2.0" &&
      (s[3] == "token" || s[3] == "devicecode")) {
    r.area = Area::kToken;
    r.tenantSegment = s[0];
    r.matched = true;
    r.allow = "POST";
    r.methodAllowed = req.method == "POST";
    r.statsKey = req.method + " /{tenant}/oauth2/v2.0/" + s[3];
    if (r.methodAllowed) r.key = "POST " + s[3];
  }
  return r;
}

}  // namespace appkeeper::emulator
