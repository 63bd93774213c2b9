// The installation inventory (what is installed where, as last seen) and its scan markers. Every
// removal goes through Impl::removeInstallation, which also cancels the installation's queued
// jobs, so no path leaves work behind for an installation that is gone.
#include <SQLiteCpp/Transaction.h>

#include <map>
#include <set>
#include <utility>

#include "store/job_sql.h"
#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {
namespace {

constexpr const char* kInstallationColumns =
    "tenant_id, team_id, installation_id, teams_app_id, definition_id, version";

TeamInstallation readInstallation(const SQLite::Statement& row) {
  TeamInstallation i;
  i.tenantId = row.getColumn(0).getString();
  i.teamId = row.getColumn(1).getString();
  i.installationId = row.getColumn(2).getString();
  i.teamsAppId = row.getColumn(3).getString();
  i.definitionId = row.getColumn(4).getString();
  i.version = row.getColumn(5).getString();
  return i;
}

}  // namespace

void Store::Impl::upsertInstallation(const TeamInstallation& i, int64_t nowMillis) {
  StatementUse upsert(prepared(
      cached.upsertInstallation,
      "INSERT INTO inventory (tenant_id, team_id, installation_id, teams_app_id, definition_id, "
      "version, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (tenant_id, team_id, installation_id) DO UPDATE SET "
      "teams_app_id = excluded.teams_app_id, definition_id = excluded.definition_id, "
      "version = excluded.version, last_seen = excluded.last_seen"));
  upsert->bind(1, i.tenantId);
  upsert->bind(2, i.teamId);
  upsert->bind(3, i.installationId);
  upsert->bind(4, i.teamsAppId);
  upsert->bind(5, i.definitionId);
  upsert->bind(6, i.version);
  upsert->bind(7, nowMillis);
  upsert->exec();
}

bool Store::Impl::removeInstallation(const std::string& tenantId, const std::string& teamId,
                                     const std::string& installationId) {
  bool removed = false;
  {
    StatementUse remove(prepared(cached.deleteInstallation,
                                 "DELETE FROM inventory WHERE tenant_id = ?1 AND team_id = ?2 AND "
                                 "installation_id = ?3"));
    remove->bind(1, tenantId);
    remove->bind(2, teamId);
    remove->bind(3, installationId);
    removed = remove->exec() > 0;
  }

  // Queued work for an installation that is gone would only fail later: cancel it now.
  constexpr const char* kReason = "installation removed";
  static const std::string kCancelSql =
      "UPDATE jobs SET state = 'skipped', due_at = NULL, updated_at = ?1, last_error = ?2 "
      "WHERE tenant_id = ?3 AND team_id = ?4 AND installation_id = ?5 AND state = 'queued' "
      "RETURNING " +
      jobColumns();
  std::vector<Job> cancelled;
  {
    StatementUse cancel(prepared(cached.cancelInstallationJobs, kCancelSql.c_str()));
    cancel->bind(1, nowMs());
    cancel->bind(2, kReason);
    cancel->bind(3, tenantId);
    cancel->bind(4, teamId);
    cancel->bind(5, installationId);
    while (cancel->executeStep()) cancelled.push_back(readJob(*cancel));
  }
  for (const Job& job : cancelled) {
    AuditRecord audit;
    audit.outcome = "skipped";
    audit.detail = kReason;
    insertAudit(auditForJob(job, audit));
  }
  return removed;
}

Status Store::upsertInstallations(const std::vector<TeamInstallation>& installations) {
  return guarded("updating the inventory", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("updating the inventory")) return *refused;
    SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    const int64_t now = impl_->nowMs();
    for (const TeamInstallation& i : installations) impl_->upsertInstallation(i, now);
    tx.commit();
    return Ok{};
  });
}

Status Store::removeInstallation(const std::string& tenantId, const std::string& teamId,
                                 const std::string& installationId) {
  return guarded("removing an installation", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("removing an installation")) return *refused;
    SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    impl_->removeInstallation(tenantId, teamId, installationId);
    tx.commit();
    return Ok{};
  });
}

Result<std::optional<TeamInstallation>> Store::installationById(const std::string& tenantId,
                                                                const std::string& installationId) {
  return guarded("reading an installation", [&]() -> Result<std::optional<TeamInstallation>> {
    // Without statistics the planner prefers the primary key (a scan of the whole tenant, in
    // team_id order); INDEXED BY pins the lookup. The index ends in the primary key columns, so
    // ORDER BY team_id (a stable answer should two teams ever share an id) needs no sort.
    // Cached: the planner looks up the installation of every change notification.
    static const std::string sql = std::string("SELECT ") + kInstallationColumns +
                                   " FROM inventory INDEXED BY inventory_installation "
                                   "WHERE tenant_id = ?1 AND installation_id = ?2 "
                                   "ORDER BY team_id LIMIT 1";
    StatementUse query(impl_->prepared(impl_->cached.installationById, sql.c_str()));
    query->bind(1, tenantId);
    query->bind(2, installationId);
    if (!query->executeStep()) return std::optional<TeamInstallation>();
    return std::optional<TeamInstallation>(readInstallation(*query));
  });
}

InventoryDiff Store::Impl::replaceTeamRows(SQLite::Statement& teamRows,
                                           const std::string& tenantId,
                                           const TeamInventory& team,
                                           const std::set<std::string>& apps, int64_t now) {
  // The team's rows, all apps: a found installation is classified against whatever row has its
  // id, even one filed under another app.
  std::map<std::string, TeamInstallation> known;
  teamRows.reset();
  teamRows.bind(1, tenantId);
  teamRows.bind(2, team.teamId);
  while (teamRows.executeStep()) {
    TeamInstallation row = readInstallation(teamRows);
    const std::string id = row.installationId;
    known.emplace(id, std::move(row));
  }
  teamRows.reset();  // no read left open while this team's rows change
  InventoryDiff diff;
  std::set<std::string> seen;
  for (const TeamInstallation& i : team.found) {
    auto it = known.find(i.installationId);
    if (it == known.end()) {
      ++diff.added;
    } else if (it->second.teamsAppId != i.teamsAppId ||
               it->second.definitionId != i.definitionId || it->second.version != i.version) {
      ++diff.changed;
    } else {
      ++diff.unchanged;
    }
    upsertInstallation(i, now);
    known[i.installationId] = i;  // a repeated id compares against its previous copy
    seen.insert(i.installationId);
  }
  for (const auto& [id, row] : known) {
    if (seen.count(id) > 0 || apps.count(row.teamsAppId) == 0) continue;
    if (removeInstallation(tenantId, team.teamId, id)) ++diff.removed;
  }
  return diff;
}


Result<InventoryDiff> Store::replaceTeamInstallations(const std::string& tenantId,
                                                      const std::string& teamId,
                                                      const std::vector<std::string>& teamsAppIds,
                                                      const std::vector<TeamInstallation>& found) {
  auto diffs = replaceTeamsInstallations(tenantId, teamsAppIds, {TeamInventory{teamId, found}});
  if (!diffs) return diffs.error();
  return diffs->front();
}

Result<std::vector<InventoryDiff>> Store::replaceTeamsInstallations(
    const std::string& tenantId, const std::vector<std::string>& teamsAppIds,
    const std::vector<TeamInventory>& teams) {
  return guarded("replacing teams' inventory", [&]() -> Result<std::vector<InventoryDiff>> {
    if (auto refused = impl_->refuseIfReadOnly("replacing teams' inventory")) return *refused;
    const std::set<std::string> apps(teamsAppIds.begin(), teamsAppIds.end());
    for (const TeamInventory& team : teams) {
      for (const TeamInstallation& i : team.found) {
        if (i.tenantId != tenantId || i.teamId != team.teamId || apps.count(i.teamsAppId) == 0) {
          const std::string where = "team '" + team.teamId + "' of tenant '" + tenantId + "'";
          return Error::invalidInput("installation '" + i.installationId + "' (tenant '" +
                                     i.tenantId + "', team '" + i.teamId + "', app '" +
                                     i.teamsAppId + "') does not belong to the apps replaced in " +
                                     where + "; pass only those (nothing was written)");
        }
      }
    }
    const int64_t now = impl_->nowMs();
    std::vector<InventoryDiff> diffs;
    diffs.reserve(teams.size());
    SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement teamRows(*impl_->db, std::string("SELECT ") + kInstallationColumns +
                                               " FROM inventory WHERE tenant_id = ?1 AND "
                                               "team_id = ?2");
    for (const TeamInventory& team : teams) {
      diffs.push_back(impl_->replaceTeamRows(teamRows, tenantId, team, apps, now));
    }
    tx.commit();
    return diffs;
  });
}

Result<int64_t> Store::removeInstallationsNotSeenSince(const std::string& tenantId,
                                                       const std::vector<std::string>& teamsAppIds,
                                                       WallTime cutoff) {
  return guarded("removing installations not seen", [&]() -> Result<int64_t> {
    if (auto refused = impl_->refuseIfReadOnly("removing installations not seen")) {
      return *refused;
    }
    SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    std::vector<std::pair<std::string, std::string>> stale;  // (team, installation)
    {
      // One indexed range per app (inventory_app) instead of a dynamic IN list.
      SQLite::Statement query(*impl_->db,
                              "SELECT team_id, installation_id FROM inventory WHERE "
                              "tenant_id = ?1 AND teams_app_id = ?2 AND last_seen < ?3");
      for (const std::string& app : std::set<std::string>(teamsAppIds.begin(), teamsAppIds.end())) {
        query.reset();
        query.bind(1, tenantId);
        query.bind(2, app);
        query.bind(3, toUnixMillis(cutoff));
        while (query.executeStep()) {
          stale.emplace_back(query.getColumn(0).getString(), query.getColumn(1).getString());
        }
      }
    }
    int64_t removed = 0;
    for (const auto& [team, installation] : stale) {
      if (impl_->removeInstallation(tenantId, team, installation)) ++removed;
    }
    tx.commit();
    return removed;
  });
}

Result<std::vector<TeamInstallation>> Store::installationsOfApp(const std::string& tenantId,
                                                                const std::string& teamsAppId) {
  return guarded("reading the inventory", [&]() -> Result<std::vector<TeamInstallation>> {
    SQLite::Statement query(*impl_->db, std::string("SELECT ") + kInstallationColumns +
                                            " FROM inventory WHERE tenant_id = ?1 AND "
                                            "teams_app_id = ?2 ORDER BY team_id, installation_id");
    query.bind(1, tenantId);
    query.bind(2, teamsAppId);
    std::vector<TeamInstallation> found;
    while (query.executeStep()) found.push_back(readInstallation(query));
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
