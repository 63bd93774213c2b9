#include "daemon/planner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/log_context.h"
#include "common/version.h"
#include "daemon/audit_outcomes.h"
#include "daemon/team_reader.h"
#include "daemon/time_text.h"
#include "daemon/upgrade_job.h"
#include "handlers/catalog_events.h"
#include "handlers/graph_notifications.h"

namespace appkeeper::daemon {
namespace {

std::string stringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool isOutdated(const TeamInstallation& installation, const std::string& target) {
  // An installed version we cannot read is planned anyway: the worker re-reads it and Graph's
  // upgrade goes to the latest version regardless.
  auto cmp = compareVersions(installation.version, target);
  return !cmp || *cmp < 0;
}

RetryPolicyOptions unbounded(RetryPolicyOptions retry) {
  retry.maxAttempts = INT_MAX;  // the planner gives up by age (patience), not by count
  return retry;
}

}  // namespace

struct Planner::Counts {
  size_t teams = 0;            // teams read during a scan
  size_t unreadableTeams = 0;  // teams whose installations could not be read (permanent error)
  std::string firstTeamError;
  size_t found = 0;     // installations of the app
  size_t outdated = 0;  // below the target
  size_t enqueued = 0;  // new jobs (an outdated installation may already have its job)
};

Planner::Planner(PlannerOptions options, store::Store& store, graph::GraphClient& graph,
                 const Clock& clock, Random& random, std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      store_(store),
      graph_(graph),
      clock_(clock),
      retryPolicy_(unbounded(options_.retry), random),
      logger_(std::move(logger)) {}

bool Planner::runOnce() {
  std::vector<store::InboxItem> items;
  lastClaimed_ = 0;
  try {
    auto claimed = store_.claimInboxBatch(options_.lease, batchLimit());
    if (!claimed) {
      logger_->warn("cannot claim inbox items: {}", claimed.error().message);
      return false;
    }
    items = std::move(*claimed);
    lastClaimed_ = items.size();
  } catch (const std::exception& e) {
    logger_->error("claiming inbox items failed unexpectedly: {}", e.what());
    return false;
  } catch (...) {
    logger_->error("claiming inbox items failed unexpectedly");
    return false;
  }
  // completions_ is empty here: the previous batch cleared it after writing.
  reconciliationRequested_ = false;
  confirmedJobs_.clear();
  plannedEvents_.clear();
  latestInBatch_.clear();
  readInBatch_.clear();
  for (const store::InboxItem& item : items) {
    try {
      if (stop_) {
        release(item, "shutting down");
        continue;
      }
      process(item);
    } catch (const std::exception& e) {
      // A bug: the item's lease expires and it is planned again; say so loudly.
      logger_->error("planning inbox item {} failed unexpectedly: {}", item.id, e.what());
    } catch (...) {
      logger_->error("planning inbox item {} failed unexpectedly", item.id);
    }
  }
  try {
    flushBatch();
  } catch (const std::exception& e) {
    logger_->error("completing {} inbox items failed unexpectedly: {}", completions_.size(),
                   e.what());
  } catch (...) {
    logger_->error("completing {} inbox items failed unexpectedly", completions_.size());
  }
  completions_.clear();
  return !items.empty();
}

void Planner::completeLater(const store::InboxItem& item, std::vector<store::JobSpec> jobs,
                            std::vector<store::AuditRecord> audits, std::string logLine,
                            bool countJobs) {
  Completion c;
  c.write.inboxId = item.id;
  c.write.jobs = std::move(jobs);
  c.write.audits = std::move(audits);
  c.logLine = std::move(logLine);
  c.countJobs = countJobs;
  completions_.push_back(std::move(c));
}

void Planner::flushBatch() {
  if (completions_.empty()) return;
  std::vector<store::InboxCompletion> writes;
  writes.reserve(completions_.size());
  for (const Completion& c : completions_) writes.push_back(c.write);
  auto done = store_.completeInboxBatch(writes);
  if (!done) {
    // Any jobs are queued already; the items stay leased and are planned again (enqueueing
    // nothing twice) once their leases expire.
    logger_->warn("cannot complete {} inbox item(s) (planned again when their lease expires): {}",
                  completions_.size(), done.error().message);
    return;
  }
  // One item: its line at info, as always. A batch (a flood): one info line, the items at debug.
  const bool single = completions_.size() == 1;
  size_t jobsNew = 0, failed = 0;
  for (size_t i = 0; i < completions_.size() && i < done->size(); ++i) {
    const Completion& c = completions_[i];
    const auto& result = (*done)[i];
    if (!result) {
      ++failed;
      logger_->warn("cannot complete inbox item {}: {}", c.write.inboxId, result.error().message);
      continue;
    }
    jobsNew += *result;
    if (c.logLine.empty()) continue;
    const std::string line =
        c.countJobs ? c.logLine + " (" + std::to_string(*result) + " jobs new)" : c.logLine;
    if (single) {
      logger_->info("{}", line);
    } else {
      logger_->debug("{}", line);
    }
  }
  if (!single) {
    logger_->info("planned {} inbox items in one transaction ({} jobs new{})",
                  completions_.size() - failed, jobsNew,
                  failed > 0 ? ", " + std::to_string(failed) + " not completed" : std::string());
  }
}

store::AuditRecord Planner::planAudit() const {
  store::AuditRecord audit;
  audit.event = kEventPlan;
  audit.tenantId = options_.tenantId;
  return audit;
}

void Planner::process(const store::InboxItem& item) {
  if (item.kind == "catalog-event") return planCatalogEvent(item);
  if (item.kind == "graph-notification") return planNotification(item);
  store::AuditRecord audit = planAudit();
  fail(item, audit, "unknown inbox item kind \"" + item.kind + "\"; nothing was planned");
}

void Planner::planCatalogEvent(const store::InboxItem& item) {
  store::AuditRecord audit = planAudit();
  auto event = handlers::parseCatalogEvent(item.payload, options_.tenantId);
  if (!event) {
    return fail(item, audit, "the publish event cannot be planned: " + event.error().message);
  }
  const std::string ref = event->teamsAppId.empty() ? event->externalId : event->teamsAppId;
  audit.teamsAppId = ref;
  audit.toVersion = event->version;
  // A burst of events for one version (a pipeline resending under new webhook ids, a flood) is
  // planned once per batch: the first one read the catalog and enqueued every job, and nothing
  // changed since, so the rest would only repeat its Graph read and inventory scan.
  const std::string eventKey = ref + '\n' + event->version;
  if (auto same = plannedEvents_.find(eventKey); same != plannedEvents_.end()) {
    audit.outcome = kOutcomePlanned;
    audit.detail = "the same app and version as inbox item " + std::to_string(same->second) +
                   ", planned in this batch: nothing more to enqueue";
    return complete(item, audit);
  }

  auto app = graph_.getCatalogApp(ref);
  if (!app) {
    const Error& e = app.error();
    if (e.kind == ErrorKind::kTransient) return retry(item, audit, e);
    audit.httpStatus = e.httpStatus;
    audit.requestId = e.requestId;
    return fail(item, audit, "cannot plan app " + ref + ": " + e.message);
  }
  audit.teamsAppId = app->id;
  LogScope appScope({.appId = app->id});
  std::string target = event->version;
  if (const AppDefinition* latest = latestPublished(*app)) {
    auto cmp = compareVersions(latest->version, target);
    if (target.empty() || (cmp && *cmp > 0)) target = latest->version;
  }
  if (target.empty()) {
    return fail(item, audit, "app " + app->id + " has no published version to upgrade to");
  }
  audit.toVersion = target;
  // So the catalog poll does not plan again what a publish event announced.
  if (auto noted = store_.noteCatalogVersion(options_.tenantId, app->id, target); !noted) {
    logger_->debug("cannot note version {} of app {}: {}", target, app->id, noted.error().message);
  }

  Counts counts;
  auto scanned = store_.inventoryScanned(options_.tenantId, app->id);
  if (!scanned) return retry(item, audit, scanned.error());
  std::string source;
  if (*scanned) {
    auto found = store_.installationsOfApp(options_.tenantId, app->id);
    if (!found) return retry(item, audit, found.error());
    if (auto s = enqueueOutdated(item, *found, target, counts); !s) {
      return retry(item, audit, s.error());
    }
    source = "from the inventory";
  } else {
    std::optional<Error> scanError;
    bool stopped = false;
    auto status = graph_.forEachTeamPage([&](const std::vector<std::string>& teamIds) {
      std::vector<TeamInstallation> page;
      auto reads = readTeamInstallations(graph_, teamIds, app->id, options_.scanConcurrency, {},
                                         &stop_);
      if (stop_) {
        stopped = true;
        return false;
      }
      for (size_t i = 0; i < teamIds.size(); ++i) {
        const std::string& teamId = teamIds[i];
        auto& installations = reads[i];
        if (!installations) {
          if (installations.error().kind == ErrorKind::kTransient) {
            scanError = installations.error();
            return false;
          }
          // One team we may not read (deleted meanwhile, 403) must not stop the whole tenant.
          if (counts.unreadableTeams++ == 0) {
            counts.firstTeamError = "team " + teamId + ": " + installations.error().message;
          }
          continue;
        }
        ++counts.teams;
        page.insert(page.end(), installations->begin(), installations->end());
      }
      if (!page.empty()) {
        if (auto s = store_.upsertInstallations(page); !s) {
          scanError = s.error();
          return false;
        }
        if (auto s = enqueueOutdated(item, page, target, counts); !s) {
          scanError = s.error();
          return false;
        }
      }
      return true;
    });
    if (!status && !scanError) scanError = status.error();
    if (scanError) {
      if (scanError->kind == ErrorKind::kTransient) return retry(item, audit, *scanError);
      audit.httpStatus = scanError->httpStatus;
      audit.requestId = scanError->requestId;
      return fail(item, audit, "cannot list the tenant's teams: " + scanError->message);
    }
    if (stopped) return release(item, "shutting down");
    if (counts.unreadableTeams == 0) {
      // Only a complete scan makes the inventory the source of truth for this app.
      if (auto s = store_.markInventoryScanned(options_.tenantId, app->id); !s) {
        logger_->warn(
            "cannot mark the inventory of app {} as scanned (the next plan scans "
            "again): {}",
            app->id, s.error().message);
      }
    }
    source = "by scanning " + std::to_string(counts.teams) + " teams";
  }

  std::string detail = (app->displayName.empty() ? app->id : app->displayName) + " -> " + target +
                       ": " + std::to_string(counts.found) + " installations found " + source +
                       ", " + std::to_string(counts.enqueued) + " jobs enqueued";
  if (counts.outdated > counts.enqueued) {
    detail += " (" + std::to_string(counts.outdated - counts.enqueued) + " already queued)";
  }
  detail += ", " + std::to_string(counts.found - counts.outdated) + " already current";
  if (counts.unreadableTeams > 0) {
    detail += "; " + std::to_string(counts.unreadableTeams) +
              " teams could not be read (first: " + counts.firstTeamError + ")";
    if (counts.teams == 0) return fail(item, audit, detail);
  }
  audit.outcome = kOutcomePlanned;
  audit.detail = detail;
  plannedEvents_.emplace(eventKey, item.id);
  complete(item, audit);
}

Status Planner::enqueueOutdated(const store::InboxItem& item,
                                const std::vector<TeamInstallation>& found,
                                const std::string& target, Counts& counts) {
  std::vector<store::JobSpec> jobs;
  for (const auto& installation : found) {
    ++counts.found;
    if (!isOutdated(installation, target)) continue;
    jobs.push_back(upgradeJob(options_.tenantId, installation, target, item.id));
  }
  counts.outdated += jobs.size();
  if (jobs.empty()) return Ok{};
  auto added = store_.enqueue(jobs);
  if (!added) return added.error();
  counts.enqueued += *added;
  return Ok{};
}

struct Planner::NotificationTally {
  size_t removed = 0;         // deleted installations removed from the inventory
  size_t notInInventory = 0;  // deleted installations we did not know
  size_t refreshed = 0;       // created/updated installations read back and stored
  size_t gone = 0;            // created/updated, but Graph no longer has them
  size_t unreadable = 0;      // could not be read for a permanent reason
  size_t unknown = 0;         // created/updated for installations the inventory lacks
  size_t confirmed = 0;
  size_t lifecycle = 0;
  size_t noAction = 0;
  size_t readInBatch = 0;  // created/updated, read back already for an earlier item of the batch
  bool deferred = false;   // an upgrade of a notified installation is still running
  std::vector<store::JobSpec> jobs;
  std::vector<store::AuditRecord> audits;
};

namespace {

// Notifications for an installation whose upgrade is still being recorded are retried this
// often (at most kMaxDefers times), so the confirmation finds the finished job.
constexpr std::chrono::seconds kDeferDelay{1};
constexpr int kMaxDefers = 5;

}  // namespace

void Planner::planNotification(const store::InboxItem& item) {
  store::AuditRecord audit = planAudit();
  auto batch = handlers::parseNotificationBatch(item.payload);
  if (!batch) {
    return fail(item, audit, "the notification cannot be planned: " + batch.error().message);
  }
  NotificationTally tally;
  for (const auto& notification : *batch) {
    const std::string tenant = stringField(notification, "tenantId");
    if (!tenant.empty() && tenant != options_.tenantId) {
      ++tally.noAction;
      continue;
    }
    if (!stringField(notification, "lifecycleEvent").empty()) {
      if (auto s = planLifecycle(notification, tally); !s) return retry(item, audit, s.error());
      continue;
    }
    const std::string changeType = stringField(notification, "changeType");
    const auto ref = handlers::parseInstallationResource(stringField(notification, "resource"));
    if (ref.installationId.empty() || ref.teamsAppId.empty() ||
        (changeType != "created" && changeType != "updated" && changeType != "deleted")) {
      ++tally.noAction;
      continue;
    }
    auto row = store_.installationById(options_.tenantId, ref.installationId);
    if (!row) return retry(item, audit, row.error());
    if (!*row) {
      // Installation ids are opaque (Decision 5) and basic notifications do not name the team
      // (graph-api 3.2), so an installation the inventory lacks cannot be read back here. The
      // reconciliation lists every team's installations: it finds the new one and enqueues its
      // upgrade.
      changeType == "deleted" ? ++tally.notInInventory : ++tally.unknown;
      continue;
    }
    if (auto s = planInstallationChange(**row, changeType, tally); !s) {
      return retry(item, audit, s.error());
    }
  }
  if (tally.unknown > 0 && !reconciliationRequested_) {
    // Once per batch: one reconciliation answers every item of it, and the request is stored
    // before any of their completions (flushBatch) is.
    auto requested =
        store_.requestReconciliation("created notification for an unknown installation");
    if (!requested) return retry(item, audit, requested.error());
    reconciliationRequested_ = true;
  }
  if (tally.deferred && item.attempts < kMaxDefers) {
    // Without an audit record: this is a short wait for our own worker, not a failure.
    if (auto s = store_.retryInbox(item.id, clock_.now() + kDeferDelay,
                                   "waiting for a running upgrade to be recorded");
        !s) {
      logger_->warn("cannot defer inbox item {}: {}", item.id, s.error().message);
    }
    return;
  }

  audit.outcome = kOutcomePlanned;
  audit.detail = "graph notification with " + std::to_string(batch->size()) +
                 " items: " + std::to_string(tally.removed) + " deleted installations removed, " +
                 std::to_string(tally.notInInventory) + " deleted ones not in the inventory, " +
                 std::to_string(tally.refreshed) + " installations refreshed, " +
                 std::to_string(tally.jobs.size()) + " upgrades to enqueue, " +
                 std::to_string(tally.confirmed) + " upgrades confirmed, " +
                 std::to_string(tally.unknown) + " unknown installations (reconciliation " +
                 (tally.unknown > 0 ? "requested" : "not needed") + "), " +
                 std::to_string(tally.lifecycle) + " lifecycle events, " +
                 std::to_string(tally.noAction) + " items need no action";
  if (tally.gone > 0) audit.detail += ", " + std::to_string(tally.gone) + " gone from Graph";
  if (tally.readInBatch > 0) {
    audit.detail += ", " + std::to_string(tally.readInBatch) +
                    " read back already for an earlier item of this batch";
  }
  if (tally.unreadable > 0) {
    audit.detail += ", " + std::to_string(tally.unreadable) + " could not be read";
  }
  tally.audits.push_back(audit);
  completeLater(item, std::move(tally.jobs), std::move(tally.audits),
                "planned inbox item " + std::to_string(item.id) + ": " + audit.detail,
                /*countJobs=*/true);
}

Status Planner::planLifecycle(const nlohmann::json& notification, NotificationTally& tally) {
  const std::string event = stringField(notification, "lifecycleEvent");
  const std::string subscriptionId = stringField(notification, "subscriptionId");
  if (event == "reauthorizationRequired") {
    // Marked due: the maintenance thread renews it on its next pass (a renewal reauthorizes).
    auto sub = store_.subscription(subscriptionId);
    if (!sub) return sub.error();
    if (*sub) {
      store::SubscriptionRecord due = **sub;
      due.expiration = WallTime{};
      if (auto s = store_.putSubscription(due); !s) return s;
    }
    ++tally.lifecycle;
    logger_->info("subscription {} needs reauthorization: renewing it", subscriptionId);
    return Ok{};
  }
  if (event == "subscriptionRemoved") {
    // The maintenance thread sees the app uncovered and creates a new one.
    if (auto s = store_.removeSubscription(subscriptionId); !s) return s;
    auto requested = store_.requestReconciliation("subscriptionRemoved");
    if (!requested) return requested.error();
    ++tally.lifecycle;
    logger_->warn("Graph removed subscription {}: recreating it and reconciling", subscriptionId);
    return Ok{};
  }
  if (event == "missed") {
    auto requested = store_.requestReconciliation("missed");
    if (!requested) return requested.error();
    ++tally.lifecycle;
    logger_->warn("Graph missed notifications of subscription {}: reconciling", subscriptionId);
    return Ok{};
  }
  ++tally.noAction;
  return Ok{};
}

Result<std::string> Planner::latestVersion(const std::string& teamsAppId) {
  if (auto it = latestInBatch_.find(teamsAppId); it != latestInBatch_.end()) return it->second;
  auto app = graph_.getCatalogApp(teamsAppId);
  if (!app) return app.error();
  const AppDefinition* latest = latestPublished(*app);
  std::string version = latest ? latest->version : std::string();
  latestInBatch_.emplace(teamsAppId, version);
  return version;
}

Status Planner::planInstallationChange(const TeamInstallation& row, const std::string& changeType,
                                       NotificationTally& tally) {
  LogScope installationScope({.teamId = row.teamId, .appId = row.teamsAppId});
  if (changeType == "deleted") {
    // Installation ids are opaque (Decision 5): the team comes from the inventory row.
    if (auto s = store_.removeInstallation(options_.tenantId, row.teamId, row.installationId); !s) {
      return s;
    }
    ++tally.removed;
    return Ok{};
  }
  auto job = store_.latestJobForInstallation(options_.tenantId, row.teamId, row.installationId);
  if (!job) return job.error();
  const store::Job* last = job->has_value() ? &**job : nullptr;
  auto atLeastTarget = [&](const std::string& version) {
    auto cmp = compareVersions(version, last->spec.targetVersion);
    return cmp && *cmp >= 0;
  };
  auto confirm = [&](const std::string& installed) -> Status {
    auto earlier = store_.hasAuditEvent(last->id, kEventConfirm);
    if (!earlier) return earlier.error();
    if (*earlier) return Ok{};  // Graph may report one upgrade twice
    // ... possibly within one batch, whose records are not written yet.
    if (!confirmedJobs_.insert(last->id).second) return Ok{};
    store::AuditRecord confirmed;
    confirmed.event = kEventConfirm;
    confirmed.outcome = kOutcomeConfirmed;
    confirmed.tenantId = options_.tenantId;
    confirmed.teamId = row.teamId;
    confirmed.installationId = row.installationId;
    confirmed.teamsAppId = row.teamsAppId;
    confirmed.fromVersion = last->spec.fromVersion;
    confirmed.toVersion = installed;
    confirmed.jobId = last->id;
    confirmed.detail =
        "Graph reported the upgrade back (updated notification); installed " + installed;
    tally.audits.push_back(std::move(confirmed));
    ++tally.confirmed;
    return Ok{};
  };
  const bool succeeded = last != nullptr && last->state == store::JobState::kSucceeded;
  if (changeType == "updated" && succeeded && atLeastTarget(row.version)) {
    // Our own upgrade reported back: the worker already wrote the new version into the row.
    // Reading it again would cost one GET per upgrade of a rollout.
    return confirm(row.version);
  }
  const bool skipped = last != nullptr && last->state == store::JobState::kSkipped;
  if (changeType == "updated" && skipped && atLeastTarget(row.version)) {
    // A newer job found the installation already current: an earlier job's upgrade (to the
    // latest version) is what Graph reports, and the row already holds it. No read needed.
    return Ok{};
  }
  if (changeType == "updated" && last != nullptr && last->state == store::JobState::kRunning) {
    tally.deferred = true;  // the worker is recording it right now; look again shortly
    return Ok{};
  }
  const std::string readKey = row.teamId + '\n' + row.installationId;
  if (readInBatch_.count(readKey) > 0) {
    // An earlier item of this batch read it back from Graph after this notification arrived
    // (a batch is claimed once all of its items were received), so that read already shows
    // this change, and that item enqueues what it needs: a burst of notifications for one
    // installation (Graph may repeat them) costs one GET per batch.
    ++tally.readInBatch;
    return Ok{};
  }
  auto current = graph_.getInstallation(row.teamId, row.installationId);
  if (current) readInBatch_.insert(readKey);
  if (!current) {
    const Error& e = current.error();
    if (e.kind == ErrorKind::kTransient) return e;
    if (e.httpStatus == 404) {
      if (auto s = store_.removeInstallation(options_.tenantId, row.teamId, row.installationId);
          !s) {
        return s;
      }
      ++tally.gone;
    } else {
      ++tally.unreadable;
      logger_->warn("cannot read installation {} of team {}: {}", row.installationId, row.teamId,
                    e.message);
    }
    return Ok{};
  }
  if (auto s = store_.upsertInstallations({*current}); !s) return s;
  ++tally.refreshed;
  auto latest =
      latestVersion(current->teamsAppId.empty() ? row.teamsAppId : current->teamsAppId);
  if (!latest) {
    if (latest.error().kind == ErrorKind::kTransient) return latest.error();
    ++tally.unreadable;
    return Ok{};
  }
  if (!latest->empty() && isOutdated(*current, *latest)) {
    TeamInstallation installed = *current;
    if (installed.teamsAppId.empty()) installed.teamsAppId = row.teamsAppId;
    tally.jobs.push_back(upgradeJob(options_.tenantId, installed, *latest));
  }
  if (changeType == "updated" && succeeded && atLeastTarget(current->version)) {
    return confirm(current->version);
  }
  return Ok{};
}

void Planner::complete(const store::InboxItem& item, const store::AuditRecord& audit) {
  completeLater(item, {}, {audit},
                "planned inbox item " + std::to_string(item.id) + ": " + audit.detail,
                /*countJobs=*/false);
}

void Planner::fail(const store::InboxItem& item, store::AuditRecord audit, const std::string& why) {
  audit.outcome = kOutcomeFailed;
  audit.detail = why;
  audit.attempt = item.attempts;
  completeLater(item, {}, {audit}, std::string(), /*countJobs=*/false);
  logger_->warn("inbox item {} ({}) failed: {}", item.id, item.kind, why);
}

void Planner::retry(const store::InboxItem& item, store::AuditRecord audit, const Error& error) {
  if (error.code == graph::kCancelledCode) return release(item, "shutting down");
  const WallTime now = clock_.now();
  if (now - item.receivedAt > options_.patience) {
    audit.httpStatus = error.httpStatus;
    audit.requestId = error.requestId;
    return fail(item, audit,
                "gave up after " + formatHours(options_.patience) +
                    " of transient errors; last: " + error.message);
  }
  Error transient = error;
  transient.kind = ErrorKind::kTransient;  // the callers route only retryable errors here
  const RetryDecision decision = retryPolicy_.decide(transient, std::max(0, item.attempts - 1));
  if (auto s = store_.retryInbox(item.id, now + decision.delay, error.message); !s) {
    logger_->warn("cannot reschedule inbox item {} (it is retried when its lease expires): {}",
                  item.id, s.error().message);
  }
  audit.outcome = kOutcomeRetrying;
  audit.httpStatus = error.httpStatus;
  audit.requestId = error.requestId;
  audit.attempt = item.attempts;
  audit.detail = error.message + "; next try in " + formatSeconds(decision.delay);
  if (auto s = store_.appendAudit(audit); !s) {
    logger_->warn("cannot audit the retry of inbox item {}: {}", item.id, s.error().message);
  }
  logger_->warn("inbox item {} ({}) will be retried in {}: {}", item.id, item.kind,
                formatSeconds(decision.delay), error.message);
}

void Planner::release(const store::InboxItem& item, const std::string& why) {
  if (auto s = store_.retryInbox(item.id, clock_.now(), why); !s) {
    logger_->warn("cannot release inbox item {}: {}", item.id, s.error().message);
    return;
  }
  logger_->info("inbox item {} released ({}); it is planned again on the next start", item.id, why);
}

}  // namespace appkeeper::daemon
