// Store: appkeeper's one SQLite database (WAL, migrations through PRAGMA user_version, foreign
// keys). It holds the inbound inbox (accepted deliveries and events), the upgrade job queue, the
// installation inventory, the known subscriptions and the audit log (append-only, hash-chained:
// verifyAuditChain). Every state change of a job commits together with its audit record.
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
#include <functional>
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
// needs-delegated-consent, failed; for inbound events accepted, duplicate, rejected; planned
// (plan); requested, reconciled (reconcile); confirmed (an upgrade Graph reported back);
// released (blocked job retried); subscribed, renewed, removed (subscriptions); signed-in,
// login-required (login).
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
  // The hash chain (schema 3), set by the store when it writes the record and ignored in what a
  // caller appends: prevHash is the previous record's hash (64 zeros for the first), hash the
  // lowercase hex SHA-256 over this record's stored fields and prevHash.
  std::string prevHash, hash;
};

// Why `appkeeper audit verify` stopped at a record.
enum class AuditChainBreak {
  kHashMismatch,  // the stored fields do not hash to the stored hash: the record was changed
  kBrokenLink,    // its prev_hash is not the previous record's hash: reordered or replaced
  kIdGap,         // ids jump (or the first is not 1): records before it were deleted
};
const char* toString(AuditChainBreak b);

struct AuditChainProblem {
  int64_t id = 0;  // the first broken record
  WallTime time;
  std::string event;
  AuditChainBreak kind = AuditChainBreak::kHashMismatch;
  std::string reason;  // one sentence: what differs (expected vs found)
};

struct AuditChainReport {
  int64_t records = 0;   // records verified before the first problem (all of them when ok)
  int64_t lastId = 0;    // the last verified record (0 when none)
  std::string lastHash;  // its hash; the genesis value when the log is empty
  std::optional<AuditChainProblem> firstBroken;
  bool ok() const { return !firstBroken; }
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
  std::string teamsAppId;  // the watched app it covers (schema 2; empty in older rows)
};

// A full reconciliation of the inventory against Graph (issue 4). At most one is pending and at
// most one running: a request while one is pending joins it; a request while one runs queues
// one pending behind it (the running one may already have passed the teams that changed).
enum class ReconciliationState { kPending, kRunning, kDone };
const char* toString(ReconciliationState s);

struct Reconciliation {
  int64_t id = 0;
  std::string reason;  // why it was requested; joined requests append ", <reason>"
  ReconciliationState state = ReconciliationState::kPending;
  WallTime requestedAt, startedAt, finishedAt;  // epoch until it happened
  // Where to resume: the @odata.nextLink of the next page of teams; empty = the first page.
  std::string cursor;
  int64_t teamsScanned = 0;
  int64_t installationsFound = 0;
  int64_t driftCorrected = 0;  // rows added, changed or removed in the inventory
  int64_t jobsEnqueued = 0;
};

// What one team's scan changed in the inventory.
struct InventoryDiff {
  int64_t added = 0, changed = 0, removed = 0, unchanged = 0;
};

// What a scan found in one team: its installations of the apps being replaced.
struct TeamInventory {
  std::string teamId;
  std::vector<TeamInstallation> found;
};

// The refresh token of `appkeeper login`, sealed by the daemon (the store never sees it in
// clear text).
struct DelegatedCredential {
  std::string sealed;   // opaque bytes (base64 text) written by the caller
  std::string account;  // who signed in, when known (for status); may be empty
  WallTime storedAt;    // the last login or rotation
  // Empty while usable; otherwise why it stopped working (e.g. "invalid_grant: ...": the admin
  // must run `appkeeper login` again).
  std::string invalidReason;
};

// One inbound delivery for Store::acceptInboundBatch: a signed catalog event (webhookId,
// payload, audits[0] as for acceptCatalogEvent) or a Graph notification delivery (payload,
// audits as for acceptNotification).
struct InboundWrite {
  enum class Kind { kCatalogEvent, kNotification };
  Kind kind = Kind::kCatalogEvent;
  std::string webhookId;  // catalog events only
  std::string payload;
  std::vector<AuditRecord> audits;  // catalog events: exactly one
};

// One item's completion for Store::completeInboxBatch: as completeInbox(inboxId, jobs, audits).
struct InboxCompletion {
  int64_t inboxId = 0;
  std::vector<JobSpec> jobs;
  std::vector<AuditRecord> audits;
};

// Where the time of one acceptInboundBatch went, on the steady time of the Store's Clock.
struct InboundBatchTiming {
  std::chrono::nanoseconds turnWait{0};     // waiting for this process's other inbox writers
  std::chrono::nanoseconds transaction{0};  // BEGIN to the end of COMMIT: the rows and the sync
};

// What acceptInboundBatch did with one write: `fresh` is acceptCatalogEvent's answer (false for
// a repeated webhook-id) and true for notifications; `inboxId` is acceptNotification's answer.
struct InboundWriteOutcome {
  bool fresh = true;
  std::optional<int64_t> inboxId;
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
  // Group commit: every write in ONE IMMEDIATE transaction (one fsync), in order, each in its own
  // savepoint, so one write's failure rolls back only that write (its own Result) and the audit
  // chain follows the order given. The outer error (nothing committed, every write lost) is for
  // the transaction itself: begin (locked: kTransient) or commit (I/O: kTransient).
  // `timing` (may be null) is filled when the transaction committed.
  Result<std::vector<Result<InboundWriteOutcome>>> acceptInboundBatch(
      const std::vector<InboundWrite>& writes, InboundBatchTiming* timing = nullptr);

  // --- inbox (the planner) --------------------------------------------------------------------
  // Leases the oldest due inbox item for `lease`; an expired lease makes it claimable again.
  Result<std::optional<InboxItem>> claimInbox(std::chrono::milliseconds lease);
  // Enqueues `jobs` (duplicates ignored), writes `audits` and marks the item done, in one
  // transaction. Returns how many jobs were new. Specs without an inboxId get `inboxId`.
  // kPermanent when the item is unknown or already done (then nothing is written).
  Result<size_t> completeInbox(int64_t inboxId, const std::vector<JobSpec>& jobs,
                               const std::vector<AuditRecord>& audits);
  // Batched forms for a planner under a flood, so it takes the write lock (and an fsync) once
  // per batch rather than twice per item: claimInboxBatch leases up to `max` (>= 1) of the oldest
  // due items in one transaction (oldest first), each as claimInbox would; completeInboxBatch
  // completes each item as completeInbox would, all in ONE transaction, each in its own
  // savepoint so one item's failure (kPermanent: unknown or already done) leaves the others. The
  // outer error is for the transaction itself (nothing written).
  Result<std::vector<InboxItem>> claimInboxBatch(std::chrono::milliseconds lease, size_t max);
  Result<std::vector<Result<size_t>>> completeInboxBatch(
      const std::vector<InboxCompletion>& items);
  // Puts the item back for another try at `runAt`, recording why.
  Status retryInbox(int64_t inboxId, WallTime runAt, const std::string& error);

  // --- subscriptions (clientState lookup for inbound notifications) ----------------------------
  Status putSubscription(const SubscriptionRecord& s);
  Result<std::optional<SubscriptionRecord>> subscription(const std::string& id);
  Status removeSubscription(const std::string& id);
  // Changes whenever a Store of this process saves or removes a subscription (after the write),
  // so an in-memory copy of subscription reads (handlers/client_state_cache.h) read under an
  // older value is known to be stale. Writes by other processes do not change it.
  static uint64_t subscriptionsVersion();
  Result<std::vector<SubscriptionRecord>> subscriptions();

  // --- inbox written by the daemon itself (catalog poll, reconciliation follow-ups) -----------
  // Queues an inbox item due now with its audit record (outcome as given; an empty event
  // becomes `kind`), one transaction. kInternal when `kind` is empty.
  Result<int64_t> enqueueInbox(const std::string& kind, const std::string& payload,
                               const AuditRecord& audit);

  // --- catalog versions seen (catalog poll) ----------------------------------------------------
  // Records `version` as the newest published version seen for the app. True when it is newer
  // than what was recorded (or nothing was): the caller plans it. Compares versions
  // numerically (common/version.h). kInvalidInput (nothing recorded) when `version` is not one.
  Result<bool> noteCatalogVersion(const std::string& tenantId, const std::string& teamsAppId,
                                  const std::string& version);

  // --- schedules (catalog poll, periodic reconciliation) ---------------------------------------
  Result<std::optional<WallTime>> scheduleLastRun(const std::string& name);
  Status setScheduleLastRun(const std::string& name, WallTime at);

  // --- reconciliation ----------------------------------------------------------------------------
  // See Reconciliation: returns the id of the pending reconciliation (new or joined) and writes
  // an audit record (event "reconcile", outcome "requested", detail = reason) when it is new.
  // Joining appends a reason only once (a reason already listed is not repeated).
  Result<int64_t> requestReconciliation(const std::string& reason);
  // The running one, else the oldest pending one.
  Result<std::optional<Reconciliation>> activeReconciliation();
  // pending -> running (startedAt = now). kPermanent when it is not pending or another one is
  // still running.
  Status startReconciliation(int64_t id);
  // After a page of teams: the new cursor and the counters to ADD, one transaction.
  // kPermanent when it is not running.
  Status recordReconciliationProgress(int64_t id, const std::string& cursor,
                                      const Reconciliation& delta);
  // running -> done (finishedAt = now) with its summary audit record (event "reconcile",
  // outcome "reconciled"), one transaction. Empty event/outcome get those values; an empty
  // detail gets the counters. kPermanent when it is not running.
  Status finishReconciliation(int64_t id, const AuditRecord& summary);
  // The most recently finished one.
  Result<std::optional<Reconciliation>> lastReconciliation();

  // --- delegated consent -----------------------------------------------------------------------
  // Replaces the stored credential (clearing invalidReason) - login and every rotation.
  Status putDelegatedCredential(const DelegatedCredential& credential);
  Result<std::optional<DelegatedCredential>> delegatedCredential();
  // Marks the stored credential unusable (keeps it for status) and audits it (event "login",
  // outcome "login-required", detail = reason). Only a usable credential changes: with none
  // stored, or one already unusable, nothing is written (concurrent failures audit once).
  Status invalidateDelegatedCredential(const std::string& reason);

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
  // The inventory row of an installation id (ids are unique per tenant in practice).
  Result<std::optional<TeamInstallation>> installationById(const std::string& tenantId,
                                                           const std::string& installationId);
  // Makes the inventory of one team, for the apps in `teamsAppIds`, equal to `found` (all of
  // them installations of those apps): upserts (last seen = now), removes the rows of those
  // apps no longer there (their queued jobs cancelled as in removeInstallation), one
  // transaction. Returns what changed. kInvalidInput (nothing written) when `found` holds an
  // installation of another tenant, team or app.
  Result<InventoryDiff> replaceTeamInstallations(const std::string& tenantId,
                                                 const std::string& teamId,
                                                 const std::vector<std::string>& teamsAppIds,
                                                 const std::vector<TeamInstallation>& found);
  // The same for several teams in ONE transaction (a scan's page: one fsync instead of one per
  // team), a diff per team in order; kInvalidInput (nothing written) when any team's `found`
  // holds an installation of another tenant, team or app.
  Result<std::vector<InventoryDiff>> replaceTeamsInstallations(
      const std::string& tenantId, const std::vector<std::string>& teamsAppIds,
      const std::vector<TeamInventory>& teams);
  // Removes the rows of `teamsAppIds` last seen before `cutoff` (teams that disappeared during a
  // reconciliation), cancelling their queued jobs. Returns how many went.
  Result<int64_t> removeInstallationsNotSeenSince(const std::string& tenantId,
                                                  const std::vector<std::string>& teamsAppIds,
                                                  WallTime cutoff);

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
  // Every blocked job back to queued, due now (after `appkeeper login`), each with an audit
  // record (outcome "released", detail = `why`), one transaction.
  Result<size_t> unblockAllJobs(const std::string& why);
  // The newest job for an installation (any state), to confirm an upgrade Graph reported.
  Result<std::optional<Job>> latestJobForInstallation(const std::string& tenantId,
                                                      const std::string& teamId,
                                                      const std::string& installationId);
  Result<std::optional<Job>> job(int64_t id);
  // Ordered by id (oldest first); limit 0 = all, otherwise the first `limit`.
  Result<std::vector<Job>> listJobs(std::optional<JobState> state, size_t limit);
  // Every state is present (zero when no job is in it).
  Result<std::map<JobState, int64_t>> jobCounts();
  // The earliest time a job becomes claimable (run_at or lease expiry), for the worker's wait.
  Result<std::optional<WallTime>> nextJobDue();

  // --- audit -----------------------------------------------------------------------------------
  Result<std::vector<AuditRecord>> queryAudit(const AuditFilter& filter);
  // Whether a record of `event` names job `jobId`: one indexed lookup, for callers that ask per
  // item (the planner, confirming an upgrade Graph reported) and need no record's fields.
  Result<bool> hasAuditEvent(int64_t jobId, const std::string& event);
  // Every record matching `filter` (limit ignored) in id order, i.e. chain order, handed to
  // `visit` one at a time: read in batches by id, each batch its own short read, so memory stays
  // constant and no read snapshot is held for the whole walk. Records appended meanwhile are
  // included. Stops at the first error `visit` returns and returns it.
  Status forEachAudit(const AuditFilter& filter,
                      const std::function<Status(const AuditRecord&)>& visit);
  // Walks the whole hash chain in id order (batched like forEachAudit) and stops at the first
  // broken record. A report with firstBroken set is a successful call; errors are the store's.
  // Deleting the newest records leaves a valid, shorter chain: compare lastHash with one
  // recorded earlier (or exported) to detect that.
  Result<AuditChainReport> verifyAuditChain();

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
