// CatalogCache: a worker's short-lived memory of catalog apps, so a burst of jobs for one app
// costs one catalog GET instead of one per job. An entry serves for `ttl`; an entry whose latest
// published version is still below the version a job wants is refetched (a publish may just have
// become visible) when either
//  - the entry was fetched before the job was created (`wantedSince`, the job's enqueue time):
//    whatever made the job (a publish event, a reconciliation) may know of a version this entry
//    predates. A flood of jobs from one publish costs one refetch, since every job of it was
//    created before that refetch began; or
//  - the entry is older than `recheck`, so a batch of jobs waiting for a lagging version does
//    not turn into a GET each.
//
// One per process, shared by the workers: a publish then costs one catalog GET, not one per
// worker (171 workers meant 171 GETs, ~0.6 s of a 300/s GET budget, before the first upgrade).
// Borrows the client and clock. Thread-safe: one mutex, held through a fetch, so callers that
// need the same refetch wait for it instead of making their own.
// Errors: those of GraphClient::getCatalogApp, unchanged.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/result.h"
#include "common/teams_types.h"
#include "graph/graph_client.h"

namespace appkeeper::daemon {

class CatalogCache {
 public:
  CatalogCache(graph::GraphClient& graph, const Clock& clock,
               std::chrono::milliseconds ttl = std::chrono::seconds(30),
               std::chrono::milliseconds recheck = std::chrono::seconds(2));

  // The app with every definition; `wantedVersion` is the version the caller hopes to find
  // published (empty: any); `wantedSince` (wall time, e.g. the job's created_at) is when the
  // caller learnt of it: an entry fetched before then that does not show it is refetched.
  Result<CatalogApp> get(const std::string& teamsAppId, const std::string& wantedVersion,
                         std::optional<WallTime> wantedSince = std::nullopt);

 private:
  struct Entry {
    CatalogApp app;
    SteadyTime fetchedAt;
    WallTime fetchStartedWall;  // taken before the GET: a publish during it is not "seen"
  };
  graph::GraphClient& graph_;
  const Clock& clock_;
  const std::chrono::milliseconds ttl_;
  const std::chrono::milliseconds recheck_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace appkeeper::daemon
