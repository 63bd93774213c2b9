// SQL of the job queue and the mapping of its rows (internal to store/, exposed to the store
// tests so they can EXPLAIN the claim). Stateless.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <string>

#include "store/store.h"

namespace appkeeper::store {

// The columns every job query returns, in the order readJob expects.
const std::string& jobColumns();

// The claim: one atomic UPDATE .. RETURNING of the oldest due row. Parameters: ?1 owner,
// ?2 lease_until, ?3 now. Its subquery is served by the partial index jobs_due (no sort).
const std::string& claimJobSql();

// Reads a row selected with jobColumns() at column `first`.
Job readJob(const SQLite::Statement& row, int first = 0);

}  // namespace appkeeper::store

namespace appkeeper::store {

// `audit` with its empty identity fields, jobId and a zero attempt filled from `job`.
AuditRecord auditForJob(const Job& job, AuditRecord audit);

}  // namespace appkeeper::store
