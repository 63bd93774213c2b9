// The newest published version the catalog poll has seen per app: how the poll tells a version
// nobody announced (plan it) from one it already planned.
#include <SQLiteCpp/Transaction.h>

#include "common/version.h"
#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {

Result<bool> Store::noteCatalogVersion(const std::string& tenantId, const std::string& teamsAppId,
                                       const std::string& version) {
  return guarded("recording a catalog version", [&]() -> Result<bool> {
    if (auto refused = impl_->refuseIfReadOnly("recording a catalog version")) return *refused;
    if (!isValidVersion(version)) {
      return Error::invalidInput("catalog version '" + version + "' of app '" + teamsAppId +
                                 "' is not a dotted numeric version (e.g. 1.10.0); it was not "
                                 "recorded");
    }
    SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    {
      SQLite::Statement query(*impl_->db,
                              "SELECT version FROM catalog_versions WHERE tenant_id = ?1 AND "
                              "teams_app_id = ?2");
      query.bind(1, tenantId);
      query.bind(2, teamsAppId);
      if (query.executeStep()) {
        // Text order would put 1.10.0 before 1.9.0; compare numerically. A recorded value that
        // does not parse (written by hand) is replaced rather than trusted.
        const auto order = compareVersions(version, query.getColumn(0).getString());
        if (order && *order <= 0) return false;  // nothing written: the transaction rolls back
      }
    }
    SQLite::Statement note(*impl_->db,
                           "INSERT INTO catalog_versions (tenant_id, teams_app_id, version, "
                           "seen_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, teams_app_id) "
                           "DO UPDATE SET version = excluded.version, seen_at = excluded.seen_at");
    note.bind(1, tenantId);
    note.bind(2, teamsAppId);
    note.bind(3, version);
    note.bind(4, impl_->nowMs());
    note.exec();
    tx.commit();
    return true;
  });
}

}  // namespace appkeeper::store
