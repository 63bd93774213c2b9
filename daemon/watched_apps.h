// WatchedApps: which catalog apps appkeeper keeps current and subscribes to ([apps] watch).
// Each configured entry is a catalog id or an externalId (manifest id), resolved through the
// catalog; an empty list means every app with distributionMethod "organization".
//
// Borrows nothing beyond the call. Pure apart from the Graph calls; thread-compatible.
// Errors: a transient Graph error comes back as is (the caller tries again later). An entry the
// catalog does not know is not an error for the others: it is skipped and named in
// `unresolved` so the caller can log it once.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "common/teams_types.h"
#include "graph/graph_client.h"

namespace appkeeper::daemon {

struct WatchedApps {
  std::vector<CatalogApp> apps;         // resolved, deduplicated by catalog id, config order
  std::vector<std::string> unresolved;  // configured entries with no catalog app, and why

  std::vector<std::string> ids() const;
  const CatalogApp* find(const std::string& teamsAppId) const;
};

Result<WatchedApps> resolveWatchedApps(graph::GraphClient& graph,
                                       const std::vector<std::string>& watch);

}  // namespace appkeeper::daemon
