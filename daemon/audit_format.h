// How `appkeeper audit` prints audit records: JSON Lines (one object per record; the keys time,
// event, tenantId, teamId, installationId, teamsAppId, fromVersion, toVersion, outcome,
// httpStatus, requestId, attempt, detail, permissions are a contract, plus id, jobId and the hash
// chain's prevHash and hash) or an aligned table; and the report of `appkeeper audit verify`.
// `audit export` writes the same JSON Lines. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "store/store.h"

namespace appkeeper::daemon {

// permissions: [{"permissionValue": ..., "permissionType": ...}] (Graph's own shape);
// time: RFC 3339 UTC with milliseconds; jobId: null when the record is not about a job;
// prevHash, hash: 64 lowercase hex digits.
nlohmann::json auditToJson(const store::AuditRecord& record);

// One record as one line (invalid UTF-8 replaced, never an exception).
void writeAuditJsonLine(std::ostream& out, const store::AuditRecord& record);
void writeAuditJsonl(std::ostream& out, const std::vector<store::AuditRecord>& records);
// Columns TIME EVENT OUTCOME APP TEAM VERSION HTTP ATTEMPT DETAIL (the installation id and
// request id are in the jsonl form).
void writeAuditTable(std::ostream& out, const std::vector<store::AuditRecord>& records);

// "audit chain ok: 12,345 records, last hash <64 hex>" or "audit chain broken at record 42
// (<time>, <event>): <kind>: <reason>" followed by how many records verified before it.
void writeAuditChainReport(std::ostream& out, const store::AuditChainReport& report);

}  // namespace appkeeper::daemon
