// Schema migrations of the store (internal to store/): an ordered list of steps, step i taking
// the database from PRAGMA user_version i to i + 1, each applied in its own IMMEDIATE transaction
// so a failed step leaves the file at the last good version. See schema.cpp for the tables.
// Borrows the connection for the call only. Not thread-safe (one connection = one thread).
// Errors: a database newer than `steps` is kPermanent naming both versions; SQLite failures are
// mapped by sqlite_error.h.
#pragma once

#include <SQLiteCpp/Database.h>

#include <span>
#include <string_view>

#include "common/result.h"

namespace appkeeper::store {

struct MigrationStep {
  std::string_view description;
  std::string_view sql;  // one or more statements, run with sqlite3_exec
  // Optional: data work SQL cannot do (schema 3 hashes the audit rows), then more SQL. Both run
  // after `sql` in the same transaction; a throw rolls the whole step back.
  void (*backfill)(SQLite::Database&) = nullptr;
  std::string_view sqlAfter = {};
};

// The steps of this binary; latest version = kMigrations.size().
std::span<const MigrationStep> migrations();

// Brings `db` up to steps.size(); returns the resulting user_version. Re-reads the version inside
// each transaction, so two processes migrating one file at once do not apply a step twice.
Result<int> migrate(SQLite::Database& db, std::span<const MigrationStep> steps);

// PRAGMA user_version.
int userVersion(SQLite::Database& db);

}  // namespace appkeeper::store
