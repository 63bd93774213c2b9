// The installation inventory (what is installed where, as last seen) and its scan markers.
#include <SQLiteCpp/Transaction.h>

#include "store/job_sql.h"
#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {

Status Store::upsertInstallations(const std::vector<TeamInstallation>& installations) {
  return guarded("updating the inventory", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("updating the inventory")) return *refused;
    SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement upsert(
        *impl_->db,
        "INSERT INTO inventory (tenant_id, team_id, installation_id, teams_app_id, definition_id, "
        "version, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (tenant_id, team_id, installation_id) DO UPDATE SET "
        "teams_app_id = excluded.teams_app_id, definition_id = excluded.definition_id, "
        "version = excluded.version, last_seen = excluded.last_seen");
    const int64_t now = impl_->nowMs();
    for (const TeamInstallation& i : installations) {
      upsert.reset();
      upsert.bind(1, i.tenantId);
      upsert.bind(2, i.teamId);
      upsert.bind(3, i.installationId);
      upsert.bind(4, i.teamsAppId);
      upsert.bind(5, i.definitionId);
      upsert.bind(6, i.version);
      upsert.bind(7, now);
      upsert.exec();
    }
    tx.commit();
    return Ok{};
  });
}

Status Store::removeInstallation(const std::string& tenantId, const std::string& teamId,
                                 const std::string& installationId) {
  return guarded("removing an installation", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("removing an installation")) return *refused;
    const int64_t now = impl_->nowMs();
    SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement remove(*impl_->db,
                             "DELETE FROM inventory WHERE tenant_id = ?1 AND team_id = ?2 AND "
                             "installation_id = ?3");
    remove.bind(1, tenantId);
    remove.bind(2, teamId);
    remove.bind(3, installationId);
    remove.exec();

    // Queued work for an installation that is gone would only fail later: cancel it now.
    constexpr const char* kReason = "installation removed";
    SQLite::Statement cancel(*impl_->db,
                             "UPDATE jobs SET state = 'skipped', due_at = NULL, updated_at = ?1, "
                             "last_error = ?2 WHERE tenant_id = ?3 AND team_id = ?4 AND "
                             "installation_id = ?5 AND state = 'queued' RETURNING " +
                                 jobColumns());
    cancel.bind(1, now);
    cancel.bind(2, kReason);
    cancel.bind(3, tenantId);
    cancel.bind(4, teamId);
    cancel.bind(5, installationId);
    std::vector<Job> cancelled;
    while (cancel.executeStep()) cancelled.push_back(readJob(cancel));
    cancel.reset();

    for (const Job& job : cancelled) {
      AuditRecord audit;
      audit.outcome = "skipped";
      audit.detail = kReason;
      impl_->insertAudit(auditForJob(job, audit));
    }
    tx.commit();
    return Ok{};
  });
}

Result<std::vector<TeamInstallation>> Store::installationsOfApp(const std::string& tenantId,
                                                                const std::string& teamsAppId) {
  return guarded("reading the inventory", [&]() -> Result<std::vector<TeamInstallation>> {
    SQLite::Statement query(*impl_->db,
                            "SELECT tenant_id, team_id, installation_id, teams_app_id, "
                            "definition_id, version FROM inventory "
                            "WHERE tenant_id = ?1 AND teams_app_id = ?2 "
                            "ORDER BY team_id, installation_id");
    query.bind(1, tenantId);
    query.bind(2, teamsAppId);
    std::vector<TeamInstallation> found;
    while (query.executeStep()) {
      TeamInstallation i;
      i.tenantId = query.getColumn(0).getString();
      i.teamId = query.getColumn(1).getString();
      i.installationId = query.getColumn(2).getString();
      i.teamsAppId = query.getColumn(3).getString();
      i.definitionId = query.getColumn(4).getString();
      i.version = query.getColumn(5).getString();
      found.push_back(std::move(i));
    }
    return found;
  });
}

Result<bool> Store::inventoryScanned(const std::string& tenantId, const std::string& teamsAppId) {
  return guarded("reading the inventory scan marker", [&]() -> Result<bool> {
    SQLite::Statement query(*impl_->db,
                            "SELECT 1 FROM inventory_scans WHERE tenant_id = ?1 AND "
                            "teams_app_id = ?2");
    query.bind(1, tenantId);
    query.bind(2, teamsAppId);
    return query.executeStep();
  });
}

Status Store::markInventoryScanned(const std::string& tenantId, const std::string& teamsAppId) {
  return guarded("marking the inventory scanned", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("marking the inventory scanned")) return *refused;
    SQLite::Statement mark(*impl_->db,
                           "INSERT INTO inventory_scans (tenant_id, teams_app_id, scanned_at) "
                           "VALUES (?1, ?2, ?3) ON CONFLICT (tenant_id, teams_app_id) "
                           "DO UPDATE SET scanned_at = excluded.scanned_at");
    mark.bind(1, tenantId);
    mark.bind(2, teamsAppId);
    mark.bind(3, impl_->nowMs());
    mark.exec();
    return Ok{};
  });
}

}  // namespace appkeeper::store
