// The one delegated credential (the sealed refresh token of `appkeeper login`). The store keeps
// opaque sealed text; unsealing is the daemon's (daemon/credential_vault.h). Nothing here logs or
// puts the sealed value in an error message.
#include <SQLiteCpp/Transaction.h>

#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {

Status Store::putDelegatedCredential(const DelegatedCredential& credential) {
  return guarded("saving the delegated credential", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("saving the delegated credential")) {
      return *refused;
    }
    SQLite::Statement put(*impl_->db,
                          "INSERT INTO delegated_credential (id, sealed, account, stored_at, "
                          "invalid_reason) VALUES (1, ?1, ?2, ?3, '') ON CONFLICT (id) DO UPDATE "
                          "SET sealed = excluded.sealed, account = excluded.account, "
                          "stored_at = excluded.stored_at, invalid_reason = ''");
    put.bind(1, credential.sealed);
    put.bind(2, credential.account);
    put.bind(
        3, credential.storedAt == WallTime{} ? impl_->nowMs() : toUnixMillis(credential.storedAt));
    put.exec();
    return Ok{};
  });
}

Result<std::optional<DelegatedCredential>> Store::delegatedCredential() {
  return guarded("reading the delegated credential",
                 [&]() -> Result<std::optional<DelegatedCredential>> {
                   SQLite::Statement query(*impl_->db,
                                           "SELECT sealed, account, stored_at, invalid_reason "
                                           "FROM delegated_credential WHERE id = 1");
                   if (!query.executeStep()) return std::optional<DelegatedCredential>();
                   DelegatedCredential c;
                   c.sealed = query.getColumn(0).getString();
                   c.account = query.getColumn(1).getString();
                   c.storedAt = fromUnixMillis(query.getColumn(2).getInt64());
                   c.invalidReason = query.getColumn(3).getString();
                   return std::optional<DelegatedCredential>(std::move(c));
                 });
}

Status Store::invalidateDelegatedCredential(const std::string& reason) {
  return guarded("invalidating the delegated credential", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("invalidating the delegated credential")) {
      return *refused;
    }
    SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    // Only a usable credential changes: several workers hitting invalid_grant at once leave one
    // audit record, with the first reason.
    SQLite::Statement invalidate(*impl_->db,
                                 "UPDATE delegated_credential SET invalid_reason = ?1 "
                                 "WHERE id = 1 AND invalid_reason = ''");
    // '' means usable, so an unexplained invalidation still needs some text.
    const std::string why = reason.empty() ? std::string("unusable") : reason;
    invalidate.bind(1, why);
    if (invalidate.exec() == 0) return Ok{};  // none stored, or already unusable
    AuditRecord audit;
    audit.event = "login";
    audit.outcome = "login-required";
    audit.detail = why;
    impl_->insertAudit(audit);
    tx.commit();
    return Ok{};
  });
}

}  // namespace appkeeper::store
