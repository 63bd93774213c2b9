// Reconciler: the full reconciliation of the inventory against Graph (issue 4), one page of
// teams per step() so it interleaves with the maintenance thread's other duties, stays inside
// the GET budget (every call goes through GraphClient's RateLimiter) and survives restarts:
// the store keeps the reconciliation's cursor (@odata.nextLink of the next page) and counters.
//
// A step: take the active reconciliation (starting a pending one), resolve the watched apps
// (once per run), read one page of GET /teams from the cursor, and for each team its installed
// apps; make the teams' inventory rows for the watched apps equal to what Graph shows
// (store.replaceTeamsInstallations: the page in one transaction), enqueue an upgrade job for
// each installation below its app's latest published version (apps that need RSC too: the
// worker decides about consent), and record the cursor and counters. A cursor Graph no longer accepts restarts the scan from
// the first page. After the last page: rows not seen since the run started are removed (teams
// that disappeared), each app's inventory is marked scanned, and the run ends with a summary
// audit record ("N teams scanned, M installations found, D drift corrected, J upgrades queued").
//
// Reading a page: the teams' installed apps are read concurrently, at most scanConcurrency
// GETs in flight (the shared RateLimiter still paces every one of them), while the next page of
// teams is fetched ahead. Only the reads are concurrent: the results are applied to the store in
// page order on the calling thread, and the cursor is recorded only after the whole page, so
// resume-after-restart and "a failed page is redone" are unchanged. The page fetched ahead is a
// cache keyed by (run, cursor): a restart or a new run simply GETs it again. Sequential reads
// (one team after the other) made the first scan of a large tenant the bottleneck of its first
// fan-out: ~13 teams/s at 80 ms per GET.
//
// Thread contract: one per maintenance thread; borrowed references must outlive it. step()
// starts and joins its own short-lived reader threads (GraphClient is thread-safe; the store is
// only used on the calling thread). setWatch() may be called from any thread (SIGHUP reload);
// it takes effect at the next run.
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
  // Installed-apps GETs in flight at once while a page is read; 1 reads team after team.
  int scanConcurrency = 32;
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
  // The page of teams at `cursor`: the one fetched ahead during the previous step when it
  // matches, else GET /teams.
  Result<graph::TeamPage> teamsPage(int64_t runId, const std::string& cursor);
  // Installed apps of each team (same order), read concurrently; meanwhile, with a non-empty
  // `nextLink`, the next page is fetched ahead.
  std::vector<Result<std::vector<TeamInstallation>>> readTeams(
      int64_t runId, const std::vector<std::string>& teamIds, const std::string& nextLink);

  struct AheadPage {
    int64_t runId = 0;
    std::string cursor;
    graph::TeamPage page;
  };

  ReconcilerOptions options_;
  store::Store& store_;
  graph::GraphClient& graph_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  // The watched apps of the current run (resolved when it starts or after a restart).
  std::optional<std::pair<int64_t, WatchedApps>> apps_;
  int64_t unreadableTeams_ = 0;  // this process's share of the current run
  std::optional<AheadPage> ahead_;  // the next page, fetched during the previous step
  std::mutex watchMu_;           // guards options_.watch (setWatch from another thread)
};

}  // namespace appkeeper::daemon
