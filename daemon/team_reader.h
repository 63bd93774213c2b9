// readTeamInstallations: the installed apps of a batch of teams (one page of GET /teams), read
// with up to `concurrency` GETs in flight at once. The reconciler and the planner's first scan
// use it: read one team after the other, a tenant's first scan runs at one GET latency per team
// (~13 teams/s at 80 ms), far below Graph's budgets, and a large tenant's first fan-out starts
// slowly. Every GET still goes through the GraphClient's shared RateLimiter, which paces the
// tenant; the bound only caps threads and connections.
//
// Results come back in `teamIds` order, one per team. Once a read fails transiently the reads
// not yet started are not made (their result is kTransient, "not read"): the caller redoes the
// whole page anyway. With `stop` set, reads not yet started are not made either (kTransient with
// code graph::kCancelledCode). `alongside` (may be empty) runs on one more thread meanwhile,
// e.g. fetching the next page of teams.
//
// Thread contract: callable from any thread; it starts and joins its own threads (the calling
// thread reads too) and needs a thread-safe GraphClient (which it is). Nothing escapes a reader
// thread: an exception becomes a kInternal result.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/teams_types.h"
#include "graph/graph_client.h"

namespace appkeeper::daemon {

// `teamsAppId` empty: every app installed in the team; else only that app's installations.
std::vector<Result<std::vector<TeamInstallation>>> readTeamInstallations(
    graph::GraphClient& graph, const std::vector<std::string>& teamIds,
    const std::string& teamsAppId, int concurrency, const std::function<void()>& alongside = {},
    const std::atomic<bool>* stop = nullptr);

}  // namespace appkeeper::daemon
