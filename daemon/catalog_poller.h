// CatalogPoller: the once-a-day catalog poll (Teams' polling rule; graph-api Decision 8). For
// each watched app it compares the latest published version with the newest one seen before
// (store.noteCatalogVersion, which the planner also feeds from publish events) and, for a newer
// one, queues exactly what a publish event would: a "catalog-event" inbox item shaped like
// {"type":"teamsApp.published",...} (audit event "catalog-poll", outcome "accepted"), so the
// planner starts the same plan.
//
// The first poll ever only records the versions it sees (baseline): outdated installations at
// first start are found by the first-start reconciliation, which enqueues their upgrades.
//
// Thread contract: one per maintenance thread; borrowed references must outlive it.
// Errors: store errors (the caller tries again on a later pass). A version noted whose item
// could not be queued is not planned by a later poll; the periodic reconciliation still
// enqueues every installation below the latest version.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "daemon/watched_apps.h"
#include "store/store.h"

namespace spdlog {
class logger;
}

namespace appkeeper::daemon {

inline constexpr const char* kCatalogPollSchedule = "catalog-poll";
inline constexpr const char* kEventCatalogPoll = "catalog-poll";

// The payload handlers::parseCatalogEvent accepts, for a version found by the poll.
std::string publishEventPayload(const std::string& tenantId, const std::string& teamsAppId,
                                const std::string& version, WallTime at);

class CatalogPoller {
 public:
  CatalogPoller(std::string tenantId, store::Store& store, const Clock& clock,
                std::shared_ptr<spdlog::logger> logger);

  // Returns how many plans were queued. `baseline`: record only (the first poll).
  Result<size_t> pollOnce(const WatchedApps& watched, bool baseline);

 private:
  std::string tenantId_;
  store::Store& store_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace appkeeper::daemon
