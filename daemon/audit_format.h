// How `appkeeper audit` prints audit records: JSON Lines (one object per record; the keys time,
// event, tenantId, teamId, installationId, teamsAppId, fromVersion, toVersion, outcome,
// httpStatus, requestId, attempt, detail, permissions are a contract, plus id and jobId) or an
// aligned table. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "store/store.h"

namespace appkeeper::daemon {

// permissions: [{"permissionValue": ..., "permissionType": ...}] (Graph's own shape);
// time: RFC 3339 UTC with milliseconds; jobId: null when the record is not about a job.
nlohmann::json auditToJson(const store::AuditRecord& record);

void writeAuditJsonl(std::ostream& out, const std::vector<store::AuditRecord>& records);
// Columns TIME EVENT OUTCOME APP TEAM VERSION HTTP ATTEMPT DETAIL (the installation id and
// request id are in the jsonl form).
void writeAuditTable(std::ostream& out, const std::vector<store::AuditRecord>& records);

}  // namespace appkeeper::daemon
