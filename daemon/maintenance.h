// Maintenance: what the daemon's one maintenance thread does (wrapped in a WorkLoop): keep the
// Graph subscriptions (SubscriptionManager), run reconciliations page by page (Reconciler) and
// the catalog poll (CatalogPoller), each on its schedule.
//
// Every pass: resolve the watched apps when needed (at start and at every catalog poll, so a
// newly published organization app gets watched within a day); ensure subscriptions at start
// and whenever the store lacks one for a watched app (e.g. after subscriptionRemoved), else
// renew those due; request a reconciliation when none ever finished or the last finished more
// than reconcileInterval ago (persisted: survives restarts); run one page of the active
// reconciliation; poll the catalog when its last run is older than catalogPollInterval.
// Lifecycle events reach this thread through the store (the planner marks a subscription due,
// removes it, or requests a reconciliation), so only this thread talks to Graph about
// subscriptions. A failing duty is retried after retryDelay, without blocking the others.
//
// setWatch() (SIGHUP reload) replaces [apps] watch: the next pass resolves the new list,
// brings the subscriptions in line (new apps subscribed, unwatched ones removed) and requests a
// reconciliation, which fills the inventory of newly watched apps and enqueues their upgrades.
//
// Thread contract: one per maintenance thread with its own Store connection; runOnce() on that
// thread only; setWatch() from any thread. Borrowed references must outlive it. Never throws.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "daemon/catalog_poller.h"
#include "daemon/reconciler.h"
#include "daemon/subscription_manager.h"
#include "daemon/watched_apps.h"
#include "graph/graph_client.h"
#include "store/store.h"

namespace spdlog {
class logger;
}

namespace appkeeper::daemon {

struct MaintenanceOptions {
  std::string tenantId;
  std::vector<std::string> watch;     // [apps] watch
  bool subscriptionsEnabled = false;  // [listen] public_url is set
  SubscriptionOptions subscriptions;
  std::chrono::seconds reconcileInterval{24 * 3600};
  std::chrono::seconds catalogPollInterval{24 * 3600};
  std::chrono::milliseconds retryDelay{30'000};
};

class Maintenance {
 public:
  Maintenance(MaintenanceOptions options, store::Store& store, graph::GraphClient& graph,
              const Clock& clock, std::shared_ptr<spdlog::logger> logger);

  // One pass. True when more work is waiting right now (another reconciliation page); the
  // loop calls it again at once, else after its poll interval (a second in serve).
  bool runOnce();

  const WatchedApps& watched() const { return watched_; }
  // Takes effect at the next pass. Thread-safe.
  void setWatch(std::vector<std::string> watch);

 private:
  bool pass();
  void takeWatchChange();
  bool refreshWatched();
  void keepSubscriptions();
  void scheduleReconciliation();
  bool reconcileStep();
  void pollCatalog(bool baseline);
  bool due(const std::optional<WallTime>& retryAt) const;

  MaintenanceOptions options_;
  store::Store& store_;
  graph::GraphClient& graph_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  SubscriptionManager subscriptions_;
  Reconciler reconciler_;
  CatalogPoller poller_;

  WatchedApps watched_;
  bool resolved_ = false;
  bool ensured_ = false;  // the start-up ensure() succeeded
  std::optional<WallTime> watchRetryAt_, subscriptionsRetryAt_, reconcileRetryAt_, pollRetryAt_;
  std::vector<std::string> reportedUnresolved_;
  bool reconcileNewWatch_ = false;  // a reloaded [apps] watch awaits its reconciliation
  std::mutex watchMu_;
  std::optional<std::vector<std::string>> newWatch_;  // guarded by watchMu_
};

}  // namespace appkeeper::daemon
