// The audit hash chain (internal to store/): how one audit row's hash is computed from its stored
// columns and its predecessor's hash, and the backfill that chains rows written before schema 3.
//
// hash = lowercase hex SHA-256 of the canonical serialization
//   "appkeeper-audit-v1\n" then, for each column of kAuditChainedColumns in that order and then
//   prev_hash (as text): <type><byte length in decimal>:<bytes>,
// where type is i (integer, bytes = its decimal text), t (text), n (NULL, no bytes), r (real) or
// b (blob). Length-prefixed and typed, so no two different rows serialize alike. prev_hash is the
// previous row's (by id) hash, kAuditGenesisHash for the first. The id and recorded_at are part
// of it: moving, renumbering or re-timing a record breaks the chain too.
//
// Pure functions over values, thread-safe; the backfill borrows the connection for the call and
// throws SQLite::Exception like any statement (the migration's transaction rolls it back).
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace appkeeper::store {

// The predecessor of the first record: 64 zeros.
inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The hashed columns, in hashing order; a SELECT of these (then prev_hash, hash) is what
// chainValuesOfRow reads. Never change the list or its order: every stored hash depends on it.
inline constexpr const char* kAuditChainedColumns =
    "id, recorded_at, event, tenant_id, team_id, installation_id, teams_app_id, from_version, "
    "to_version, outcome, http_status, request_id, attempt, detail, permissions, job_id";
inline constexpr int kAuditChainedColumnCount = 16;

// One stored column value as it takes part in the hash.
struct ChainValue {
  char type = 'n';  // 'i', 't', 'n', 'r', 'b' (see above)
  std::string bytes;

  static ChainValue integer(int64_t v) { return {'i', std::to_string(v)}; }
  static ChainValue text(std::string v) { return {'t', std::move(v)}; }
  static ChainValue null() { return {'n', {}}; }
};

// The canonical serialization (exposed so tests can pin it down).
std::string canonicalAuditBytes(std::span<const ChainValue> columns, std::string_view prevHash);
// hex(SHA-256(canonicalAuditBytes(...))).
std::string auditHash(std::span<const ChainValue> columns, std::string_view prevHash);

// Columns 0..15 of `row` (a SELECT starting with kAuditChainedColumns), each with its storage
// type as SQLite reports it, so a value stored with another type than the one hashed (say a text
// '200' in http_status) no longer matches.
std::vector<ChainValue> chainValuesOfRow(const SQLite::Statement& row);

// Schema 3: sets prev_hash and hash of every row, in id order, starting from the genesis value.
// Runs inside the migration's transaction with the audit triggers dropped; reads and writes in
// batches so memory stays constant on a large log.
void backfillAuditChain(SQLite::Database& db);

}  // namespace appkeeper::store
