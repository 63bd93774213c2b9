// The audit log: append-only rows of AuditRecord, permissions stored as JSON text.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {
namespace {

constexpr const char* kAuditColumns =
    "id, recorded_at, event, tenant_id, team_id, installation_id, teams_app_id, from_version, "
    "to_version, outcome, http_status, request_id, attempt, detail, permissions, job_id";

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
  return r;
}

}  // namespace

void Store::Impl::insertAudit(const AuditRecord& r) {
  StatementUse insert(prepared(
      cached.insertAudit,
      "INSERT INTO audit (recorded_at, event, tenant_id, team_id, installation_id, teams_app_id, "
      "from_version, to_version, outcome, http_status, request_id, attempt, detail, permissions, "
      "job_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"));
  insert->bind(1, r.time == WallTime{} ? nowMs() : toUnixMillis(r.time));
  insert->bind(2, r.event);
  insert->bind(3, r.tenantId);
  insert->bind(4, r.teamId);
  insert->bind(5, r.installationId);
  insert->bind(6, r.teamsAppId);
  insert->bind(7, r.fromVersion);
  insert->bind(8, r.toVersion);
  insert->bind(9, r.outcome);
  insert->bind(10, r.httpStatus);
  insert->bind(11, r.requestId);
  insert->bind(12, r.attempt);
  insert->bind(13, r.detail);
  insert->bind(14, permissionsToJson(r.permissions));
  if (r.jobId) {
    insert->bind(15, *r.jobId);
  } else {
    insert->bind(15);
  }
  insert->exec();
}

Status Store::appendAudit(const AuditRecord& record) {
  return guarded("appending an audit record", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("appending an audit record")) return *refused;
    // A single INSERT commits atomically on its own: no explicit transaction needed.
    impl_->insertAudit(record);
    return Ok{};
  });
}

Result<std::vector<AuditRecord>> Store::queryAudit(const AuditFilter& filter) {
  return guarded("querying the audit log", [&]() -> Result<std::vector<AuditRecord>> {
    std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit WHERE 1 = 1";
    if (filter.teamsAppId) sql += " AND teams_app_id = :app";
    if (filter.teamId) sql += " AND team_id = :team";
    if (filter.outcome) sql += " AND outcome = :outcome";
    if (filter.since) sql += " AND recorded_at >= :since";
    if (filter.jobId) sql += " AND job_id = :job";
    // With a limit, take the newest rows (descending) and turn them around below.
    sql += filter.limit > 0 ? " ORDER BY recorded_at DESC, id DESC LIMIT :limit"
                            : " ORDER BY recorded_at, id";
    SQLite::Statement query(*impl_->db, sql);
    if (filter.teamsAppId) query.bind(":app", *filter.teamsAppId);
    if (filter.teamId) query.bind(":team", *filter.teamId);
    if (filter.outcome) query.bind(":outcome", *filter.outcome);
    if (filter.since) query.bind(":since", toUnixMillis(*filter.since));
    if (filter.jobId) query.bind(":job", *filter.jobId);
    if (filter.limit > 0) query.bind(":limit", static_cast<int64_t>(filter.limit));
    std::vector<AuditRecord> records;
    while (query.executeStep()) records.push_back(readAudit(query));
    if (filter.limit > 0) std::reverse(records.begin(), records.end());
    return records;
  });
}

}  // namespace appkeeper::store
