#include "daemon/maintenance.h"

#include <spdlog/spdlog.h>

#include "daemon/time_text.h"

namespace appkeeper::daemon {

Maintenance::Maintenance(MaintenanceOptions options, store::Store& store, graph::GraphClient& graph,
                         const Clock& clock, std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      store_(store),
      graph_(graph),
      clock_(clock),
      logger_(std::move(logger)),
      subscriptions_(options_.subscriptions, store, graph, clock, logger_),
      reconciler_(ReconcilerOptions{options_.tenantId, options_.watch}, store, graph, clock,
                  logger_),
      poller_(options_.tenantId, store, clock, logger_) {}

bool Maintenance::runOnce() {
  try {
    return pass();
  } catch (const std::exception& e) {
    logger_->error("maintenance pass failed unexpectedly: {}", e.what());
  } catch (...) {
    logger_->error("maintenance pass failed unexpectedly");
  }
  return false;
}

bool Maintenance::due(const std::optional<WallTime>& retryAt) const {
  return !retryAt || clock_.now() >= *retryAt;
}

void Maintenance::setWatch(std::vector<std::string> watch) {
  std::lock_guard lock(watchMu_);
  newWatch_ = std::move(watch);
}

void Maintenance::takeWatchChange() {
  std::optional<std::vector<std::string>> watch;
  {
    std::lock_guard lock(watchMu_);
    watch.swap(newWatch_);
  }
  if (!watch || *watch == options_.watch) return;
  options_.watch = *watch;
  reconciler_.setWatch(std::move(*watch));
  resolved_ = false;  // resolved again this pass; until then nothing runs on the old set
  watchRetryAt_.reset();
  reconcileNewWatch_ = true;
}

bool Maintenance::pass() {
  takeWatchChange();
  const WallTime now = clock_.now();
  auto lastPoll = store_.scheduleLastRun(kCatalogPollSchedule);
  if (!lastPoll) {
    logger_->warn("cannot read the catalog poll schedule: {}", lastPoll.error().message);
  }
  const bool pollDue = lastPoll && due(pollRetryAt_) &&
                       (!*lastPoll || now - **lastPoll >= options_.catalogPollInterval);
  if ((!resolved_ && due(watchRetryAt_)) || pollDue) {
    if (refreshWatched()) {
      if (pollDue) pollCatalog(!lastPoll->has_value());
    } else if (pollDue) {
      pollRetryAt_ = now + options_.retryDelay;
    }
  }
  if (!resolved_) return false;  // nothing to subscribe to or reconcile for yet
  if (reconcileNewWatch_) {
    // The inventory of a newly watched app is empty until a reconciliation scans the teams.
    if (auto id = store_.requestReconciliation("[apps] watch changed"); id) {
      reconcileNewWatch_ = false;
    } else {
      logger_->warn("cannot request a reconciliation for the new [apps] watch (retrying): {}",
                    id.error().message);
    }
  }
  if (options_.subscriptionsEnabled) keepSubscriptions();
  scheduleReconciliation();
  return reconcileStep();
}

bool Maintenance::refreshWatched() {
  auto resolved = resolveWatchedApps(graph_, options_.watch);
  if (!resolved) {
    watchRetryAt_ = clock_.now() + options_.retryDelay;
    logger_->warn("cannot resolve the watched apps (retrying in {}): {}",
                  formatSeconds(options_.retryDelay), resolved.error().message);
    return false;
  }
  watchRetryAt_.reset();
  if (resolved->unresolved != reportedUnresolved_) {
    for (const auto& why : resolved->unresolved) {
      logger_->warn("[apps] watch names an app the catalog does not have, ignored: {}", why);
    }
    reportedUnresolved_ = resolved->unresolved;
  }
  if (!resolved_ || resolved->ids() != watched_.ids()) {
    std::string names;
    for (const auto& app : resolved->apps) {
      names += (names.empty() ? "" : ", ") + (app.displayName.empty() ? app.id : app.displayName);
    }
    logger_->info("watching {} apps{}{}", resolved->apps.size(), names.empty() ? "" : ": ", names);
    ensured_ = false;  // subscriptions follow the new set (created, or deleted when unwatched)
  }
  watched_ = std::move(*resolved);
  resolved_ = true;
  return true;
}

void Maintenance::keepSubscriptions() {
  if (!due(subscriptionsRetryAt_)) return;
  const std::vector<std::string> ids = watched_.ids();
  bool needEnsure = !ensured_;
  Status status = Ok{};
  if (!needEnsure) {
    auto covered = subscriptions_.covers(ids);
    if (!covered) {
      status = covered.error();
    } else {
      needEnsure = !*covered;
    }
  }
  if (status && needEnsure) {
    status = subscriptions_.ensure(ids);
    if (status) ensured_ = true;
  }
  if (status) status = subscriptions_.renewDue();
  if (!status) {
    subscriptionsRetryAt_ = clock_.now() + options_.retryDelay;
    logger_->warn("subscriptions are not all in place (retrying in {}): {}",
                  formatSeconds(options_.retryDelay), status.error().message);
    return;
  }
  subscriptionsRetryAt_.reset();
}

void Maintenance::scheduleReconciliation() {
  if (!due(reconcileRetryAt_)) return;
  auto active = store_.activeReconciliation();
  if (!active || *active) return;  // one is pending or running already (or the store is busy)
  auto last = store_.lastReconciliation();
  if (!last) return;
  std::string reason;
  if (!*last) {
    reason = "first start: no reconciliation has finished yet";
  } else if (clock_.now() - (*last)->finishedAt >= options_.reconcileInterval) {
    reason = "scheduled: the last one finished at " + formatRfc3339((*last)->finishedAt);
  } else {
    return;
  }
  if (auto id = store_.requestReconciliation(reason); !id) {
    logger_->warn("cannot request a reconciliation: {}", id.error().message);
  }
}

bool Maintenance::reconcileStep() {
  if (!due(reconcileRetryAt_)) return false;
  auto stepped = reconciler_.step();
  if (!stepped) {
    if (stepped.error().code == graph::kCancelledCode) return false;  // shutting down
    reconcileRetryAt_ = clock_.now() + options_.retryDelay;
    logger_->warn("reconciliation paused (resuming in {} where it stopped): {}",
                  formatSeconds(options_.retryDelay), stepped.error().message);
    return false;
  }
  reconcileRetryAt_.reset();
  return *stepped;
}

void Maintenance::pollCatalog(bool baseline) {
  auto polled = poller_.pollOnce(watched_, baseline);
  if (!polled) {
    pollRetryAt_ = clock_.now() + options_.retryDelay;
    logger_->warn("catalog poll failed (retrying in {}): {}", formatSeconds(options_.retryDelay),
                  polled.error().message);
    return;
  }
  pollRetryAt_.reset();
  if (auto s = store_.setScheduleLastRun(kCatalogPollSchedule, clock_.now()); !s) {
    logger_->warn("cannot record the catalog poll time (it runs again): {}", s.error().message);
  }
}

}  // namespace appkeeper::daemon
