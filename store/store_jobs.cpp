// The upgrade job queue: enqueue, the atomic claim, lease-checked state changes (each with its
// audit record in the same IMMEDIATE transaction), and queries.
#include <SQLiteCpp/Transaction.h>

#include "store/job_sql.h"
#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {
namespace {

using SQLite::TransactionBehavior;

Error leaseLost(int64_t jobId, const std::string& owner) {
  return Error::permanent("job " + std::to_string(jobId) + " is no longer leased by '" + owner +
                          "' (lease lost: it expired and another worker claimed the job, or the "
                          "job already finished); this result is dropped");
}

bool finishable(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kSkipped || s == JobState::kFailed ||
         s == JobState::kBlocked;
}

int64_t millis(std::chrono::milliseconds d) { return static_cast<int64_t>(d.count()); }

}  // namespace

size_t Store::Impl::insertJobs(const std::vector<JobSpec>& jobs, std::optional<int64_t> inboxId) {
  StatementUse insert(prepared(
      cached.insertJob,
      "INSERT INTO jobs (tenant_id, team_id, installation_id, teams_app_id, from_version, "
      "target_version, inbox_id, state, run_at, due_at, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?8, ?8, ?8) ON CONFLICT DO NOTHING"));
  const int64_t now = nowMs();
  size_t added = 0;
  for (const JobSpec& spec : jobs) {
    insert->reset();
    insert->bind(1, spec.tenantId);
    insert->bind(2, spec.teamId);
    insert->bind(3, spec.installationId);
    insert->bind(4, spec.teamsAppId);
    insert->bind(5, spec.fromVersion);
    insert->bind(6, spec.targetVersion);
    if (auto inbox = spec.inboxId ? spec.inboxId : inboxId) {
      insert->bind(7, *inbox);
    } else {
      insert->bind(7);
    }
    insert->bind(8, now);
    added += static_cast<size_t>(insert->exec());
  }
  return added;
}

Result<size_t> Store::enqueue(const std::vector<JobSpec>& jobs) {
  return guarded("enqueueing jobs", [&]() -> Result<size_t> {
    if (auto refused = impl_->refuseIfReadOnly("enqueueing jobs")) return *refused;
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    const size_t added = impl_->insertJobs(jobs, std::nullopt);
    tx.commit();
    return added;
  });
}

Result<std::optional<Job>> Store::claimJob(const std::string& owner,
                                           std::chrono::milliseconds lease) {
  return guarded("claiming a job", [&]() -> Result<std::optional<Job>> {
    if (auto refused = impl_->refuseIfReadOnly("claiming a job")) return *refused;
    const int64_t now = impl_->nowMs();
    {
      // A read first: an idle worker polls every 200 ms, and its write transaction would take
      // SQLite's write lock only to find nothing, making the inbound writer (whose 202s wait for
      // their commit) sleep in the busy handler behind it. Nothing due now is what the claim
      // would have answered; a job that becomes due meanwhile is claimed on the next poll.
      const std::optional<int64_t> first = impl_->firstJobDueMs();
      if (!first || *first > now) return std::optional<Job>();
    }
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    std::optional<Job> claimed;
    {
      StatementUse claim(impl_->prepared(impl_->cached.claimJob, claimJobSql().c_str()));
      claim->bind(1, owner);
      claim->bind(2, now + millis(lease));
      claim->bind(3, now);
      if (claim->executeStep()) claimed = readJob(*claim);
      runToCompletion(*claim);
    }
    tx.commit();
    return claimed;
  });
}

Status Store::extendLease(int64_t jobId, const std::string& owner,
                          std::chrono::milliseconds lease) {
  return guarded("extending a job lease", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("extending a job lease")) return *refused;
    const int64_t now = impl_->nowMs();
    // One UPDATE commits atomically on its own.
    SQLite::Statement extend(*impl_->db,
                             "UPDATE jobs SET lease_until = ?1, due_at = ?1, updated_at = ?2 "
                             "WHERE id = ?3 AND state = 'running' AND lease_owner = ?4");
    extend.bind(1, now + millis(lease));
    extend.bind(2, now);
    extend.bind(3, jobId);
    extend.bind(4, owner);
    if (extend.exec() == 0) return leaseLost(jobId, owner);
    return Ok{};
  });
}

Status Store::finishJob(int64_t jobId, const std::string& owner, JobState state,
                        const AuditRecord& audit) {
  return guarded("finishing a job", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("finishing a job")) return *refused;
    if (!finishable(state)) {
      return Error::internal(std::string("finishJob needs succeeded, skipped, failed or blocked, "
                                         "not ") +
                             toString(state) + "; use retryJob or releaseJob");
    }
    const bool keepsError = state == JobState::kFailed || state == JobState::kBlocked;
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    std::optional<Job> job;
    {
      static const std::string kSql =
          "UPDATE jobs SET state = ?1, due_at = NULL, updated_at = ?2, "
          "last_error = CASE WHEN ?3 THEN ?4 ELSE last_error END "
          "WHERE id = ?5 AND state = 'running' AND lease_owner = ?6 RETURNING " +
          jobColumns();
      StatementUse finish(impl_->prepared(impl_->cached.finishJob, kSql.c_str()));
      finish->bind(1, toString(state));
      finish->bind(2, impl_->nowMs());
      finish->bind(3, keepsError ? 1 : 0);
      finish->bind(4, audit.detail);
      finish->bind(5, jobId);
      finish->bind(6, owner);
      if (finish->executeStep()) job = readJob(*finish);
      runToCompletion(*finish);
    }
    if (!job) return leaseLost(jobId, owner);  // nothing changed; the transaction rolls back
    impl_->insertAudit(auditForJob(*job, audit));
    tx.commit();
    return Ok{};
  });
}

Status Store::retryJob(int64_t jobId, const std::string& owner, WallTime runAt,
                       const AuditRecord& audit) {
  return guarded("scheduling a job retry", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("scheduling a job retry")) return *refused;
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    std::optional<Job> job;
    {
      static const std::string kSql =
          "UPDATE jobs SET state = 'queued', run_at = ?1, due_at = ?1, lease_until = 0, "
          "updated_at = ?2, last_error = ?3 "
          "WHERE id = ?4 AND state = 'running' AND lease_owner = ?5 RETURNING " +
          jobColumns();
      StatementUse retry(impl_->prepared(impl_->cached.retryJob, kSql.c_str()));
      retry->bind(1, toUnixMillis(runAt));
      retry->bind(2, impl_->nowMs());
      retry->bind(3, audit.detail);
      retry->bind(4, jobId);
      retry->bind(5, owner);
      if (retry->executeStep()) job = readJob(*retry);
      runToCompletion(*retry);
    }
    if (!job) return leaseLost(jobId, owner);
    impl_->insertAudit(auditForJob(*job, audit));
    tx.commit();
    return Ok{};
  });
}

Status Store::releaseJob(int64_t jobId, const std::string& owner) {
  return guarded("releasing a job", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("releasing a job")) return *refused;
    // Back to its old place in the queue (due_at = run_at, which had passed when it was
    // claimed), and the attempt it never really made is not counted.
    SQLite::Statement release(
        *impl_->db,
        "UPDATE jobs SET state = 'queued', attempt = MAX(attempt - 1, 0), lease_until = 0, "
        "due_at = MIN(run_at, ?1), updated_at = ?1 "
        "WHERE id = ?2 AND state = 'running' AND lease_owner = ?3");
    release.bind(1, impl_->nowMs());
    release.bind(2, jobId);
    release.bind(3, owner);
    if (release.exec() == 0) return leaseLost(jobId, owner);
    return Ok{};
  });
}

Result<size_t> Store::unblockJobs(const std::string& teamsAppId) {
  return guarded("unblocking jobs", [&]() -> Result<size_t> {
    if (auto refused = impl_->refuseIfReadOnly("unblocking jobs")) return *refused;
    SQLite::Statement unblock(*impl_->db,
                              "UPDATE jobs SET state = 'queued', run_at = ?1, due_at = ?1, "
                              "updated_at = ?1 WHERE teams_app_id = ?2 AND state = 'blocked'");
    unblock.bind(1, impl_->nowMs());
    unblock.bind(2, teamsAppId);
    return static_cast<size_t>(unblock.exec());
  });
}

Result<size_t> Store::unblockAllJobs(const std::string& why) {
  return guarded("releasing blocked jobs", [&]() -> Result<size_t> {
    if (auto refused = impl_->refuseIfReadOnly("releasing blocked jobs")) return *refused;
    const int64_t now = impl_->nowMs();
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    std::vector<Job> released;
    {
      SQLite::Statement unblock(*impl_->db,
                                "UPDATE jobs SET state = 'queued', run_at = ?1, due_at = ?1, "
                                "updated_at = ?1 WHERE state = 'blocked' RETURNING " +
                                    jobColumns());
      unblock.bind(1, now);
      while (unblock.executeStep()) released.push_back(readJob(unblock));
    }
    for (const Job& job : released) {
      AuditRecord audit;
      audit.outcome = "released";
      audit.detail = why;
      impl_->insertAudit(auditForJob(job, audit));
    }
    tx.commit();
    return released.size();
  });
}

Result<std::optional<Job>> Store::latestJobForInstallation(const std::string& tenantId,
                                                           const std::string& teamId,
                                                           const std::string& installationId) {
  return guarded("finding an installation's latest job", [&]() -> Result<std::optional<Job>> {
    // jobs_installation ends in the rowid, so the newest is its last entry: no sort. Prepared
    // once: the planner asks for every notification it plans.
    static const std::string sql = "SELECT " + jobColumns() +
                                   " FROM jobs WHERE tenant_id = ?1 AND team_id = ?2 "
                                   "AND installation_id = ?3 ORDER BY id DESC LIMIT 1";
    StatementUse query(impl_->prepared(impl_->cached.latestJobForInstallation, sql.c_str()));
    query->bind(1, tenantId);
    query->bind(2, teamId);
    query->bind(3, installationId);
    if (!query->executeStep()) return std::optional<Job>();
    return std::optional<Job>(readJob(*query));
  });
}

Result<std::optional<Job>> Store::job(int64_t id) {
  return guarded("reading a job", [&]() -> Result<std::optional<Job>> {
    SQLite::Statement query(*impl_->db, "SELECT " + jobColumns() + " FROM jobs WHERE id = ?1");
    query.bind(1, id);
    if (!query.executeStep()) return std::optional<Job>();
    return std::optional<Job>(readJob(query));
  });
}

Result<std::vector<Job>> Store::listJobs(std::optional<JobState> state, size_t limit) {
  return guarded("listing jobs", [&]() -> Result<std::vector<Job>> {
    std::string sql = "SELECT " + jobColumns() + " FROM jobs";
    if (state) sql += " WHERE state = :state";
    sql += " ORDER BY id";
    if (limit > 0) sql += " LIMIT :limit";
    SQLite::Statement query(*impl_->db, sql);
    if (state) query.bind(":state", toString(*state));
    if (limit > 0) query.bind(":limit", static_cast<int64_t>(limit));
    std::vector<Job> jobs;
    while (query.executeStep()) jobs.push_back(readJob(query));
    return jobs;
  });
}

Result<std::map<JobState, int64_t>> Store::jobCounts() {
  return guarded("counting jobs", [&]() -> Result<std::map<JobState, int64_t>> {
    std::map<JobState, int64_t> counts;
    for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kSucceeded,
                       JobState::kSkipped, JobState::kFailed, JobState::kBlocked}) {
      counts[s] = 0;
    }
    SQLite::Statement query(*impl_->db, "SELECT state, COUNT(*) FROM jobs GROUP BY state");
    while (query.executeStep()) {
      if (auto s = jobStateFromString(query.getColumn(0).getString())) {
        counts[*s] = query.getColumn(1).getInt64();
      }
    }
    return counts;
  });
}

Result<std::optional<WallTime>> Store::nextJobDue() {
  return guarded("finding the next due job", [&]() -> Result<std::optional<WallTime>> {
    const std::optional<int64_t> first = impl_->firstJobDueMs();
    if (!first) return std::optional<WallTime>();
    return std::optional<WallTime>(fromUnixMillis(*first));
  });
}

std::optional<int64_t> Store::Impl::firstJobDueMs() {
  // Same partial index as the claim: the first entry is the answer.
  StatementUse query(prepared(cached.firstJobDue,
                              "SELECT due_at FROM jobs INDEXED BY jobs_due "
                              "WHERE state IN ('queued', 'running') ORDER BY due_at, id LIMIT 1"));
  if (!query->executeStep()) return std::nullopt;
  return query->getColumn(0).getInt64();
}

}  // namespace appkeeper::store
