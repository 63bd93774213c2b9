// The job state machine: claim order, leases, retries, terminal and blocked states (released one
// app at a time or all at once after a login), duplicates, an installation's latest job.
#include <catch2/catch.hpp>

#include "store_test_support.h"

namespace appkeeper::store::testing {
namespace {

struct Queue {
  FakeClock clock;
  std::unique_ptr<Store> store = openOk(":memory:", clock);

  Job claim(const std::string& owner, std::chrono::milliseconds lease = 30s) {
    auto claimed = must(store->claimJob(owner, lease));
    REQUIRE(claimed.has_value());
    return *claimed;
  }
  bool nothingToClaim(const std::string& owner = "probe") {
    auto claimed = must(store->claimJob(owner, 30s));
    if (claimed) {
      // Put it back so the probe does not change the state under test.
      must(store->releaseJob(claimed->id, owner));
    }
    return !claimed.has_value();
  }
};

}  // namespace

TEST_CASE("jobs are claimed by due time first, then by id", "[store]") {
  Queue q;
  REQUIRE(must(q.store->enqueue({spec("a"), spec("b"), spec("c")})) == 3);
  const WallTime t0 = q.clock.now();
  const Job a = q.claim("w");
  CHECK(a.spec.teamId == "a");
  must(q.store->retryJob(a.id, "w", t0 + 5s, audit("retrying")));
  const Job b = q.claim("w");
  CHECK(b.spec.teamId == "b");
  must(q.store->retryJob(b.id, "w", t0 + 3s, audit("retrying")));

  q.clock.advance(10s);
  CHECK(q.claim("w").spec.teamId == "c");  // due at t0
  CHECK(q.claim("w").spec.teamId == "b");  // due at t0 + 3 s
  CHECK(q.claim("w").spec.teamId == "a");  // due at t0 + 5 s
  CHECK(q.nothingToClaim());
}

TEST_CASE(
    "a claimed job is invisible to other claimers until its lease expires, then it is "
    "claimed again with attempt + 1",
    "[store]") {
  Queue q;
  must(q.store->enqueue({spec("a")}));
  const Job first = q.claim("worker-a", 30s);
  CHECK(first.state == JobState::kRunning);
  CHECK(first.attempt == 1);
  CHECK(first.leaseOwner == "worker-a");
  CHECK(first.leaseUntil == q.clock.now() + 30s);

  CHECK_FALSE(must(q.store->claimJob("worker-b", 30s)).has_value());
  q.clock.advance(29'999ms);
  CHECK_FALSE(must(q.store->claimJob("worker-b", 30s)).has_value());

  q.clock.advance(1ms);  // worker-a crashed: its lease runs out
  const Job second = q.claim("worker-b", 30s);
  CHECK(second.id == first.id);
  CHECK(second.attempt == 2);
  CHECK(second.leaseOwner == "worker-b");
}

TEST_CASE("a worker that lost its lease cannot finish, retry, release or extend the job",
          "[store]") {
  Queue q;
  must(q.store->enqueue({spec("a")}));
  const Job job = q.claim("worker-a", 30s);
  q.clock.advance(31s);
  q.claim("worker-b", 30s);

  const auto isLeaseLost = [](const Status& s) {
    return !s.ok() && s.error().kind == ErrorKind::kPermanent &&
           s.error().message.find("lease lost") != std::string::npos;
  };
  CHECK(
      isLeaseLost(q.store->finishJob(job.id, "worker-a", JobState::kSucceeded, audit("upgraded"))));
  CHECK(isLeaseLost(q.store->retryJob(job.id, "worker-a", q.clock.now(), audit("retrying"))));
  CHECK(isLeaseLost(q.store->releaseJob(job.id, "worker-a")));
  CHECK(isLeaseLost(q.store->extendLease(job.id, "worker-a", 30s)));

  const Job now = *must(q.store->job(job.id));
  CHECK(now.state == JobState::kRunning);
  CHECK(now.leaseOwner == "worker-b");
  AuditFilter byJob;
  byJob.jobId = job.id;
  CHECK(must(q.store->queryAudit(byJob)).empty());  // the refused finish wrote no audit either

  must(q.store->finishJob(job.id, "worker-b", JobState::kSucceeded, audit("upgraded")));
  CHECK(must(q.store->job(job.id))->state == JobState::kSucceeded);
}

TEST_CASE("a retried job is queued again at run_at and is not claimable before it", "[store]") {
  Queue q;
  must(q.store->enqueue({spec("a")}));
  const Job job = q.claim("w");
  const WallTime runAt = q.clock.now() + 60s;
  must(q.store->retryJob(job.id, "w", runAt, audit("retrying", "Graph answered 503")));

  const Job queued = *must(q.store->job(job.id));
  CHECK(queued.state == JobState::kQueued);
  CHECK(queued.runAt == runAt);
  CHECK(queued.lastError == "Graph answered 503");
  CHECK(must(q.store->nextJobDue()) == runAt);

  q.clock.advance(59'999ms);
  CHECK(q.nothingToClaim());
  q.clock.advance(1ms);
  const Job again = q.claim("w");
  CHECK(again.id == job.id);
  CHECK(again.attempt == 2);
}

TEST_CASE("succeeded, skipped and failed jobs are terminal", "[store]") {
  const JobState terminal = GENERATE(JobState::kSucceeded, JobState::kSkipped, JobState::kFailed);
  Queue q;
  must(q.store->enqueue({spec("a")}));
  const Job job = q.claim("w");
  must(q.store->finishJob(job.id, "w", terminal, audit("whatever")));

  CHECK(must(q.store->job(job.id))->state == terminal);
  q.clock.advance(std::chrono::hours(24 * 365));
  CHECK(q.nothingToClaim());
  CHECK_FALSE(must(q.store->nextJobDue()).has_value());
  CHECK_FALSE(q.store->finishJob(job.id, "w", JobState::kSucceeded, audit("upgraded")).ok());
  CHECK(must(q.store->unblockJobs("app-1")) == 0);
  // A duplicate of a finished job is not resurrected.
  CHECK(must(q.store->enqueue({spec("a")})) == 0);
}

TEST_CASE("finishJob refuses a state that is not terminal or blocked", "[store]") {
  Queue q;
  must(q.store->enqueue({spec("a")}));
  const Job job = q.claim("w");
  const Status s = q.store->finishJob(job.id, "w", JobState::kQueued, audit("x"));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == ErrorKind::kInternal);
  CHECK(must(q.store->job(job.id))->state == JobState::kRunning);
}

TEST_CASE("blocked jobs are not claimable until unblockJobs releases them", "[store]") {
  Queue q;
  must(q.store->enqueue({spec("a", "2.0.0", "rsc-app")}));
  const Job job = q.claim("w");
  must(q.store->finishJob(job.id, "w", JobState::kBlocked,
                          audit("needs-delegated-consent", "the app needs delegated consent")));
  CHECK(must(q.store->job(job.id))->lastError == "the app needs delegated consent");
  q.clock.advance(std::chrono::hours(1));
  CHECK(q.nothingToClaim());
  CHECK_FALSE(must(q.store->nextJobDue()).has_value());

  CHECK(must(q.store->unblockJobs("another-app")) == 0);
  CHECK(must(q.store->unblockJobs("rsc-app")) == 1);
  const Job again = q.claim("w");
  CHECK(again.id == job.id);
  CHECK(again.attempt == 2);
}

TEST_CASE("a duplicate enqueue of the unique key inserts nothing and reports zero new", "[store]") {
  Queue q;
  CHECK(must(q.store->enqueue({spec("a"), spec("b")})) == 2);
  CHECK(must(q.store->enqueue({spec("a"), spec("b")})) == 0);
  CHECK(must(q.store->enqueue({spec("a"), spec("c"), spec("c")})) == 1);  // dup within a batch
  CHECK(must(q.store->enqueue({spec("a", "3.0.0")})) == 1);               // a new target is new
  CHECK(must(q.store->listJobs(std::nullopt, 0)).size() == 4);
}

TEST_CASE("thousands of jobs enqueue in one call and list in id order", "[store]") {
  Queue q;
  std::vector<JobSpec> batch;
  for (int i = 0; i < 5000; ++i) batch.push_back(spec("team-" + std::to_string(i)));
  CHECK(must(q.store->enqueue(batch)) == 5000);
  const auto firstTen = must(q.store->listJobs(JobState::kQueued, 10));
  REQUIRE(firstTen.size() == 10);
  CHECK(firstTen.front().spec.teamId == "team-0");
  CHECK(firstTen.back().spec.teamId == "team-9");
  CHECK(must(q.store->jobCounts()).at(JobState::kQueued) == 5000);
}

TEST_CASE("releasing a job puts it back due now without counting the attempt", "[store]") {
  Queue q;
  must(q.store->enqueue({spec("a"), spec("b")}));
  const Job a = q.claim("w");
  must(q.store->releaseJob(a.id, "w"));
  const Job released = *must(q.store->job(a.id));
  CHECK(released.state == JobState::kQueued);
  CHECK(released.attempt == 0);
  const Job again = q.claim("w");  // back at its old place, ahead of b
  CHECK(again.id == a.id);
  CHECK(again.attempt == 1);
}

TEST_CASE("extending a lease keeps the job from other claimers past the first expiry", "[store]") {
  Queue q;
  must(q.store->enqueue({spec("a")}));
  const Job job = q.claim("worker-a", 30s);
  q.clock.advance(20s);
  must(q.store->extendLease(job.id, "worker-a", 30s));
  CHECK(must(q.store->job(job.id))->leaseUntil == q.clock.now() + 30s);
  q.clock.advance(20s);  // past the original lease
  CHECK_FALSE(must(q.store->claimJob("worker-b", 30s)).has_value());
  q.clock.advance(10s);
  CHECK(q.claim("worker-b").id == job.id);
}

TEST_CASE("jobCounts reports every state and nextJobDue tracks run_at and lease expiry",
          "[store]") {
  Queue q;
  CHECK_FALSE(must(q.store->nextJobDue()).has_value());
  for (const auto& [state, count] : must(q.store->jobCounts())) {
    INFO(toString(state));
    CHECK(count == 0);
  }
  CHECK(must(q.store->jobCounts()).size() == 6);

  const WallTime t0 = q.clock.now();
  must(q.store->enqueue({spec("a"), spec("b"), spec("c"), spec("d")}));
  CHECK(must(q.store->nextJobDue()) == t0);
  const Job a = q.claim("w", 30s);
  const Job b = q.claim("w", 30s);
  const Job c = q.claim("w", 30s);
  const Job d = q.claim("w", 30s);
  must(q.store->finishJob(a.id, "w", JobState::kSucceeded, audit("upgraded")));
  must(q.store->finishJob(b.id, "w", JobState::kFailed, audit("failed")));
  must(q.store->retryJob(c.id, "w", t0 + 90s, audit("retrying")));

  auto counts = must(q.store->jobCounts());
  CHECK(counts.at(JobState::kSucceeded) == 1);
  CHECK(counts.at(JobState::kFailed) == 1);
  CHECK(counts.at(JobState::kQueued) == 1);
  CHECK(counts.at(JobState::kRunning) == 1);
  CHECK(counts.at(JobState::kSkipped) == 0);
  CHECK(counts.at(JobState::kBlocked) == 0);
  CHECK(must(q.store->nextJobDue()) == t0 + 30s);  // d's lease expires before c is due
  must(q.store->finishJob(d.id, "w", JobState::kSkipped, audit("skipped")));
  CHECK(must(q.store->nextJobDue()) == t0 + 90s);
}

TEST_CASE("a job's state change commits with an audit record filled from the job", "[store]") {
  Queue q;
  must(q.store->enqueue({spec("a")}));
  const Job job = q.claim("w");
  AuditRecord record = audit("upgraded");
  record.httpStatus = 204;
  record.requestId = "req-1";
  must(q.store->finishJob(job.id, "w", JobState::kSucceeded, record));

  AuditFilter byJob;
  byJob.jobId = job.id;
  const auto records = must(q.store->queryAudit(byJob));
  REQUIRE(records.size() == 1);
  const AuditRecord& r = records.front();
  CHECK(r.event == "upgrade");
  CHECK(r.outcome == "upgraded");
  CHECK(r.tenantId == "tenant-1");
  CHECK(r.teamId == "a");
  CHECK(r.installationId == "inst-a");
  CHECK(r.teamsAppId == "app-1");
  CHECK(r.fromVersion == "1.0.0");
  CHECK(r.toVersion == "2.0.0");
  CHECK(r.attempt == 1);
  CHECK(r.httpStatus == 204);
  CHECK(r.requestId == "req-1");
  CHECK(r.time == q.clock.now());
}

TEST_CASE(
    "unblockAllJobs queues every blocked job due now, each with a released audit record naming "
    "the job",
    "[store]") {
  Queue q;
  must(q.store->enqueue({spec("a", "2.0.0", "rsc-1"), spec("b", "2.0.0", "rsc-2"), spec("c")}));
  for (int i = 0; i < 2; ++i) {
    const Job job = q.claim("w");
    must(q.store->finishJob(job.id, "w", JobState::kBlocked,
                            audit("needs-delegated-consent", "run appkeeper login")));
  }
  q.clock.advance(1h);
  const WallTime releasedAt = q.clock.now();

  CHECK(must(q.store->unblockAllJobs("signed in as admin@contoso")) == 2);

  for (const Job& job : must(q.store->listJobs(JobState::kQueued, 0))) {
    // The released ones are due now; the never-blocked one keeps its place.
    CHECK(job.runAt == (job.spec.teamId == "c" ? releasedAt - 1h : releasedAt));
  }
  const auto counts = must(q.store->jobCounts());
  CHECK(counts.at(JobState::kBlocked) == 0);
  CHECK(counts.at(JobState::kQueued) == 3);
  AuditFilter released;
  released.outcome = "released";
  const auto records = must(q.store->queryAudit(released));
  REQUIRE(records.size() == 2);
  CHECK(records[0].event == "upgrade");
  CHECK(records[0].detail == "signed in as admin@contoso");
  CHECK(records[0].teamId == "a");
  CHECK(records[0].teamsAppId == "rsc-1");
  CHECK(records[0].installationId == "inst-a");
  CHECK(records[0].fromVersion == "1.0.0");
  CHECK(records[0].toVersion == "2.0.0");
  CHECK(records[0].attempt == 1);
  CHECK(records[0].time == releasedAt);
  REQUIRE(records[0].jobId.has_value());
  CHECK(must(q.store->job(*records[0].jobId))->spec.teamId == "a");
  CHECK(records[1].teamId == "b");

  CHECK(must(q.store->unblockAllJobs("again")) == 0);  // nothing blocked: nothing audited
  CHECK(must(q.store->queryAudit(released)).size() == 2);
}

TEST_CASE("latestJobForInstallation returns the newest job of that installation in any state",
          "[store]") {
  Queue q;
  CHECK_FALSE(must(q.store->latestJobForInstallation("tenant-1", "a", "inst-a")).has_value());
  must(q.store->enqueue({spec("a", "2.0.0"), spec("b", "9.0.0")}));
  const Job first = q.claim("w");
  must(q.store->finishJob(first.id, "w", JobState::kSucceeded, audit("upgraded")));
  must(q.store->enqueue({spec("a", "3.0.0"), spec("b", "9.1.0")}));

  const auto latest = must(q.store->latestJobForInstallation("tenant-1", "a", "inst-a"));
  REQUIRE(latest);
  CHECK(latest->spec.targetVersion == "3.0.0");
  CHECK(latest->state == JobState::kQueued);
  CHECK_FALSE(must(q.store->latestJobForInstallation("tenant-2", "a", "inst-a")).has_value());
  CHECK_FALSE(must(q.store->latestJobForInstallation("tenant-1", "b", "inst-a")).has_value());
}

}  // namespace appkeeper::store::testing
