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
                                     const std::string& wantedVersion,
                                     std::optional<WallTime> wantedSince) {
  std::lock_guard lock(mu_);
  const SteadyTime now = clock_.steadyNow();
  const WallTime wallNow = clock_.now();
  if (auto it = entries_.find(teamsAppId); it != entries_.end()) {
    const Entry& entry = it->second;
    const auto age = now - entry.fetchedAt;
    // Strictly before: with created_at's millisecond resolution, "equal" would make jobs
    // enqueued in the same millisecond as a refetch (every job, under a frozen test clock)
    // refetch one by one. A publish, its event, the plan and the job's commit do not all fit
    // in the millisecond a fetch started.
    const bool predatesCaller = wantedSince && entry.fetchStartedWall < *wantedSince;
    if (age < ttl_ &&
        (shows(entry.app, wantedVersion) || (age < recheck_ && !predatesCaller))) {
      return entry.app;
    }
  }
  auto app = graph_.getCatalogApp(teamsAppId);
  if (!app) return app.error();
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[teamsAppId] = Entry{*app, now, wallNow};
  return app;
}

}  // namespace appkeeper::daemon
