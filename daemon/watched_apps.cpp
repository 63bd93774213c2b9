#include "daemon/watched_apps.h"

#include <set>

namespace appkeeper::daemon {

std::vector<std::string> WatchedApps::ids() const {
  std::vector<std::string> out;
  out.reserve(apps.size());
  for (const auto& app : apps) out.push_back(app.id);
  return out;
}

const CatalogApp* WatchedApps::find(const std::string& teamsAppId) const {
  for (const auto& app : apps) {
    if (app.id == teamsAppId) return &app;
  }
  return nullptr;
}

Result<WatchedApps> resolveWatchedApps(graph::GraphClient& graph,
                                       const std::vector<std::string>& watch) {
  WatchedApps out;
  if (watch.empty()) {
    auto apps = graph.listOrganizationApps();
    if (!apps) return apps.error();
    out.apps = std::move(*apps);
    return out;
  }
  std::set<std::string> seen;
  for (const auto& ref : watch) {
    auto app = graph.getCatalogApp(ref);
    if (!app) {
      if (app.error().kind == ErrorKind::kTransient) return app.error();
      out.unresolved.push_back(ref + ": " + app.error().message);
      continue;
    }
    if (seen.insert(app->id).second) out.apps.push_back(std::move(*app));
  }
  return out;
}

}  // namespace appkeeper::daemon
