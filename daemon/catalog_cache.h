// CatalogCache: a worker's short-lived memory of catalog apps, so a burst of jobs for one app
// costs one catalog GET instead of one per job. An entry serves for `ttl`; an entry whose latest
// published version is still below the version a job wants is refetched (a publish may just have
// become visible), but not more than once per `recheck`, so a batch of jobs waiting for a lagging
// version does not turn into a GET each.
//
// Borrows the client and clock. One per worker: NOT thread-safe.
// Errors: those of GraphClient::getCatalogApp, unchanged.
#pragma once

#include <chrono>
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
  // published (empty: any).
  Result<CatalogApp> get(const std::string& teamsAppId, const std::string& wantedVersion);

 private:
  struct Entry {
    CatalogApp app;
    SteadyTime fetchedAt;
  };
  graph::GraphClient& graph_;
  const Clock& clock_;
  std::chrono::milliseconds ttl_;
  std::chrono::milliseconds recheck_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace appkeeper::daemon
