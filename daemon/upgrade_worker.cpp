#include "daemon/upgrade_worker.h"

#include <spdlog/spdlog.h>

#include "common/log_context.h"
#include "common/version.h"
#include "daemon/audit_outcomes.h"
#include "daemon/consent.h"
#include "daemon/time_text.h"
#include "common/ascii.h"
#include "graph/delegated_tokens.h"

namespace appkeeper::daemon {
namespace {

std::string rscNames(const std::vector<RscPermission>& rsc) {
  std::string names;
  for (const auto& p : normalized(rsc)) names += (names.empty() ? "" : ", ") + p.value;
  return names;
}

// No delegated token source at all: say what to configure.
std::string needsConsentDetail(const std::vector<RscPermission>& rsc) {
  return "app requires resource-specific consent (" + rscNames(rsc) +
         ") and Graph does not support app-only RSC upgrades: configure [delegated] key_file "
         "and run `appkeeper login`";
}

// A source is configured but its sign-in is missing, revoked or expired.
std::string loginRequiredDetail(const std::vector<RscPermission>& rsc, const Error& e) {
  return "app requires resource-specific consent (" + rscNames(rsc) +
         ") and the delegated sign-in is not usable: " + e.message;
}

}  // namespace

struct UpgradeWorker::Run {
  store::Job job;
  store::AuditRecord audit;  // filled as the job goes; the store adds the job's own fields
  WallTime leaseFrom;        // when the current lease was taken or renewed
};

UpgradeWorker::UpgradeWorker(WorkerOptions options, store::Store& store, graph::GraphClient& graph,
                             const Clock& clock, Random& random,
                             std::shared_ptr<spdlog::logger> logger,
                             graph::TokenSource* delegatedTokens)
    : options_(std::move(options)),
      store_(store),
      graph_(graph),
      clock_(clock),
      retryPolicy_(options_.retry, random),
      ownCatalog_(graph, clock, options_.catalogTtl),
      catalog_(options_.sharedCatalog != nullptr ? *options_.sharedCatalog : ownCatalog_),
      logger_(std::move(logger)),
      delegatedTokens_(delegatedTokens) {}

std::optional<WallTime> UpgradeWorker::nextDue() {
  auto due = store_.nextJobDue();
  if (!due) return std::nullopt;
  return *due;
}

bool UpgradeWorker::runOnce() {
  std::optional<Run> run;
  try {
    const WallTime claimedAt = clock_.now();
    auto claimed = store_.claimJob(options_.owner, options_.lease);
    if (!claimed) {
      logger_->warn("cannot claim a job: {}", claimed.error().message);
      return false;
    }
    if (!*claimed) return false;
    run.emplace();
    run->job = std::move(**claimed);
    run->audit.event = kEventUpgrade;
    run->audit.fromVersion = run->job.spec.fromVersion;
    run->audit.toVersion = run->job.spec.targetVersion;
    run->leaseFrom = claimedAt;
    LogScope jobScope({.jobId = std::to_string(run->job.id),
                       .teamId = run->job.spec.teamId,
                       .appId = run->job.spec.teamsAppId});
    logger_->debug("job {} claimed: team {} app {} -> {}, attempt {}", run->job.id,
                   run->job.spec.teamId, run->job.spec.teamsAppId, run->job.spec.targetVersion,
                   run->job.attempt);
    runJob(*run);
  } catch (const std::exception& e) {
    // A bug: the lease expires and another attempt runs the job again.
    logger_->error("job {} failed unexpectedly: {}", run ? run->job.id : 0, e.what());
  } catch (...) {
    logger_->error("job {} failed unexpectedly", run ? run->job.id : 0);
  }
  return run.has_value();
}

void UpgradeWorker::runJob(Run& run) {
  const store::JobSpec& spec = run.job.spec;
  auto app = catalog_.get(spec.teamsAppId, spec.targetVersion, run.job.createdAt);
  if (!app) return onError(run, app.error(), "reading the catalog");
  const AppDefinition* latest = latestPublished(*app);
  bool visible = false;
  if (latest != nullptr) {
    auto cmp = compareVersions(latest->version, spec.targetVersion);
    visible = cmp ? *cmp >= 0 : latest->version == spec.targetVersion;
  }
  if (!visible) {
    return wait(run, "version " + spec.targetVersion +
                         " is not visible as published yet (latest published: " +
                         (latest != nullptr ? latest->version : std::string("none")) + ")");
  }
  const AppDefinition& target = *latest;  // what Graph's upgrade installs
  run.audit.toVersion = target.version;

  auto installed = graph_.getInstallation(spec.teamId, spec.installationId);
  if (!installed) {
    const Error& e = installed.error();
    if (e.httpStatus == 404) {
      run.audit.httpStatus = e.httpStatus;
      run.audit.requestId = e.requestId;
      if (auto s = store_.removeInstallation(spec.tenantId, spec.teamId, spec.installationId); !s) {
        logger_->warn("cannot remove installation {} from the inventory: {}", spec.installationId,
                      s.error().message);
      }
      return finish(run, store::JobState::kSkipped, kOutcomeSkipped,
                    "the installation no longer exists: " + e.message);
    }
    return onError(run, e, "reading the installation");
  }
  run.audit.fromVersion = installed->version;
  auto current = compareVersions(installed->version, spec.targetVersion);
  if (current && *current >= 0) {
    rememberInstalled(run.job, installed->definitionId, installed->version);
    return finish(run, store::JobState::kSkipped, kOutcomeSkipped,
                  "already current (installed " + installed->version + ", target " +
                      spec.targetVersion + ")");
  }
  const bool delegated = needsDelegatedToken(target.rsc);
  if (delegated && delegatedTokens_ == nullptr) {
    return finish(run, store::JobState::kBlocked, kOutcomeNeedsDelegatedConsent,
                  needsConsentDetail(target.rsc));
  }

  const auto consent = consentFor(target.rsc);
  if (!holdLease(run)) return;
  auto upgraded = graph_.upgrade(spec.teamId, spec.installationId, consent,
                                 delegated ? delegatedTokens_ : nullptr);
  if (!upgraded) {
    const Error& e = upgraded.error();
    if (delegated && e.code == graph::kLoginRequiredCode) {
      // Only the jobs that need the delegated token pause; the rest keep flowing.
      logger_->warn("job {}: team {} app {}: paused until an admin runs `appkeeper login`: {}",
                    run.job.id, spec.teamId, spec.teamsAppId, e.message);
      return finish(run, store::JobState::kBlocked, kOutcomeNeedsDelegatedConsent,
                    loginRequiredDetail(target.rsc, e));
    }
    if (e.httpStatus == 403 && equalsIgnoreCaseAscii(e.innerCode, "AccessDenied") &&
        delegated) {
      run.audit.httpStatus = e.httpStatus;
      run.audit.requestId = e.requestId;
      const std::string why =
          delegatedTokens_ == nullptr
              ? needsConsentDetail(target.rsc)
              : "app requires resource-specific consent (" + rscNames(target.rsc) +
                    ") and Graph refused the delegated upgrade: run `appkeeper login` as an admin "
                    "who may consent to it";
      return finish(run, store::JobState::kBlocked, kOutcomeNeedsDelegatedConsent,
                    why + "; Graph answered: " + e.message);
    }
    return onError(run, e, "upgrading");
  }
  run.audit.httpStatus = upgraded->httpStatus;
  run.audit.requestId = upgraded->requestId;
  run.audit.permissions = consent.value_or(std::vector<RscPermission>{});
  rememberInstalled(run.job, target.id, target.version);
  std::string detail = "upgraded from " + installed->version + " to " + target.version;
  if (consent) detail += " with " + std::to_string(consent->size()) + " RSC permissions consented";
  finish(run, store::JobState::kSucceeded, kOutcomeUpgraded, detail);
}

void UpgradeWorker::finish(Run& run, store::JobState state, const char* outcome,
                           const std::string& detail) {
  run.audit.outcome = outcome;
  run.audit.detail = detail;
  LogScope response({.graphRequestId = run.audit.requestId});
  const auto& spec = run.job.spec;
  auto done = store_.finishJob(run.job.id, options_.owner, state, run.audit);
  if (!done) {
    logger_->warn("job {}: cannot record outcome {}: {}", run.job.id, outcome,
                  done.error().message);
    return;
  }
  if (options_.onOutcome) options_.onOutcome(outcome);
  const auto level = state == store::JobState::kSucceeded || state == store::JobState::kSkipped
                         ? spdlog::level::info
                         : spdlog::level::warn;
  logger_->log(level, "job {} {}: team {} app {} {} -> {} status {} request-id {}: {}", run.job.id,
               outcome, spec.teamId, spec.teamsAppId, run.audit.fromVersion, run.audit.toVersion,
               run.audit.httpStatus, run.audit.requestId.empty() ? "-" : run.audit.requestId,
               detail);
}

void UpgradeWorker::wait(Run& run, const std::string& detail) {
  const WallTime now = clock_.now();
  if (now - run.job.createdAt >= options_.propagationPatience) {
    return finish(run, store::JobState::kFailed, kOutcomeFailed,
                  "version " + run.job.spec.targetVersion + " never became visible within " +
                      formatHours(options_.propagationPatience));
  }
  run.audit.outcome = kOutcomeWaiting;
  run.audit.detail = detail + "; checking again in " + formatSeconds(options_.propagationRetry);
  auto s = store_.retryJob(run.job.id, options_.owner, now + options_.propagationRetry, run.audit);
  if (!s) {
    logger_->warn("job {}: cannot reschedule: {}", run.job.id, s.error().message);
    return;
  }
  if (options_.onOutcome) options_.onOutcome(run.audit.outcome);
  logger_->info("job {} waiting: team {} app {}: {}", run.job.id, run.job.spec.teamId,
                run.job.spec.teamsAppId, run.audit.detail);
}

void UpgradeWorker::onError(Run& run, const Error& error, const std::string& during) {
  if (error.code == graph::kCancelledCode) return release(run);
  run.audit.httpStatus = error.httpStatus;
  run.audit.requestId = error.requestId;
  LogScope response({.graphRequestId = error.requestId});
  const RetryDecision decision = retryPolicy_.decide(error, countedFailures(run.job));
  const WallTime now = clock_.now();
  if (!decision.retry) {
    std::string detail = during + ": " + error.message;
    if (error.kind == ErrorKind::kTransient) {
      detail += " (gave up after " + std::to_string(decision.attempt) + " attempts)";
    }
    return finish(run, store::JobState::kFailed, kOutcomeFailed, detail);
  }
  // Throttled retries do not count as attempts; age bounds them.
  if (now - run.job.createdAt >= options_.propagationPatience) {
    return finish(run, store::JobState::kFailed, kOutcomeFailed,
                  during + ": still failing after " + formatHours(options_.propagationPatience) +
                      ": " + error.message);
  }
  // A token endpoint outage is recorded as waiting, not retrying: countedFailures() counts
  // retrying records only, so it never uses up the job's attempts (age bounds it, as above).
  const bool tokenOutage = error.code == graph::kTokenUnavailableCode;
  run.audit.outcome = tokenOutage ? kOutcomeWaiting : kOutcomeRetrying;
  run.audit.detail = during + ": " + error.message +
                     (tokenOutage ? "; waiting for the token endpoint (not counted as an attempt)"
                                  : "") +
                     "; retry in " + formatSeconds(decision.delay);
  auto s = store_.retryJob(run.job.id, options_.owner, now + decision.delay, run.audit);
  if (!s) {
    logger_->warn("job {}: cannot reschedule: {}", run.job.id, s.error().message);
    return;
  }
  if (options_.onOutcome) options_.onOutcome(run.audit.outcome);
  logger_->info("job {} {}: team {} app {} status {} request-id {}: {}", run.job.id,
                run.audit.outcome, run.job.spec.teamId, run.job.spec.teamsAppId, error.httpStatus,
                error.requestId.empty() ? "-" : error.requestId, run.audit.detail);
}

void UpgradeWorker::release(Run& run) {
  if (auto s = store_.releaseJob(run.job.id, options_.owner); !s) {
    logger_->warn("job {}: cannot release: {}", run.job.id, s.error().message);
    return;
  }
  logger_->info("job {} released for later: appkeeper is shutting down", run.job.id);
}

bool UpgradeWorker::holdLease(Run& run) {
  const WallTime now = clock_.now();
  if (now - run.leaseFrom < options_.lease / 2) return true;
  if (auto s = store_.extendLease(run.job.id, options_.owner, options_.lease); !s) {
    // Another worker may own the job now: upgrading here could run it twice.
    logger_->warn("job {} dropped: {}", run.job.id, s.error().message);
    return false;
  }
  run.leaseFrom = now;
  return true;
}

int UpgradeWorker::countedFailures(const store::Job& job) {
  store::AuditFilter filter;
  filter.jobId = job.id;
  filter.outcome = kOutcomeRetrying;
  auto records = store_.queryAudit(filter);
  if (!records) return std::max(0, job.attempt - 1);  // every earlier claim, conservatively
  int counted = 0;
  for (const auto& r : *records) {
    Error past;
    past.httpStatus = r.httpStatus;
    counted += RetryPolicy::counts(past) ? 1 : 0;
  }
  return counted;
}

void UpgradeWorker::rememberInstalled(const store::Job& job, const std::string& definitionId,
                                      const std::string& version) {
  // Keeps the inventory's versions true, so later plans count current installations right.
  TeamInstallation installation{job.spec.tenantId,   job.spec.teamId, job.spec.installationId,
                                job.spec.teamsAppId, definitionId,    version};
  if (auto s = store_.upsertInstallations({installation}); !s) {
    logger_->debug("job {}: inventory not updated: {}", job.id, s.error().message);
  }
}

}  // namespace appkeeper::daemon
