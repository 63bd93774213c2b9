#include "daemon/catalog_cache.h"

#include "common/version.h"

namespace appkeeper::daemon {
namespace {

// A cache never grows past a handful of apps in practice; this bounds a pathological tenant.
constexpr size_t kMaxEntries = 256;

bool shows(const CatalogApp& app, const std::string& wantedVersion) {
  if (wantedVersion.empty()) return true;
  const AppDefinition* latest = latestPublished(app);
  if (latest == nullptr) return false;
  auto cmp = compareVersions(latest->version, wantedVersion);
  return cmp && *cmp >= 0;
}

}  // namespace

CatalogCache::CatalogCache(graph::GraphClient& graph, const Clock& clock,
                           std::chrono::milliseconds ttl, std::chrono::milliseconds recheck)
    : graph_(graph), clock_(clock), ttl_(ttl), recheck_(recheck) {}

Result<CatalogApp> CatalogCache::get(const std::string& teamsAppId,
                                     const std::string& wantedVersion) {
  const SteadyTime now = clock_.steadyNow();
  if (auto it = entries_.find(teamsAppId); it != entries_.end()) {
    const auto age = now - it->second.fetchedAt;
    if (age < ttl_ && (age < recheck_ || shows(it->second.app, wantedVersion))) {
      return it->second.app;
    }
  }
  auto app = graph_.getCatalogApp(teamsAppId);
  if (!app) return app.error();
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[teamsAppId] = Entry{*app, now};
  return app;
}

}  // namespace appkeeper::daemon
