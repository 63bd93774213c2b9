// Reconciliations: requests coalesce into at most one pending row behind at most one running row
// (the partial unique index reconciliations_active makes any other shape fail), progress is a
// cursor plus counters added page by page, and the finish commits with its summary audit record.
#include <SQLiteCpp/Transaction.h>

#include <array>
#include <utility>

#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {
namespace {

using SQLite::TransactionBehavior;

// The spelling is persisted in reconciliations.state (and its CHECK constraint): never rename one.
constexpr std::array<std::pair<ReconciliationState, const char*>, 3> kNames = {{
    {ReconciliationState::kPending, "pending"},
    {ReconciliationState::kRunning, "running"},
    {ReconciliationState::kDone, "done"},
}};

ReconciliationState stateFromString(const std::string& s) {
  for (const auto& [state, name] : kNames) {
    if (s == name) return state;
  }
  return ReconciliationState::kDone;  // unreachable: the CHECK constraint admits only these
}

constexpr const char* kColumns =
    "id, reason, state, requested_at, started_at, finished_at, cursor, teams_scanned, "
    "installations_found, drift_corrected, jobs_enqueued";

Reconciliation readReconciliation(const SQLite::Statement& row) {
  Reconciliation r;
  r.id = row.getColumn(0).getInt64();
  r.reason = row.getColumn(1).getString();
  r.state = stateFromString(row.getColumn(2).getString());
  r.requestedAt = fromUnixMillis(row.getColumn(3).getInt64());
  r.startedAt = fromUnixMillis(row.getColumn(4).getInt64());
  r.finishedAt = fromUnixMillis(row.getColumn(5).getInt64());
  r.cursor = row.getColumn(6).getString();
  r.teamsScanned = row.getColumn(7).getInt64();
  r.installationsFound = row.getColumn(8).getInt64();
  r.driftCorrected = row.getColumn(9).getInt64();
  r.jobsEnqueued = row.getColumn(10).getInt64();
  return r;
}

std::optional<Reconciliation> selectOne(SQLite::Database& db, const std::string& whereAndOrder,
                                        std::optional<int64_t> id = std::nullopt) {
  SQLite::Statement query(db, std::string("SELECT ") + kColumns + " FROM reconciliations " +
                                  whereAndOrder + " LIMIT 1");
  if (id) query.bind(1, *id);
  if (!query.executeStep()) return std::nullopt;
  return readReconciliation(query);
}

// Whether `reason` is already one of the ", "-separated reasons in `reasons`.
bool listed(const std::string& reasons, const std::string& reason) {
  size_t start = 0;
  while (start <= reasons.size()) {
    const size_t comma = reasons.find(", ", start);
    const size_t end = comma == std::string::npos ? reasons.size() : comma;
    if (reasons.compare(start, end - start, reason) == 0) return true;
    if (comma == std::string::npos) break;
    start = comma + 2;
  }
  return false;
}

Error notIn(int64_t id, const char* wanted, const std::optional<Reconciliation>& found) {
  const std::string now = found ? std::string("it is ") + toString(found->state) : "it is unknown";
  return Error::permanent("reconciliation " + std::to_string(id) + " is not " + wanted + " (" +
                          now + "); read activeReconciliation() and continue that one");
}

std::string summaryOf(const Reconciliation& r) {
  return "teams scanned " + std::to_string(r.teamsScanned) + ", installations found " +
         std::to_string(r.installationsFound) + ", drift corrected " +
         std::to_string(r.driftCorrected) + ", jobs enqueued " + std::to_string(r.jobsEnqueued);
}

}  // namespace

const char* toString(ReconciliationState s) {
  for (const auto& [state, name] : kNames) {
    if (state == s) return name;
  }
  return "unknown";
}

Result<int64_t> Store::requestReconciliation(const std::string& reason) {
  return guarded("requesting a reconciliation", [&]() -> Result<int64_t> {
    if (auto refused = impl_->refuseIfReadOnly("requesting a reconciliation")) return *refused;
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    if (auto pending = selectOne(*impl_->db, "WHERE state = 'pending'")) {
      // Join it: one scan answers every request made before it starts.
      if (!reason.empty() && !listed(pending->reason, reason)) {
        SQLite::Statement join(*impl_->db, "UPDATE reconciliations SET reason = ?1 WHERE id = ?2");
        join.bind(1, pending->reason.empty() ? reason : pending->reason + ", " + reason);
        join.bind(2, pending->id);
        join.exec();
        tx.commit();
      }
      return pending->id;
    }
    const int64_t now = impl_->nowMs();
    SQLite::Statement insert(*impl_->db,
                             "INSERT INTO reconciliations (reason, state, requested_at) "
                             "VALUES (?1, 'pending', ?2)");
    insert.bind(1, reason);
    insert.bind(2, now);
    insert.exec();
    const int64_t id = impl_->db->getLastInsertRowid();
    AuditRecord audit;
    audit.event = "reconcile";
    audit.outcome = "requested";
    audit.detail = reason;
    impl_->insertAudit(audit);
    tx.commit();
    return id;
  });
}

Result<std::optional<Reconciliation>> Store::activeReconciliation() {
  return guarded("reading the active reconciliation",
                 [&]() -> Result<std::optional<Reconciliation>> {
                   return selectOne(*impl_->db,
                                    "WHERE state IN ('pending', 'running') "
                                    "ORDER BY state = 'running' DESC, id");
                 });
}

Status Store::startReconciliation(int64_t id) {
  return guarded("starting a reconciliation", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("starting a reconciliation")) return *refused;
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    // Checked here so that the caller gets a kPermanent naming the state, not a constraint error
    // from reconciliations_active.
    if (auto running = selectOne(*impl_->db, "WHERE state = 'running'")) {
      return Error::permanent("cannot start reconciliation " + std::to_string(id) +
                              ": reconciliation " + std::to_string(running->id) +
                              " is still running; finish it first");
    }
    SQLite::Statement start(*impl_->db,
                            "UPDATE reconciliations SET state = 'running', started_at = ?1 "
                            "WHERE id = ?2 AND state = 'pending'");
    start.bind(1, impl_->nowMs());
    start.bind(2, id);
    if (start.exec() == 0) return notIn(id, "pending", selectOne(*impl_->db, "WHERE id = ?1", id));
    tx.commit();
    return Ok{};
  });
}

Status Store::recordReconciliationProgress(int64_t id, const std::string& cursor,
                                           const Reconciliation& delta) {
  return guarded("recording reconciliation progress", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("recording reconciliation progress")) {
      return *refused;
    }
    // One UPDATE commits the cursor and the counters together: a restart resumes exactly after
    // the last recorded page, never counting a page twice.
    SQLite::Statement progress(
        *impl_->db,
        "UPDATE reconciliations SET cursor = ?1, teams_scanned = teams_scanned + ?2, "
        "installations_found = installations_found + ?3, "
        "drift_corrected = drift_corrected + ?4, jobs_enqueued = jobs_enqueued + ?5 "
        "WHERE id = ?6 AND state = 'running'");
    progress.bind(1, cursor);
    progress.bind(2, delta.teamsScanned);
    progress.bind(3, delta.installationsFound);
    progress.bind(4, delta.driftCorrected);
    progress.bind(5, delta.jobsEnqueued);
    progress.bind(6, id);
    if (progress.exec() == 0) {
      return notIn(id, "running", selectOne(*impl_->db, "WHERE id = ?1", id));
    }
    return Ok{};
  });
}

Status Store::finishReconciliation(int64_t id, const AuditRecord& summary) {
  return guarded("finishing a reconciliation", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("finishing a reconciliation")) return *refused;
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    SQLite::Statement finish(*impl_->db,
                             "UPDATE reconciliations SET state = 'done', finished_at = ?1 "
                             "WHERE id = ?2 AND state = 'running'");
    finish.bind(1, impl_->nowMs());
    finish.bind(2, id);
    if (finish.exec() == 0) {
      return notIn(id, "running", selectOne(*impl_->db, "WHERE id = ?1", id));
    }
    AuditRecord record = summary;
    if (record.event.empty()) record.event = "reconcile";
    if (record.outcome.empty()) record.outcome = "reconciled";
    if (record.detail.empty()) {
      if (auto done = selectOne(*impl_->db, "WHERE id = ?1", id)) record.detail = summaryOf(*done);
    }
    impl_->insertAudit(record);
    tx.commit();
    return Ok{};
  });
}

Result<std::optional<Reconciliation>> Store::lastReconciliation() {
  return guarded("reading the last reconciliation", [&]() -> Result<std::optional<Reconciliation>> {
    return selectOne(*impl_->db, "WHERE state = 'done' ORDER BY finished_at DESC, id DESC");
  });
}

}  // namespace appkeeper::store
