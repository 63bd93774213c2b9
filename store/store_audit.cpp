// The audit log: append-only rows of AuditRecord, permissions stored as JSON text, each row
// chained to the previous one by hash (audit_chain.h).
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "store/audit_chain.h"
#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {
namespace {

// kAuditChainedColumns first (chainValuesOfRow reads columns 0..15), then the chain itself.
const std::string kAuditColumns = std::string(kAuditChainedColumns) + ", prev_hash, hash";
constexpr int kPrevHashColumn = kAuditChainedColumnCount;
constexpr int kHashColumn = kAuditChainedColumnCount + 1;
// Rows per read of the streamed walks: big enough to amortize a query, small enough that each
// read is short (it never holds back a WAL checkpoint for long) and memory stays flat.
constexpr int64_t kAuditBatch = 1000;

std::string permissionsToJson(const std::vector<RscPermission>& perms) {
  auto array = nlohmann::json::array();
  for (const auto& p : perms) array.push_back({{"value", p.value}, {"type", p.type}});
  return array.dump();
}

// Lenient on read: an unreadable column yields no permissions rather than failing the query.
std::vector<RscPermission> permissionsFromJson(const std::string& text) {
  std::vector<RscPermission> perms;
  const auto array = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!array.is_array()) return perms;
  for (const auto& item : array) {
    if (!item.is_object()) continue;
    perms.push_back({item.value("value", std::string()), item.value("type", std::string())});
  }
  return perms;
}

AuditRecord readAudit(const SQLite::Statement& row) {
  AuditRecord r;
  r.id = row.getColumn(0).getInt64();
  r.time = fromUnixMillis(row.getColumn(1).getInt64());
  r.event = row.getColumn(2).getString();
  r.tenantId = row.getColumn(3).getString();
  r.teamId = row.getColumn(4).getString();
  r.installationId = row.getColumn(5).getString();
  r.teamsAppId = row.getColumn(6).getString();
  r.fromVersion = row.getColumn(7).getString();
  r.toVersion = row.getColumn(8).getString();
  r.outcome = row.getColumn(9).getString();
  r.httpStatus = row.getColumn(10).getInt();
  r.requestId = row.getColumn(11).getString();
  r.attempt = row.getColumn(12).getInt();
  r.detail = row.getColumn(13).getString();
  r.permissions = permissionsFromJson(row.getColumn(14).getString());
  if (!row.getColumn(15).isNull()) r.jobId = row.getColumn(15).getInt64();
  r.prevHash = row.getColumn(kPrevHashColumn).getString();
  r.hash = row.getColumn(kHashColumn).getString();
  return r;
}

// The WHERE conditions of a filter (AND-ed after "WHERE 1 = 1"), and their binding.
std::string filterSql(const AuditFilter& filter) {
  std::string sql;
  if (filter.teamsAppId) sql += " AND teams_app_id = :app";
  if (filter.teamId) sql += " AND team_id = :team";
  if (filter.outcome) sql += " AND outcome = :outcome";
  if (filter.since) sql += " AND recorded_at >= :since";
  if (filter.jobId) sql += " AND job_id = :job";
  return sql;
}

void bindFilter(SQLite::Statement& query, const AuditFilter& filter) {
  if (filter.teamsAppId) query.bind(":app", *filter.teamsAppId);
  if (filter.teamId) query.bind(":team", *filter.teamId);
  if (filter.outcome) query.bind(":outcome", *filter.outcome);
  if (filter.since) query.bind(":since", toUnixMillis(*filter.since));
  if (filter.jobId) query.bind(":job", *filter.jobId);
}

// A short hash for messages: enough to tell two apart, not a wall of hex.
std::string shortHash(const std::string& hash) {
  return hash.size() > 12 ? hash.substr(0, 12) + "..." : hash;
}

// "record 3 is missing" / "records 3..7 are missing".
std::string missing(int64_t from, int64_t to) {
  return from == to ? "record " + std::to_string(from) + " is missing (deleted)"
                    : "records " + std::to_string(from) + ".." + std::to_string(to) +
                          " are missing (deleted)";
}

// Checks one row against the chain so far; nullopt when it extends it correctly.
std::optional<AuditChainProblem> checkRow(const SQLite::Statement& row, int64_t expectedId,
                                          const std::string& expectedPrev) {
  const int64_t id = row.getColumn(0).getInt64();
  const std::string prevHash = row.getColumn(kPrevHashColumn).getString();
  const std::string hash = row.getColumn(kHashColumn).getString();
  AuditChainProblem problem;
  problem.id = id;
  problem.time = fromUnixMillis(row.getColumn(1).getInt64());
  problem.event = row.getColumn(2).getString();
  if (id != expectedId) {
    problem.kind = AuditChainBreak::kIdGap;
    problem.reason = (expectedId == 1 ? "the first record has id " + std::to_string(id) + ", not 1"
                                      : "ids jump from " + std::to_string(expectedId - 1) + " to " +
                                            std::to_string(id)) +
                     ": " + missing(expectedId, id - 1);
    return problem;
  }
  if (prevHash != expectedPrev) {
    problem.kind = AuditChainBreak::kBrokenLink;
    problem.reason = "its prev_hash " + shortHash(prevHash) + " is not " +
                     (id == 1 ? std::string("the genesis value ")
                              : "the hash of record " + std::to_string(id - 1) + ", ") +
                     shortHash(expectedPrev) + ": records were replaced or reordered";
    return problem;
  }
  const std::string computed = auditHash(chainValuesOfRow(row), prevHash);
  if (computed != hash) {
    problem.kind = AuditChainBreak::kHashMismatch;
    problem.reason = "its fields hash to " + shortHash(computed) + ", not to the stored " +
                     shortHash(hash) + ": the record was changed after it was written";
    return problem;
  }
  return std::nullopt;
}

}  // namespace

const char* toString(AuditChainBreak b) {
  switch (b) {
    case AuditChainBreak::kHashMismatch:
      return "hash mismatch";
    case AuditChainBreak::kBrokenLink:
      return "broken link";
    case AuditChainBreak::kIdGap:
      return "gap in ids";
  }
  return "unknown";
}

void Store::Impl::insertAudit(const AuditRecord& r) {
  // Outside a transaction the read of the last record and the insert would be two transactions,
  // and another connection could append in between. (The chain trigger would refuse the insert,
  // but that is a bug of the caller, so say so.)
  if (sqlite3_get_autocommit(db->getHandle()) != 0) {
    throw std::logic_error("an audit record must be inserted inside an IMMEDIATE transaction");
  }
  int64_t lastId = 0;
  std::string prev(kAuditGenesisHash);
  {
    StatementUse last(
        prepared(cached.lastAudit, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"));
    if (last->executeStep()) {
      lastId = last->getColumn(0).getInt64();
      prev = last->getColumn(1).getString();
    }
  }
  const int64_t id = lastId + 1;
  const int64_t recordedAt = r.time == WallTime{} ? nowMs() : toUnixMillis(r.time);
  const std::string permissions = permissionsToJson(r.permissions);
  // Exactly the values bound below, with the types they are stored with.
  const std::vector<ChainValue> values = {
      ChainValue::integer(id),
      ChainValue::integer(recordedAt),
      ChainValue::text(r.event),
      ChainValue::text(r.tenantId),
      ChainValue::text(r.teamId),
      ChainValue::text(r.installationId),
      ChainValue::text(r.teamsAppId),
      ChainValue::text(r.fromVersion),
      ChainValue::text(r.toVersion),
      ChainValue::text(r.outcome),
      ChainValue::integer(r.httpStatus),
      ChainValue::text(r.requestId),
      ChainValue::integer(r.attempt),
      ChainValue::text(r.detail),
      ChainValue::text(permissions),
      r.jobId ? ChainValue::integer(*r.jobId) : ChainValue::null()};
  const std::string hash = auditHash(values, prev);

  StatementUse insert(prepared(
      cached.insertAudit,
      "INSERT INTO audit (id, recorded_at, event, tenant_id, team_id, installation_id, "
      "teams_app_id, from_version, to_version, outcome, http_status, request_id, attempt, detail, "
      "permissions, job_id, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
      "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"));
  insert->bind(1, id);
  insert->bind(2, recordedAt);
  insert->bind(3, r.event);
  insert->bind(4, r.tenantId);
  insert->bind(5, r.teamId);
  insert->bind(6, r.installationId);
  insert->bind(7, r.teamsAppId);
  insert->bind(8, r.fromVersion);
  insert->bind(9, r.toVersion);
  insert->bind(10, r.outcome);
  insert->bind(11, r.httpStatus);
  insert->bind(12, r.requestId);
  insert->bind(13, r.attempt);
  insert->bind(14, r.detail);
  insert->bind(15, permissions);
  if (r.jobId) {
    insert->bind(16, *r.jobId);
  } else {
    insert->bind(16);
  }
  insert->bind(17, prev);
  insert->bind(18, hash);
  insert->exec();
}

Status Store::appendAudit(const AuditRecord& record) {
  return guarded("appending an audit record", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("appending an audit record")) return *refused;
    // IMMEDIATE: the chain's last record must not change between reading it and appending.
    SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    impl_->insertAudit(record);
    tx.commit();
    return Ok{};
  });
}

Result<std::vector<AuditRecord>> Store::queryAudit(const AuditFilter& filter) {
  return guarded("querying the audit log", [&]() -> Result<std::vector<AuditRecord>> {
    std::string sql = "SELECT " + kAuditColumns + " FROM audit WHERE 1 = 1" + filterSql(filter);
    // With a limit, take the newest rows (descending) and turn them around below.
    sql += filter.limit > 0 ? " ORDER BY recorded_at DESC, id DESC LIMIT :limit"
                            : " ORDER BY recorded_at, id";
    SQLite::Statement query(*impl_->db, sql);
    bindFilter(query, filter);
    if (filter.limit > 0) query.bind(":limit", static_cast<int64_t>(filter.limit));
    std::vector<AuditRecord> records;
    while (query.executeStep()) records.push_back(readAudit(query));
    if (filter.limit > 0) std::reverse(records.begin(), records.end());
    return records;
  });
}

Result<bool> Store::hasAuditEvent(int64_t jobId, const std::string& event) {
  return guarded("looking up a job's audit records", [&]() -> Result<bool> {
    // job_id = ?1 implies job_id IS NOT NULL, so the partial index audit_job serves it.
    StatementUse query(
        impl_->prepared(impl_->cached.auditEventForJob,
                        "SELECT 1 FROM audit WHERE job_id = ?1 AND event = ?2 LIMIT 1"));
    query->bind(1, jobId);
    query->bind(2, event);
    return query->executeStep();
  });
}

Status Store::forEachAudit(const AuditFilter& filter,
                           const std::function<Status(const AuditRecord&)>& visit) {
  return guarded("reading the audit log", [&]() -> Status {
    SQLite::Statement query(*impl_->db, "SELECT " + kAuditColumns +
                                            " FROM audit WHERE id > :after" + filterSql(filter) +
                                            " ORDER BY id LIMIT :batch");
    int64_t after = 0;
    // Bounded: `after` strictly increases and a short batch ends the walk.
    for (;;) {
      std::vector<AuditRecord> batch;
      query.reset();
      query.bind(":after", after);
      bindFilter(query, filter);
      query.bind(":batch", kAuditBatch);
      while (query.executeStep()) batch.push_back(readAudit(query));
      query.reset();  // the read ends here, before `visit` (which may be slow) runs
      for (const AuditRecord& r : batch) {
        if (Status s = visit(r); !s) return s;
      }
      if (static_cast<int64_t>(batch.size()) < kAuditBatch) return Ok{};
      after = batch.back().id;
    }
  });
}

Result<AuditChainReport> Store::verifyAuditChain() {
  return guarded("verifying the audit hash chain", [&]() -> Result<AuditChainReport> {
    SQLite::Statement query(
        *impl_->db, "SELECT " + kAuditColumns + " FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2");
    AuditChainReport report;
    report.lastHash = std::string(kAuditGenesisHash);
    int64_t expectedId = 1;
    // Bounded: every pass either stops or moves past kAuditBatch rows.
    for (;;) {
      query.reset();
      query.bind(1, expectedId - 1);
      query.bind(2, kAuditBatch);
      int64_t rows = 0;
      while (query.executeStep()) {
        ++rows;
        if (auto problem = checkRow(query, expectedId, report.lastHash)) {
          report.firstBroken = std::move(problem);
          return report;
        }
        ++report.records;
        report.lastId = expectedId;
        report.lastHash = query.getColumn(kHashColumn).getString();
        ++expectedId;
      }
      if (rows < kAuditBatch) return report;
    }
  });
}

}  // namespace appkeeper::store
