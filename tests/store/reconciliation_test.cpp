// Reconciliations: how requests coalesce (at most one pending behind at most one running), the
// resumable cursor with its counters, and the summary audit record of a finished scan.
#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>

#include "store_test_support.h"

namespace appkeeper::store::testing {
namespace {

Reconciliation counters(int64_t teams, int64_t found, int64_t drift, int64_t jobs) {
  Reconciliation r;
  r.teamsScanned = teams;
  r.installationsFound = found;
  r.driftCorrected = drift;
  r.jobsEnqueued = jobs;
  return r;
}

std::vector<AuditRecord> reconcileAudit(Store& store) {
  std::vector<AuditRecord> out;
  for (auto& r : must(store.queryAudit({}))) {
    if (r.event == "reconcile") out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

TEST_CASE("a request while one is pending joins it: one id, reasons listed once, one audit record",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  CHECK_FALSE(must(store->activeReconciliation()).has_value());

  const int64_t id = must(store->requestReconciliation("first start"));
  clock.advance(1s);
  CHECK(must(store->requestReconciliation("missed")) == id);
  CHECK(must(store->requestReconciliation("missed")) == id);  // already listed: not repeated
  CHECK(must(store->requestReconciliation("subscriptionRemoved")) == id);

  const auto active = must(store->activeReconciliation());
  REQUIRE(active);
  CHECK(active->id == id);
  CHECK(active->state == ReconciliationState::kPending);
  CHECK(active->reason == "first start, missed, subscriptionRemoved");
  CHECK(active->requestedAt == clock.now() - 1s);
  CHECK(active->startedAt == WallTime{});

  const auto records = reconcileAudit(*store);
  REQUIRE(records.size() == 1);
  CHECK(records[0].outcome == "requested");
  CHECK(records[0].detail == "first start");
}

TEST_CASE(
    "a request while one runs queues a new pending one behind it, and later requests join that",
    "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const int64_t running = must(store->requestReconciliation("schedule"));
  must(store->startReconciliation(running));

  const int64_t next = must(store->requestReconciliation("missed"));
  CHECK(next != running);
  CHECK(must(store->requestReconciliation("missed again")) == next);

  // The running one stays the active one until it finishes.
  CHECK(must(store->activeReconciliation())->id == running);
  must(store->finishReconciliation(running, AuditRecord{}));
  const auto active = must(store->activeReconciliation());
  REQUIRE(active);
  CHECK(active->id == next);
  CHECK(active->state == ReconciliationState::kPending);
  CHECK(active->reason == "missed, missed again");
  CHECK(reconcileAudit(*store).size() == 3);  // requested, requested, reconciled
}

TEST_CASE("a second reconciliation cannot start while one runs, nor one that is not pending",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const int64_t first = must(store->requestReconciliation("a"));
  must(store->startReconciliation(first));
  const int64_t second = must(store->requestReconciliation("b"));

  const Status whileRunning = store->startReconciliation(second);
  REQUIRE_FALSE(whileRunning.ok());
  CHECK(whileRunning.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(whileRunning.error().message, Catch::Contains("still running"));

  const Status again = store->startReconciliation(first);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == ErrorKind::kPermanent);

  must(store->finishReconciliation(first, AuditRecord{}));
  const Status done = store->startReconciliation(first);
  REQUIRE_FALSE(done.ok());
  CHECK_THAT(done.error().message, Catch::Contains("done"));
  const Status unknown = store->startReconciliation(999);
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error().message, Catch::Contains("unknown"));
  must(store->startReconciliation(second));
  CHECK(must(store->activeReconciliation())->state == ReconciliationState::kRunning);
}

TEST_CASE("the database itself refuses a second pending or a second running reconciliation",
          "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("reconcile.db");
  auto store = openOk(path, clock);
  must(store->startReconciliation(must(store->requestReconciliation("a"))));
  must(store->requestReconciliation("b"));

  SQLite::Database raw(path, SQLite::OPEN_READWRITE);
  CHECK_THROWS(raw.exec(
      "INSERT INTO reconciliations (reason, state, requested_at) VALUES ('x', 'pending', 0)"));
  CHECK_THROWS(raw.exec(
      "INSERT INTO reconciliations (reason, state, requested_at) VALUES ('x', 'running', 0)"));
  CHECK_THROWS(raw.exec(
      "INSERT INTO reconciliations (reason, state, requested_at) VALUES ('x', 'paused', 0)"));
  raw.exec("INSERT INTO reconciliations (reason, state, requested_at) VALUES ('x', 'done', 0)");
  raw.exec("INSERT INTO reconciliations (reason, state, requested_at) VALUES ('y', 'done', 0)");
}

TEST_CASE("progress replaces the cursor and adds to the counters page after page", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("progress.db");
  int64_t id = 0;
  {
    auto store = openOk(path, clock);
    id = must(store->requestReconciliation("first start"));
    must(store->startReconciliation(id));
    must(store->recordReconciliationProgress(id, "https://graph/teams?$skiptoken=2",
                                             counters(100, 40, 3, 2)));
    must(store->recordReconciliationProgress(id, "https://graph/teams?$skiptoken=3",
                                             counters(100, 35, 1, 0)));
  }
  // A restart resumes from what was recorded.
  auto store = openOk(path, clock);
  const auto active = must(store->activeReconciliation());
  REQUIRE(active);
  CHECK(active->id == id);
  CHECK(active->state == ReconciliationState::kRunning);
  CHECK(active->startedAt == clock.now());
  CHECK(active->cursor == "https://graph/teams?$skiptoken=3");
  CHECK(active->teamsScanned == 200);
  CHECK(active->installationsFound == 75);
  CHECK(active->driftCorrected == 4);
  CHECK(active->jobsEnqueued == 2);

  must(store->recordReconciliationProgress(id, "", counters(12, 5, 0, 0)));  // the last page
  const auto last = must(store->activeReconciliation());
  CHECK(last->cursor.empty());
  CHECK(last->teamsScanned == 212);
}

TEST_CASE("progress on a reconciliation that is not running is refused and changes nothing",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const int64_t id = must(store->requestReconciliation("a"));
  const Status pending = store->recordReconciliationProgress(id, "next", counters(1, 1, 1, 1));
  REQUIRE_FALSE(pending.ok());
  CHECK(pending.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(pending.error().message, Catch::Contains("pending"));
  const auto active = must(store->activeReconciliation());
  CHECK(active->cursor.empty());
  CHECK(active->teamsScanned == 0);

  const Status finishPending = store->finishReconciliation(id, AuditRecord{});
  REQUIRE_FALSE(finishPending.ok());
  CHECK(finishPending.error().kind == ErrorKind::kPermanent);
  CHECK(reconcileAudit(*store).size() == 1);  // only the request
}

TEST_CASE(
    "finishing a reconciliation marks it done and writes its summary audit record in the same "
    "step",
    "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  CHECK_FALSE(must(store->lastReconciliation()).has_value());
  const int64_t id = must(store->requestReconciliation("schedule"));
  must(store->startReconciliation(id));
  must(store->recordReconciliationProgress(id, "", counters(7, 5, 2, 1)));
  clock.advance(5min);

  AuditRecord summary;
  summary.event = "reconcile";
  summary.outcome = "reconciled";
  summary.detail = "7 teams, 5 installations, 2 corrected";
  must(store->finishReconciliation(id, summary));

  CHECK_FALSE(must(store->activeReconciliation()).has_value());
  const auto last = must(store->lastReconciliation());
  REQUIRE(last);
  CHECK(last->id == id);
  CHECK(last->state == ReconciliationState::kDone);
  CHECK(last->finishedAt == clock.now());
  CHECK(last->finishedAt - last->startedAt == 5min);
  CHECK(last->driftCorrected == 2);

  const auto records = reconcileAudit(*store);
  REQUIRE(records.size() == 2);
  CHECK(records[1].outcome == "reconciled");
  CHECK(records[1].detail == "7 teams, 5 installations, 2 corrected");
  CHECK(records[1].time == clock.now());
}

TEST_CASE("a summary without event, outcome or detail gets reconcile, reconciled and the counters",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const int64_t id = must(store->requestReconciliation("schedule"));
  must(store->startReconciliation(id));
  must(store->recordReconciliationProgress(id, "", counters(7, 5, 2, 1)));
  must(store->finishReconciliation(id, AuditRecord{}));
  AuditFilter reconciled;
  reconciled.outcome = "reconciled";
  const auto records = must(store->queryAudit(reconciled));
  REQUIRE(records.size() == 1);
  CHECK(records[0].event == "reconcile");
  CHECK(records[0].detail ==
        "teams scanned 7, installations found 5, drift corrected 2, jobs enqueued 1");
}

TEST_CASE("lastReconciliation is the most recently finished one", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  for (const char* reason : {"one", "two"}) {
    const int64_t id = must(store->requestReconciliation(reason));
    must(store->startReconciliation(id));
    clock.advance(1min);
    must(store->finishReconciliation(id, AuditRecord{}));
  }
  must(store->requestReconciliation("three"));  // pending: not finished
  const auto last = must(store->lastReconciliation());
  REQUIRE(last);
  CHECK(last->reason == "two");
  CHECK(toString(last->state) == std::string("done"));
}

}  // namespace appkeeper::store::testing
