#include "daemon/reconciler.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <set>

#include "common/log_context.h"
#include "common/version.h"
#include "daemon/audit_outcomes.h"
#include "daemon/team_reader.h"
#include "daemon/upgrade_job.h"

namespace appkeeper::daemon {
namespace {

bool below(const std::string& installed, const std::string& target) {
  auto cmp = compareVersions(installed, target);
  return !cmp || *cmp < 0;  // unreadable: planned; the worker reads it again
}

}  // namespace

Reconciler::Reconciler(ReconcilerOptions options, store::Store& store, graph::GraphClient& graph,
                       const Clock& clock, std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      store_(store),
      graph_(graph),
      clock_(clock),
      logger_(std::move(logger)) {}

void Reconciler::setWatch(std::vector<std::string> watch) {
  std::lock_guard lock(watchMu_);
  options_.watch = std::move(watch);
}

Result<bool> Reconciler::step() {
  auto active = store_.activeReconciliation();
  if (!active) return active.error();
  if (!*active) return false;
  store::Reconciliation run = **active;
  if (run.state == store::ReconciliationState::kPending) {
    if (auto s = store_.startReconciliation(run.id); !s) return s.error();
    auto started = store_.activeReconciliation();
    if (!started) return started.error();
    if (!*started) return false;
    run = **started;
    unreadableTeams_ = 0;
    logger_->info("reconciliation {} started ({})", run.id, run.reason);
  }
  if (!apps_ || apps_->first != run.id) {
    std::vector<std::string> watch;
    {
      std::lock_guard lock(watchMu_);
      watch = options_.watch;
    }
    auto resolved = resolveWatchedApps(graph_, watch);
    if (!resolved) return resolved.error();
    apps_.emplace(run.id, std::move(*resolved));
  }
  const WatchedApps& apps = apps_->second;
  const std::vector<std::string> appIds = apps.ids();
  const std::set<std::string> watched(appIds.begin(), appIds.end());

  auto page = teamsPage(run.id, run.cursor);
  if (!page) {
    if (page.error().kind == ErrorKind::kPermanent && !run.cursor.empty()) {
      logger_->warn(
          "reconciliation {}: the saved cursor is no longer accepted ({}); starting "
          "over from the first page of teams",
          run.id, page.error().message);
      if (auto s = store_.recordReconciliationProgress(run.id, "", store::Reconciliation{}); !s) {
        return s.error();
      }
      return true;
    }
    return page.error();
  }

  store::Reconciliation delta;
  std::vector<store::JobSpec> jobs;
  auto reads = readTeams(run.id, page->teamIds, page->nextLink);
  std::vector<store::TeamInventory> teams;
  teams.reserve(page->teamIds.size());
  for (size_t i = 0; i < page->teamIds.size(); ++i) {
    const std::string& teamId = page->teamIds[i];
    auto& installed = reads[i];
    if (!installed) {
      if (installed.error().kind == ErrorKind::kTransient) return installed.error();
      // Deleted meanwhile, or not readable by us: one team must not stop the tenant's scan.
      if (unreadableTeams_++ == 0) {
        LogScope teamScope({.teamId = teamId});
        logger_->warn("reconciliation {}: team {} cannot be read, skipped: {}", run.id, teamId,
                      installed.error().message);
      }
      continue;
    }
    store::TeamInventory& team = teams.emplace_back();
    team.teamId = teamId;
    for (auto& installation : *installed) {
      if (watched.count(installation.teamsAppId) != 0) {
        team.found.push_back(std::move(installation));
      }
    }
  }
  // The whole page in one transaction: one fsync per page, not one per team.
  auto diffs = store_.replaceTeamsInstallations(options_.tenantId, appIds, teams);
  if (!diffs) return diffs.error();
  for (size_t t = 0; t < teams.size(); ++t) {
    const store::InventoryDiff& diff = (*diffs)[t];
    ++delta.teamsScanned;
    delta.installationsFound += static_cast<int64_t>(teams[t].found.size());
    delta.driftCorrected += diff.added + diff.changed + diff.removed;
    for (const auto& installation : teams[t].found) {
      const CatalogApp* app = apps.find(installation.teamsAppId);
      const AppDefinition* latest = app ? latestPublished(*app) : nullptr;
      if (latest == nullptr || !below(installation.version, latest->version)) continue;
      jobs.push_back(upgradeJob(options_.tenantId, installation, latest->version));
    }
  }
  if (!jobs.empty()) {
    auto added = store_.enqueue(jobs);
    if (!added) return added.error();
    delta.jobsEnqueued = static_cast<int64_t>(*added);
  }
  if (auto s = store_.recordReconciliationProgress(run.id, page->nextLink, delta); !s) {
    return s.error();
  }
  const int64_t before = run.teamsScanned;
  run.teamsScanned += delta.teamsScanned;
  run.installationsFound += delta.installationsFound;
  run.driftCorrected += delta.driftCorrected;
  run.jobsEnqueued += delta.jobsEnqueued;
  run.cursor = page->nextLink;
  if (page->nextLink.empty()) {
    if (auto s = finish(run, apps); !s) return s.error();
    return true;
  }
  const int64_t every = std::max<int64_t>(1, options_.progressEveryTeams);
  if (before / every != run.teamsScanned / every) {
    logger_->info(
        "reconciliation {}: {} teams scanned so far, {} installations found, {} drift "
        "corrected, {} upgrades queued",
        run.id, run.teamsScanned, run.installationsFound, run.driftCorrected, run.jobsEnqueued);
  } else {
    logger_->debug("reconciliation {}: {} teams scanned so far", run.id, run.teamsScanned);
  }
  return true;
}

Result<graph::TeamPage> Reconciler::teamsPage(int64_t runId, const std::string& cursor) {
  if (ahead_ && ahead_->runId == runId && ahead_->cursor == cursor) {
    graph::TeamPage page = std::move(ahead_->page);
    ahead_.reset();
    return page;
  }
  ahead_.reset();
  return graph_.teamsPage(cursor);
}

std::vector<Result<std::vector<TeamInstallation>>> Reconciler::readTeams(
    int64_t runId, const std::vector<std::string>& teamIds, const std::string& nextLink) {
  std::optional<Result<graph::TeamPage>> next;
  std::function<void()> fetchAhead;
  if (!nextLink.empty()) fetchAhead = [&] { next = graph_.teamsPage(nextLink); };
  auto reads = readTeamInstallations(graph_, teamIds, "", options_.scanConcurrency, fetchAhead);
  if (next && *next) ahead_ = AheadPage{runId, nextLink, std::move(**next)};
  return reads;
}

Status Reconciler::finish(const store::Reconciliation& run, const WatchedApps& apps) {
  const std::vector<std::string> appIds = apps.ids();
  store::Reconciliation delta;
  if (!appIds.empty()) {
    auto removed = store_.removeInstallationsNotSeenSince(options_.tenantId, appIds, run.startedAt);
    if (!removed) return removed.error();
    delta.driftCorrected = *removed;
    if (*removed > 0) {
      if (auto s = store_.recordReconciliationProgress(run.id, "", delta); !s) return s;
    }
  }
  for (const auto& id : appIds) {
    if (auto s = store_.markInventoryScanned(options_.tenantId, id); !s) return s;
  }
  store::AuditRecord summary;
  summary.event = kEventReconcile;
  summary.outcome = kOutcomeReconciled;
  summary.tenantId = options_.tenantId;
  summary.detail = std::to_string(run.teamsScanned) + " teams scanned, " +
                   std::to_string(run.installationsFound) + " installations found, " +
                   std::to_string(run.driftCorrected + delta.driftCorrected) +
                   " drift corrected, " + std::to_string(run.jobsEnqueued) + " upgrades queued";
  if (unreadableTeams_ > 0) {
    summary.detail += "; " + std::to_string(unreadableTeams_) + " teams could not be read";
  }
  if (auto s = store_.finishReconciliation(run.id, summary); !s) return s;
  logger_->info("reconciliation {} finished ({}): {}", run.id, run.reason, summary.detail);
  apps_.reset();
  ahead_.reset();
  unreadableTeams_ = 0;
  return Ok{};
}

}  // namespace appkeeper::daemon
