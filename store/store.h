// Store: appkeeper's one SQLite database (WAL, migrations through PRAGMA user_version, foreign
// keys). It holds the inbound inbox (accepted deliveries and events), the upgrade job queue, the
// installation inventory, the known subscriptions and the audit log. Every state change of a job
// commits together with its audit record.
//
// Thread contract: a Store is one SQLite connection and is NOT thread-safe. Give each thread its
// own Store (WAL + busy timeout make that safe across threads and processes), or guard one with a
// mutex. Read-only Stores (OpenMode::kReadOnly) never write, never migrate and keep their reads
// short so they don't hold back WAL checkpoints; the CLI uses them while the daemon runs.
//
// Errors: a busy/locked/full/IO-failing database is ErrorKind::kTransient (the caller answers 503
// or retries); a schema newer than this binary or a corrupt file is kPermanent; misuse kInternal.
// SQLiteCpp types never leave store/.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/teams_types.h"

namespace appkeeper::store {

enum class JobState {
  kQueued,    // waiting for run_at
  kRunning,   // leased by a worker until lease_until; an expired lease makes it claimable again
  kSucceeded,
  kSkipped,   // already current, or superseded
  kFailed,    // gave up: permanent error or attempts exhausted (kept, queryable, re-drivable)
  kBlocked,   // needs something an admin must do (delegated consent); not claimable until released
};
const char* toString(JobState s);
std::optional<JobState> jobStateFromString(std::string_view s);

// What to upgrade. (tenantId, teamId, installationId, targetVersion) is unique: a duplicate
// enqueue is ignored, which makes repeated events harmless.
struct JobSpec {
  std::string tenantId;
  std::string teamId;
  std::string installationId;
  std::string teamsAppId;
  std::string fromVersion;  // as known when planned; the worker re-reads it before upgrading
  std::string targetVersion;
  std::optional<int64_t> inboxId;  // the inbound event that caused it, if any
};

struct Job {
  int64_t id = 0;
  JobSpec spec;
  JobState state = JobState::kQueued;
  int attempt = 0;  // attempts started so far (incremented by claimJob)
  WallTime runAt;
  WallTime leaseUntil;
  WallTime createdAt;
  std::string lastError;
  std::string leaseOwner;  // who holds (or last held) the lease; empty when never claimed
};

// Audit outcomes are a contract (README): upgraded, skipped, retrying, waiting,
// needs-delegated-consent, failed; for inbound events accepted, duplicate, rejected.
struct AuditRecord {
  int64_t id = 0;  // assigned by the store
  WallTime time;   // the store fills it from its Clock when left at epoch
  std::string event;  // "upgrade", "catalog-event", "graph-notification", "plan", ...
  std::string tenantId, teamId, installationId, teamsAppId;
  std::string fromVersion, toVersion;
  std::string outcome;
  int httpStatus = 0;
  std::string requestId;
  int attempt = 0;
  std::string detail;
  std::vector<RscPermission> permissions;  // consented, for upgrades
  std::optional<int64_t> jobId;
};

struct AuditFilter {
  std::optional<std::string> teamsAppId, teamId, outcome;
  std::optional<WallTime> since;
  std::optional<int64_t> jobId;
  size_t limit = 0;  // 0 = all; otherwise the newest `limit` records, still returned oldest first
};

// An accepted inbound delivery waiting for the planner.
struct InboxItem {
  int64_t id = 0;
  std::string kind;  // "catalog-event" or "graph-notification"
  std::string payload;  // the JSON body as accepted
  WallTime receivedAt;
  int attempts = 0;
};

struct SubscriptionRecord {
  std::string id;
  std::string resource;
  std::string clientState;  // a secret: never logged
  WallTime expiration;
};

enum class OpenMode { kReadWrite, kReadOnly };

struct OpenOptions {
  OpenMode mode = OpenMode::kReadWrite;
  // How long a statement waits for another connection's write lock before failing kTransient.
  std::chrono::milliseconds busyTimeout{5000};
};

class Store {
 public:
  // Opens (creating and migrating when kReadWrite) the database at `path` (":memory:" works for
  // tests). `clock` is borrowed and must outlive the Store.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const Clock& clock,
                                             OpenMode mode = OpenMode::kReadWrite);
  // The same with every option spelled out. A read-only open fails (kInvalidInput) when the file
  // does not exist (it is never created) and (kPermanent) when its schema is older or newer than
  // this binary's; a read-write open migrates and refuses (kPermanent) a newer schema.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const Clock& clock,
                                             const OpenOptions& options);
  // The user_version a fully migrated database has with this binary.
  static int latestSchemaVersion();
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- inbound ------------------------------------------------------------------------------
  // Persists a signed catalog event and its "accepted" audit record in one transaction.
  // Returns false (and records a "duplicate" audit record instead) when `webhookId` was seen.
  // The store sets the record's outcome (accepted/duplicate); an empty event becomes
  // "catalog-event".
  Result<bool> acceptCatalogEvent(const std::string& webhookId, const std::string& payload,
                                  const AuditRecord& audit);
  // Persists a Graph notification delivery (only the items whose clientState matched, as a JSON
  // body) and one audit record per item (accepted or rejected), in one transaction.
  // `payload` empty means nothing to act on: only the audit records are written.
  Result<std::optional<int64_t>> acceptNotification(const std::string& payload,
                                                    const std::vector<AuditRecord>& audits);
  Status appendAudit(const AuditRecord& record);

  // --- inbox (the planner) --------------------------------------------------------------------
  // Leases the oldest due inbox item for `lease`; an expired lease makes it claimable again.
  Result<std::optional<InboxItem>> claimInbox(std::chrono::milliseconds lease);
  // Enqueues `jobs` (duplicates ignored), writes `audits` and marks the item done, in one
  // transaction. Returns how many jobs were new. Specs without an inboxId get `inboxId`.
  // kPermanent when the item is unknown or already done (then nothing is written).
  Result<size_t> completeInbox(int64_t inboxId, const std::vector<JobSpec>& jobs,
                               const std::vector<AuditRecord>& audits);
  // Puts the item back for another try at `runAt`, recording why.
  Status retryInbox(int64_t inboxId, WallTime runAt, const std::string& error);

  // --- subscriptions (clientState lookup for inbound notifications) ----------------------------
  Status putSubscription(const SubscriptionRecord& s);
  Result<std::optional<SubscriptionRecord>> subscription(const std::string& id);
  Status removeSubscription(const std::string& id);
  Result<std::vector<SubscriptionRecord>> subscriptions();

  // --- inventory -------------------------------------------------------------------------------
  // Inserts or updates (last seen = now) by (tenantId, teamId, installationId).
  Status upsertInstallations(const std::vector<TeamInstallation>& installations);
  // Removes the row and cancels (state skipped, audited) queued jobs for that installation.
  Status removeInstallation(const std::string& tenantId, const std::string& teamId,
                            const std::string& installationId);
  Result<std::vector<TeamInstallation>> installationsOfApp(const std::string& tenantId,
                                                           const std::string& teamsAppId);
  // Whether a full scan (all teams) has filled the inventory for this app yet.
  Result<bool> inventoryScanned(const std::string& tenantId, const std::string& teamsAppId);
  Status markInventoryScanned(const std::string& tenantId, const std::string& teamsAppId);

  // --- jobs ------------------------------------------------------------------------------------
  // One transaction for the whole batch; duplicates of the unique key are ignored.
  Result<size_t> enqueue(const std::vector<JobSpec>& jobs);
  // Atomically takes the oldest due job (queued with run_at <= now, or running with an expired
  // lease), sets it running with lease_until = now + lease, owner, attempt + 1. Served by an index
  // matching its ORDER BY.
  Result<std::optional<Job>> claimJob(const std::string& owner, std::chrono::milliseconds lease);
  // Fails (kPermanent) when the job is no longer leased by `owner` (lease lost).
  Status extendLease(int64_t jobId, const std::string& owner, std::chrono::milliseconds lease);
  // Terminal (or blocked) state + its audit record, one transaction. Only from running by owner.
  // finishJob/retryJob: the audit record's empty identity fields (tenant, team, installation,
  // app, from/to version; event "upgrade"), jobId and a zero attempt are filled from the job;
  // for failed, blocked and retried jobs its detail becomes the job's lastError.
  Status finishJob(int64_t jobId, const std::string& owner, JobState state,
                   const AuditRecord& audit);
  // Back to queued at `runAt` + its audit record (outcome retrying or waiting), one transaction.
  Status retryJob(int64_t jobId, const std::string& owner, WallTime runAt,
                  const AuditRecord& audit);
  // Graceful shutdown: back to queued, due now, without counting the attempt.
  Status releaseJob(int64_t jobId, const std::string& owner);
  // Blocked jobs of an app back to queued (after an admin fixed the cause).
  Result<size_t> unblockJobs(const std::string& teamsAppId);
  Result<std::optional<Job>> job(int64_t id);
  // Ordered by id (oldest first); limit 0 = all, otherwise the first `limit`.
  Result<std::vector<Job>> listJobs(std::optional<JobState> state, size_t limit);
  // Every state is present (zero when no job is in it).
  Result<std::map<JobState, int64_t>> jobCounts();
  // The earliest time a job becomes claimable (run_at or lease expiry), for the worker's wait.
  Result<std::optional<WallTime>> nextJobDue();

  // --- audit -----------------------------------------------------------------------------------
  Result<std::vector<AuditRecord>> queryAudit(const AuditFilter& filter);

  // --- maintenance -----------------------------------------------------------------------------
  // PRAGMA integrity_check; "ok" on success.
  Result<std::string> integrityCheck();
  int schemaVersion() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace appkeeper::store
