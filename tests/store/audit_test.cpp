// The audit log: filters, ordering, limits, time and permissions; append-only.
#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>

#include "store_test_support.h"

namespace appkeeper::store::testing {
namespace {

AuditRecord record(const std::string& app, const std::string& team, const std::string& outcome) {
  AuditRecord r;
  r.event = "upgrade";
  r.teamsAppId = app;
  r.teamId = team;
  r.outcome = outcome;
  r.detail = app + "/" + team + "/" + outcome;
  return r;
}

std::vector<std::string> details(const std::vector<AuditRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.detail);
  return out;
}

// Five records one second apart: the third belongs to a job.
struct Log {
  FakeClock clock;
  std::unique_ptr<Store> store = openOk(":memory:", clock);
  WallTime t0 = clock.now();
  int64_t jobId = 0;

  Log() {
    must(store->enqueue({spec("t1")}));
    jobId = must(store->listJobs(std::nullopt, 1)).front().id;
    const std::vector<AuditRecord> records = {
        record("app-1", "t1", "upgraded"), record("app-2", "t1", "failed"),
        record("app-1", "t2", "retrying"), record("app-1", "t2", "upgraded"),
        record("app-2", "t2", "upgraded")};
    for (size_t i = 0; i < records.size(); ++i) {
      AuditRecord r = records[i];
      if (i == 2) r.jobId = jobId;
      must(store->appendAudit(r));
      clock.advance(1s);
    }
  }
  std::vector<std::string> query(const AuditFilter& f) {
    return details(must(store->queryAudit(f)));
  }
};

}  // namespace

TEST_CASE("audit records come oldest first and filter by app, team, outcome, since and job",
          "[store]") {
  Log log;
  AuditFilter all;
  CHECK(log.query(all) == std::vector<std::string>{"app-1/t1/upgraded", "app-2/t1/failed",
                                                   "app-1/t2/retrying", "app-1/t2/upgraded",
                                                   "app-2/t2/upgraded"});
  AuditFilter byApp;
  byApp.teamsAppId = "app-2";
  CHECK(log.query(byApp) == std::vector<std::string>{"app-2/t1/failed", "app-2/t2/upgraded"});
  AuditFilter byTeamAndOutcome;
  byTeamAndOutcome.teamId = "t2";
  byTeamAndOutcome.outcome = "upgraded";
  CHECK(log.query(byTeamAndOutcome) ==
        std::vector<std::string>{"app-1/t2/upgraded", "app-2/t2/upgraded"});
  AuditFilter since;
  since.since = log.t0 + 3s;  // inclusive
  CHECK(log.query(since) == std::vector<std::string>{"app-1/t2/upgraded", "app-2/t2/upgraded"});
  AuditFilter byJob;
  byJob.jobId = log.jobId;
  CHECK(log.query(byJob) == std::vector<std::string>{"app-1/t2/retrying"});
}

TEST_CASE("hasAuditEvent finds a job's record of one event and nothing else", "[store]") {
  Log log;
  CHECK(must(log.store->hasAuditEvent(log.jobId, "upgrade")));
  CHECK_FALSE(must(log.store->hasAuditEvent(log.jobId, "confirm")));
  CHECK_FALSE(must(log.store->hasAuditEvent(log.jobId + 1, "upgrade")));
  AuditRecord confirmed = record("app-1", "t2", "confirmed");
  confirmed.event = "confirm";
  confirmed.jobId = log.jobId;
  must(log.store->appendAudit(confirmed));
  CHECK(must(log.store->hasAuditEvent(log.jobId, "confirm")));
}

TEST_CASE("an audit limit returns the newest records, still oldest first", "[store]") {
  Log log;
  AuditFilter newest;
  newest.limit = 2;
  CHECK(log.query(newest) == std::vector<std::string>{"app-1/t2/upgraded", "app-2/t2/upgraded"});
  AuditFilter newestOfApp;
  newestOfApp.teamsAppId = "app-1";
  newestOfApp.limit = 2;
  CHECK(log.query(newestOfApp) ==
        std::vector<std::string>{"app-1/t2/retrying", "app-1/t2/upgraded"});
  AuditFilter more;
  more.limit = 50;
  CHECK(log.query(more).size() == 5);
}

TEST_CASE("an audit record left at epoch gets the store's time and keeps an explicit one",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->appendAudit(record("app-1", "t1", "upgraded")));
  AuditRecord stamped = record("app-1", "t1", "skipped");
  stamped.time = fromUnixMillis(1'700'000'000'123);
  must(store->appendAudit(stamped));
  const auto records = must(store->queryAudit({}));
  REQUIRE(records.size() == 2);
  CHECK(records[0].time == stamped.time);  // ordered by time: the explicit, earlier one first
  CHECK(records[1].time == clock.now());
  CHECK(records[0].id != records[1].id);
}

TEST_CASE("audit permissions and every other field round-trip", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  AuditRecord r = record("app-1", "t1", "upgraded");
  r.tenantId = "tenant-1";
  r.installationId = "inst-1";
  r.fromVersion = "1.0.0";
  r.toVersion = "2.0.0";
  r.httpStatus = 204;
  r.requestId = "req-42";
  r.attempt = 3;
  r.permissions = {{"ChannelMessage.Read.Group", "application"},
                   {"TeamSettings.ReadWrite.Group", "delegated"}};
  must(store->appendAudit(r));
  const auto records = must(store->queryAudit({}));
  REQUIRE(records.size() == 1);
  AuditRecord back = records[0];
  CHECK(back.id > 0);
  CHECK(back.time == clock.now());
  CHECK(back.event == r.event);
  CHECK(back.tenantId == r.tenantId);
  CHECK(back.installationId == r.installationId);
  CHECK(back.fromVersion == r.fromVersion);
  CHECK(back.toVersion == r.toVersion);
  CHECK(back.httpStatus == 204);
  CHECK(back.requestId == "req-42");
  CHECK(back.attempt == 3);
  CHECK(back.permissions == r.permissions);
  CHECK_FALSE(back.jobId.has_value());
}

TEST_CASE("audit rows cannot be updated or deleted, even with raw SQL", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("audit.db");
  auto store = openOk(path, clock);
  must(store->appendAudit(record("app-1", "t1", "upgraded")));
  SQLite::Database raw(path, SQLite::OPEN_READWRITE);
  CHECK_THROWS_WITH(raw.exec("UPDATE audit SET outcome = 'failed'"),
                    Catch::Contains("append-only"));
  CHECK_THROWS_WITH(raw.exec("DELETE FROM audit"), Catch::Contains("append-only"));
  CHECK(must(store->queryAudit({})).front().outcome == "upgraded");
}

}  // namespace appkeeper::store::testing
