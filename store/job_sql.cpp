#include "store/job_sql.h"

namespace appkeeper::store {

const std::string& jobColumns() {
  static const std::string kColumns =
      "id, tenant_id, team_id, installation_id, teams_app_id, from_version, target_version, "
      "inbox_id, state, attempt, run_at, lease_until, created_at, last_error, lease_owner";
  return kColumns;
}

const std::string& claimJobSql() {
  // due_at is run_at while queued and lease_until while running, so one range over the partial
  // index finds both due work and expired leases, already in (due_at, id) order. Without
  // statistics the planner prefers jobs_state (state IN ..) plus a sort; INDEXED BY pins the
  // right plan, and makes the prepare fail loudly should the index ever stop matching.
  static const std::string kSql =
      "UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = ?1, "
      "lease_until = ?2, due_at = ?2, updated_at = ?3 "
      "WHERE id = (SELECT id FROM jobs INDEXED BY jobs_due "
      "WHERE state IN ('queued', 'running') AND due_at <= ?3 "
      "ORDER BY due_at, id LIMIT 1) RETURNING " +
      jobColumns();
  return kSql;
}

Job readJob(const SQLite::Statement& row, int first) {
  const auto col = [&](int i) { return row.getColumn(first + i); };
  Job job;
  job.id = col(0).getInt64();
  job.spec.tenantId = col(1).getString();
  job.spec.teamId = col(2).getString();
  job.spec.installationId = col(3).getString();
  job.spec.teamsAppId = col(4).getString();
  job.spec.fromVersion = col(5).getString();
  job.spec.targetVersion = col(6).getString();
  if (!col(7).isNull()) job.spec.inboxId = col(7).getInt64();
  // The CHECK constraint admits only known states.
  job.state = jobStateFromString(col(8).getString()).value_or(JobState::kFailed);
  job.attempt = col(9).getInt();
  job.runAt = fromUnixMillis(col(10).getInt64());
  job.leaseUntil = fromUnixMillis(col(11).getInt64());
  job.createdAt = fromUnixMillis(col(12).getInt64());
  job.lastError = col(13).getString();
  job.leaseOwner = col(14).getString();
  return job;
}

}  // namespace appkeeper::store

namespace appkeeper::store {

AuditRecord auditForJob(const Job& job, AuditRecord audit) {
  const auto fill = [](std::string& field, const std::string& value) {
    if (field.empty()) field = value;
  };
  fill(audit.event, "upgrade");
  fill(audit.tenantId, job.spec.tenantId);
  fill(audit.teamId, job.spec.teamId);
  fill(audit.installationId, job.spec.installationId);
  fill(audit.teamsAppId, job.spec.teamsAppId);
  fill(audit.fromVersion, job.spec.fromVersion);
  fill(audit.toVersion, job.spec.targetVersion);
  if (!audit.jobId) audit.jobId = job.id;
  if (audit.attempt == 0) audit.attempt = job.attempt;
  return audit;
}

}  // namespace appkeeper::store
