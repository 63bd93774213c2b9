// UpgradeWorker: runs upgrade jobs from the store's queue, one at a time.
//
// For a job: resolve the app's latest published definition (CatalogCache). Not visible yet at
// the job's target version (propagation lag, Decision 9) -> "waiting", retried after
// propagationRetry until the job is older than propagationPatience, then "failed". Read the
// installation: at or above the target -> "skipped" (Decision 2); gone (404) -> "skipped" and
// removed from the inventory. A target that needs RSC is upgraded with the delegated token
// source (Decision 3); without one -> blocked, "needs-delegated-consent" (detail: configure
// [delegated] key_file and run `appkeeper login`), never retried. With one, a token error whose
// code is graph::kLoginRequiredCode (no sign-in, invalid_grant, interaction_required) blocks
// just that job the same way, with a warn line saying to run `appkeeper login` (the login
// releases it); other token errors follow RetryPolicy like any Graph error. A 403
// AccessDenied answer to the upgrade of an RSC app also blocks. Otherwise POST upgrade with
// consentFor(required set) (Decision 4) -> "upgraded". Errors follow RetryPolicy: "retrying"
// (persisted run_at) or "failed"; a token endpoint that fails transiently
// (graph::kTokenUnavailableCode) -> "waiting", which does not use up attempts. Every outcome is one state change + audit record in one store
// transaction, and one log line (team, app, versions, status, request-id).
//
// Before the POST the lease is renewed when half of it has passed; a lost lease drops the job
// (another worker owns it) instead of upgrading twice. On shutdown (Graph call cancelled) the
// job is released, not counted as an attempt.
//
// Thread contract: one UpgradeWorker per worker thread, with its own Store connection;
// runOnce()/nextDue() on that thread only. Borrowed references must outlive the worker.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "daemon/catalog_cache.h"
#include "daemon/retry_policy.h"
#include "graph/graph_client.h"
#include "graph/token_source.h"
#include "store/store.h"

namespace spdlog {
class logger;
}

namespace appkeeper::daemon {

struct WorkerOptions {
  std::string owner;  // "<hostname>:<pid>:w<N>"
  std::chrono::milliseconds lease{60'000};
  RetryPolicyOptions retry;
  std::chrono::milliseconds propagationRetry{300'000};
  std::chrono::milliseconds propagationPatience{std::chrono::hours(48)};
  std::chrono::milliseconds catalogTtl{30'000};
  // The process's catalog cache, shared by its workers (borrowed; must outlive the worker).
  // Null: the worker keeps one of its own (tests, one-worker tools).
  CatalogCache* sharedCatalog = nullptr;
  // Told each outcome once the store has recorded it (upgraded, skipped, retrying, waiting,
  // needs-delegated-consent, failed), for metrics. Called on the worker's thread; may be empty.
  std::function<void(std::string_view outcome)> onOutcome;
};

class UpgradeWorker {
 public:
  // `delegatedTokens` (may be null: none configured) upgrades apps that need RSC consent.
  UpgradeWorker(WorkerOptions options, store::Store& store, graph::GraphClient& graph,
                const Clock& clock, Random& random, std::shared_ptr<spdlog::logger> logger,
                graph::TokenSource* delegatedTokens = nullptr);

  // Claims at most one due job, runs it and records the outcome. True when a job was claimed.
  // Never throws.
  bool runOnce();
  // When the next job becomes claimable (for the thread's wait); nullopt: none queued.
  std::optional<WallTime> nextDue();

 private:
  struct Run;  // one job in progress (upgrade_worker.cpp)
  void runJob(Run& run);
  void finish(Run& run, store::JobState state, const char* outcome, const std::string& detail);
  void wait(Run& run, const std::string& detail);
  void onError(Run& run, const Error& error, const std::string& during);
  void release(Run& run);
  bool holdLease(Run& run);
  int countedFailures(const store::Job& job);
  void rememberInstalled(const store::Job& job, const std::string& definitionId,
                         const std::string& version);

  WorkerOptions options_;
  store::Store& store_;
  graph::GraphClient& graph_;
  const Clock& clock_;
  RetryPolicy retryPolicy_;
  CatalogCache ownCatalog_;
  CatalogCache& catalog_;  // options_.sharedCatalog, else ownCatalog_
  std::shared_ptr<spdlog::logger> logger_;
  graph::TokenSource* delegatedTokens_;
};

}  // namespace appkeeper::daemon
