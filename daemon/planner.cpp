#include "daemon/planner.h"

#include <spdlog/spdlog.h>

#include <climits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/version.h"
#include "daemon/audit_outcomes.h"
#include "daemon/time_text.h"
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
  std::optional<store::InboxItem> item;
  try {
    auto claimed = store_.claimInbox(options_.lease);
    if (!claimed) {
      logger_->warn("cannot claim an inbox item: {}", claimed.error().message);
      return false;
    }
    if (!*claimed) return false;
    item = std::move(**claimed);
    process(*item);
  } catch (const std::exception& e) {
    // A bug: the item's lease expires and it is planned again; say so loudly.
    logger_->error("planning inbox item {} failed unexpectedly: {}", item ? item->id : 0, e.what());
  } catch (...) {
    logger_->error("planning inbox item {} failed unexpectedly", item ? item->id : 0);
  }
  return item.has_value();
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

  auto app = graph_.getCatalogApp(ref);
  if (!app) {
    const Error& e = app.error();
    if (e.kind == ErrorKind::kTransient) return retry(item, audit, e);
    audit.httpStatus = e.httpStatus;
    audit.requestId = e.requestId;
    return fail(item, audit, "cannot plan app " + ref + ": " + e.message);
  }
  audit.teamsAppId = app->id;
  std::string target = event->version;
  if (const AppDefinition* latest = latestPublished(*app)) {
    auto cmp = compareVersions(latest->version, target);
    if (target.empty() || (cmp && *cmp > 0)) target = latest->version;
  }
  if (target.empty()) {
    return fail(item, audit, "app " + app->id + " has no published version to upgrade to");
  }
  audit.toVersion = target;

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
      for (const auto& teamId : teamIds) {
        if (stop_) {
          stopped = true;
          return false;
        }
        auto installations = graph_.listTeamInstallations(teamId, app->id);
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
  complete(item, audit);
}

Status Planner::enqueueOutdated(const store::InboxItem& item,
                                const std::vector<TeamInstallation>& found,
                                const std::string& target, Counts& counts) {
  std::vector<store::JobSpec> jobs;
  for (const auto& installation : found) {
    ++counts.found;
    if (!isOutdated(installation, target)) continue;
    store::JobSpec spec;
    spec.tenantId = options_.tenantId;
    spec.teamId = installation.teamId;
    spec.installationId = installation.installationId;
    spec.teamsAppId = installation.teamsAppId;
    spec.fromVersion = installation.version;
    spec.targetVersion = target;
    spec.inboxId = item.id;
    jobs.push_back(std::move(spec));
  }
  counts.outdated += jobs.size();
  if (jobs.empty()) return Ok{};
  auto added = store_.enqueue(jobs);
  if (!added) return added.error();
  counts.enqueued += *added;
  return Ok{};
}

void Planner::planNotification(const store::InboxItem& item) {
  store::AuditRecord audit = planAudit();
  auto batch = handlers::parseNotificationBatch(item.payload);
  if (!batch) {
    return fail(item, audit, "the notification cannot be planned: " + batch.error().message);
  }
  size_t removed = 0, notInInventory = 0, noAction = 0;
  // The inventory of each app named, read once per item.
  std::map<std::string, std::vector<TeamInstallation>> inventories;
  for (const auto& notification : *batch) {
    const std::string tenant = stringField(notification, "tenantId");
    if ((!tenant.empty() && tenant != options_.tenantId) ||
        stringField(notification, "changeType") != "deleted") {
      // created/updated refresh the inventory in a later version; lifecycle events likewise.
      ++noAction;
      continue;
    }
    const auto ref = handlers::parseInstallationResource(stringField(notification, "resource"));
    if (ref.installationId.empty() || ref.teamsAppId.empty()) {
      ++noAction;
      continue;
    }
    auto it = inventories.find(ref.teamsAppId);
    if (it == inventories.end()) {
      auto rows = store_.installationsOfApp(options_.tenantId, ref.teamsAppId);
      if (!rows) return retry(item, audit, rows.error());
      it = inventories.emplace(ref.teamsAppId, std::move(*rows)).first;
    }
    bool matched = false;
    for (const auto& row : it->second) {
      if (row.installationId != ref.installationId) continue;
      matched = true;
      // Installation ids are opaque (Decision 5): the team comes from the inventory row.
      if (auto s = store_.removeInstallation(options_.tenantId, row.teamId, row.installationId);
          !s) {
        return retry(item, audit, s.error());
      }
    }
    matched ? ++removed : ++notInInventory;
  }
  audit.outcome = kOutcomePlanned;
  audit.detail = "graph notification with " + std::to_string(batch->size()) +
                 " items: " + std::to_string(removed) +
                 " deleted installations removed from the inventory, " +
                 std::to_string(notInInventory) + " deleted installations not in the inventory, " +
                 std::to_string(noAction) +
                 " items need no action (created/updated notifications do not refresh the "
                 "inventory yet)";
  complete(item, audit);
}

void Planner::complete(const store::InboxItem& item, const store::AuditRecord& audit) {
  auto done = store_.completeInbox(item.id, {}, {audit});
  if (!done) {
    // The jobs are queued already; the item stays leased and is planned again (enqueueing
    // nothing twice) once the lease expires.
    logger_->warn("cannot complete inbox item {}: {}", item.id, done.error().message);
    return;
  }
  logger_->info("planned inbox item {}: {}", item.id, audit.detail);
}

void Planner::fail(const store::InboxItem& item, store::AuditRecord audit, const std::string& why) {
  audit.outcome = kOutcomeFailed;
  audit.detail = why;
  audit.attempt = item.attempts;
  auto done = store_.completeInbox(item.id, {}, {audit});
  if (!done) {
    logger_->warn("cannot record the failed plan of inbox item {}: {}", item.id,
                  done.error().message);
  }
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
