// Planner: turns accepted inbound deliveries (the store's inbox) into upgrade jobs.
//
// A "catalog-event" (teamsApp.published) resolves the app in the catalog, takes as target the
// newer of the event's version and the latest published one, finds the app's installations
// (from the inventory once a full scan has filled it; otherwise by scanning every team, page by
// page, filling the inventory as it goes, the teams of a page read scanConcurrency at a time)
// and enqueues one job per installation below the target. Jobs are enqueued per page so workers
// start while a large tenant is still being scanned and memory stays bounded; the store's unique
// key makes a replanned item (crash, retry, duplicate event) enqueue nothing twice. The item
// completes with one "plan" audit record (outcome planned: installations found, jobs enqueued,
// already current). A "graph-notification" item (from /graph/notifications or /graph/lifecycle) is
// handled item by item:
// - lifecycle events (wherever they arrived) go through the store, so that only the
//   maintenance thread talks to Graph about subscriptions: reauthorizationRequired marks the
//   subscription due for renewal (renewing reauthorizes), subscriptionRemoved removes it (the
//   maintenance thread recreates it) and requests a reconciliation, missed requests one;
// - change notifications on /appCatalogs/teamsApps/{app}/installations: for an installation the
//   inventory knows, deleted removes its row (and cancels its queued jobs); created/updated read
//   it back from Graph (with the team the inventory knows), update the row, enqueue an upgrade
//   when it is below the app's latest published version, and, for updated, audit the
//   confirmation of the installation's last succeeded upgrade (event "upgrade-confirmed").
//   An installation id the inventory does not know cannot be read: basic notifications do not
//   say which team (graph-api 3.2), so a reconciliation is requested; it finds the installation
//   and enqueues its upgrade.
//
// Errors: transient (Graph, busy store) -> the item is retried with backoff (audited "retrying")
// until `patience` after it was received, then failed; permanent (unknown app, bad payload) ->
// the item completes with a "plan" record, outcome failed, saying why.
//
// Thread contract: one Planner per planner thread; runOnce() on that thread only. requestStop()
// may be called from any thread. Borrowed references must outlive the Planner.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "daemon/retry_policy.h"
#include "graph/graph_client.h"
#include "store/store.h"

namespace spdlog {
class logger;
}

namespace appkeeper::daemon {

struct PlannerOptions {
  std::string tenantId;
  std::chrono::milliseconds lease{60'000};  // a crash mid-plan replans after this
  RetryPolicyOptions retry;                 // backoff for transient errors (maxAttempts unused)
  std::chrono::milliseconds patience{std::chrono::hours(48)};
  // Installed-apps GETs in flight at once while a first scan reads a page of teams
  // (team_reader.h); 1 reads team after team. `serve` sets it (service.cpp).
  int scanConcurrency = 1;
  // Inbox items claimed per runOnce() in one transaction, and completed together in one more:
  // under a flood of deliveries the planner then takes the store's write lock (and an fsync)
  // twice per batch instead of twice per item, leaving the commits to the inbound writer.
  size_t batch = 32;
};

class Planner {
 public:
  Planner(PlannerOptions options, store::Store& store, graph::GraphClient& graph,
          const Clock& clock, Random& random, std::shared_ptr<spdlog::logger> logger);

  // Claims at most options.batch due inbox items (oldest first), processes them one after the
  // other and records their results together. True when an item was claimed (the caller may call
  // again at once). Never throws.
  bool runOnce();
  // True when the last runOnce() claimed a full batch, so more items are probably due now.
  // The serving loop calls again at once only then; after a partial batch it waits its poll
  // interval (the 200 ms an idle planner waits anyway), so that a steady stream of deliveries
  // fills the batches instead of being planned a few items per batch, each batch paying two
  // commits and its Graph reads.
  bool lastBatchWasFull() const { return lastClaimed_ >= batchLimit(); }
  // A scan in progress stops at the next page; its item goes back to the inbox, due at once.
  void requestStop() { stop_ = true; }

 private:
  struct Counts;
  store::AuditRecord planAudit() const;  // event "plan" for our tenant
  void process(const store::InboxItem& item);
  void planCatalogEvent(const store::InboxItem& item);
  void planNotification(const store::InboxItem& item);
  struct NotificationTally;
  // One change notification for a known installation; errors out are retried with the item.
  Status planInstallationChange(const TeamInstallation& row, const std::string& changeType,
                                NotificationTally& tally);
  Status planLifecycle(const nlohmann::json& notification, NotificationTally& tally);
  // The latest published version of an app (read once per batch); empty when none.
  Result<std::string> latestVersion(const std::string& teamsAppId);
  // Enqueues the installations of `found` below `target`; adds to `counts`. Store errors out.
  Status enqueueOutdated(const store::InboxItem& item, const std::vector<TeamInstallation>& found,
                         const std::string& target, Counts& counts);
  // A completion decided while planning a batch, written with the others by flushBatch().
  struct Completion {
    store::InboxCompletion write;
    std::string logLine;     // "planned inbox item N: ...", logged once written
    bool countJobs = false;  // the line ends with how many of write.jobs were new
  };
  // Every completion goes through here: kept for the batch's one transaction (flushBatch).
  void completeLater(const store::InboxItem& item, std::vector<store::JobSpec> jobs,
                     std::vector<store::AuditRecord> audits, std::string logLine,
                     bool countJobs);
  void flushBatch();
  void complete(const store::InboxItem& item, const store::AuditRecord& audit);
  void fail(const store::InboxItem& item, store::AuditRecord audit, const std::string& why);
  void retry(const store::InboxItem& item, store::AuditRecord audit, const Error& error);
  void release(const store::InboxItem& item, const std::string& why);

  PlannerOptions options_;
  store::Store& store_;
  graph::GraphClient& graph_;
  const Clock& clock_;
  RetryPolicy retryPolicy_;
  std::shared_ptr<spdlog::logger> logger_;
  size_t lastClaimed_ = 0;  // items the last runOnce() claimed (planner thread only)
  // Items one runOnce() claims at most: options.batch, at least 1.
  size_t batchLimit() const { return std::max<size_t>(1, options_.batch); }
  std::atomic<bool> stop_{false};
  // The batch being planned (planner thread only): completions to write, and what was done
  // once for the whole batch already.
  std::vector<Completion> completions_;
  bool reconciliationRequested_ = false;
  std::set<int64_t> confirmedJobs_;  // jobs whose upgrade-confirmed record is in completions_
  // Publish events planned in this batch: app reference + '\n' + version -> their inbox item.
  std::map<std::string, int64_t> plannedEvents_;
  std::map<std::string, std::string> latestInBatch_;  // app -> its latest published version
  std::set<std::string> readInBatch_;  // team + '\n' + installation, read back from Graph
};

}  // namespace appkeeper::daemon
