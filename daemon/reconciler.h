// Reconciler: the full reconciliation of the inventory against Graph (issue 4), one page of
// teams per step() so it interleaves with the maintenance thread's other duties, stays inside
// the GET budget (every call goes through GraphClient's RateLimiter) and survives restarts:
// the store keeps the reconciliation's cursor (@odata.nextLink of the next page) and counters.
//
// A step: take the active reconciliation (starting a pending one), resolve the watched apps
// (once per run), read one page of GET /teams from the cursor, and for each team its installed
// apps; make the team's inventory rows for the watched apps equal to what Graph shows
// (store.replaceTeamInstallations), enqueue an upgrade job for each installation below its
// app's latest published version (apps that need RSC too: the worker decides about consent),
// and record the cursor and counters. A cursor Graph no longer accepts restarts the scan from
// the first page. After the last page: rows not seen since the run started are removed (teams
// that disappeared), each app's inventory is marked scanned, and the run ends with a summary
// audit record ("N teams scanned, M installations found, D drift corrected, J upgrades queued").
//
// Thread contract: one per maintenance thread; borrowed references must outlive it. setWatch()
// may be called from any thread (SIGHUP reload); it takes effect at the next run.
// Errors: transient Graph/store errors come back from step() (nothing of the page is recorded,
// so the page is redone); a team that cannot be read for a permanent reason is skipped, counted
// and logged.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "daemon/watched_apps.h"
#include "graph/graph_client.h"
#include "store/store.h"

namespace spdlog {
class logger;
}

namespace appkeeper::daemon {

struct ReconcilerOptions {
  std::string tenantId;
  std::vector<std::string> watch;    // [apps] watch
  int64_t progressEveryTeams = 500;  // an info line at least this often
};

class Reconciler {
 public:
  Reconciler(ReconcilerOptions options, store::Store& store, graph::GraphClient& graph,
             const Clock& clock, std::shared_ptr<spdlog::logger> logger);

  // One page of the active reconciliation. True when a page was done (more may follow at
  // once), false when no reconciliation is pending or running.
  Result<bool> step();
  // Replaces [apps] watch for the runs that start from now on (the running one keeps its apps,
  // so its end-of-run bookkeeping stays consistent). Thread-safe.
  void setWatch(std::vector<std::string> watch);

 private:
  Status finish(const store::Reconciliation& run, const WatchedApps& apps);

  ReconcilerOptions options_;
  store::Store& store_;
  graph::GraphClient& graph_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  // The watched apps of the current run (resolved when it starts or after a restart).
  std::optional<std::pair<int64_t, WatchedApps>> apps_;
  int64_t unreadableTeams_ = 0;  // this process's share of the current run
  std::mutex watchMu_;           // guards options_.watch (setWatch from another thread)
};

}  // namespace appkeeper::daemon
