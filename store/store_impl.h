// Store::Impl, shared by the store_*.cpp files (internal to store/): the connection, the clock,
// the hot-path statements prepared once and reused, and the writes that several operations
// share (audit rows, job rows). Not thread-safe: it is the Store's one connection.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/store.h"

namespace appkeeper::store {

// A cached statement in use: reset when the scope ends, even on an exception, so it never keeps
// a read snapshot (which would hold back WAL checkpoints) or a half-run write.
class StatementUse {
 public:
  explicit StatementUse(SQLite::Statement& s) noexcept : s_(s) {}
  ~StatementUse() { s_.tryReset(); }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  SQLite::Statement& operator*() noexcept { return s_; }
  SQLite::Statement* operator->() noexcept { return &s_; }

 private:
  SQLite::Statement& s_;
};

// Steps an UPDATE .. RETURNING to its end, so its write completes before COMMIT.
inline void runToCompletion(SQLite::Statement& s) {
  while (!s.isDone() && s.executeStep()) {
  }
}

struct Store::Impl {
  Impl(std::unique_ptr<SQLite::Database> database, const Clock& c, OpenOptions o, int version)
      : db(std::move(database)), clock(c), options(o), schemaVersion(version) {}

  // Declared first so that it is destroyed last, after every statement prepared on it.
  std::unique_ptr<SQLite::Database> db;
  const Clock& clock;
  OpenOptions options;
  int schemaVersion = 0;

  // Hot paths: prepared on first use (a read-only Store never prepares the writes).
  struct Statements {
    std::unique_ptr<SQLite::Statement> insertJob, claimJob, finishJob, retryJob, insertAudit,
        lastAudit, insertCatalogEvent, insertNotification, upsertInstallation, deleteInstallation,
        cancelInstallationJobs, subscriptionById, installationById, beginItem, releaseItem,
        rollbackToItem, firstJobDue, anyInboxDue, claimInbox, completeInbox, retryInbox,
        latestJobForInstallation, auditEventForJob;
  } cached;

  SQLite::Statement& prepared(std::unique_ptr<SQLite::Statement>& slot, const char* sql) {
    if (!slot) slot = std::make_unique<SQLite::Statement>(*db, sql);
    return *slot;
  }

  int64_t nowMs() const { return toUnixMillis(clock.now()); }

  // due_at of the job a claim would take first (queued or with an expired lease, by due_at),
  // whether or not it is due yet; nullopt when there is none. A read: no write lock.
  std::optional<int64_t> firstJobDueMs();

  // One item of a batch transaction in a savepoint of its own, so a failing item is undone
  // alone. The statements are prepared once: parsing "SAVEPOINT ..." and "RELEASE ..." anew for
  // every item cost the inbound writer more CPU than the item's own inserts.
  void beginItem() { StatementUse(prepared(cached.beginItem, "SAVEPOINT batch_item"))->exec(); }
  void releaseItem() {
    StatementUse(prepared(cached.releaseItem, "RELEASE batch_item"))->exec();
  }
  // Undoes the item and ends its savepoint. Throws when SQLite has already rolled the whole
  // transaction back (e.g. a full disk): then the batch fails as one.
  void rollbackItem() {
    StatementUse(prepared(cached.rollbackToItem, "ROLLBACK TO batch_item"))->exec();
    releaseItem();
  }

  // kInternal when this Store was opened read-only: a write through it is a bug of the caller.
  std::optional<Error> refuseIfReadOnly(std::string_view what) const;

  // Inside the caller's transaction, which must have been begun IMMEDIATE (it holds the write
  // lock, so the last record read here stays the last until commit): takes the next id and
  // chains the record to the last one's hash. Throws SQLite::Exception, and std::logic_error
  // outside a transaction. Audit time epoch -> now.
  void insertAudit(const AuditRecord& record);
  // The inbound writes, inside the caller's IMMEDIATE transaction (acceptCatalogEvent,
  // acceptNotification, acceptInboundBatch). Throw SQLite::Exception.
  bool writeCatalogEvent(const std::string& webhookId, const std::string& payload,
                         const AuditRecord& audit);
  std::optional<int64_t> writeNotification(const std::string& payload,
                                           const std::vector<AuditRecord>& audits);
  // Returns how many were new; `inboxId` fills specs that name none.
  size_t insertJobs(const std::vector<JobSpec>& jobs, std::optional<int64_t> inboxId);
  // Inserts or updates one inventory row with last_seen = `nowMillis`.
  void upsertInstallation(const TeamInstallation& installation, int64_t nowMillis);
  // Deletes one inventory row and cancels (skipped + audit record) the queued jobs of that
  // installation: the one removal every inventory operation shares. Returns whether a row went.
  bool removeInstallation(const std::string& tenantId, const std::string& teamId,
                          const std::string& installationId);
  // Makes `team`'s inventory rows of `apps` equal to its `found` (upserts, removals) and says
  // what changed. `teamRows` is the caller's prepared "SELECT <installation columns> FROM
  // inventory WHERE tenant_id = ?1 AND team_id = ?2", reused for every team of a batch.
  InventoryDiff replaceTeamRows(SQLite::Statement& teamRows, const std::string& tenantId,
                                const TeamInventory& team, const std::set<std::string>& apps,
                                int64_t now);
};

}  // namespace appkeeper::store
