// `appkeeper status` formatting (status_report.h) on a fixed snapshot.
#include "daemon/status_report.h"

#include <catch2/catch.hpp>
#include <sstream>

using namespace appkeeper;
using namespace appkeeper::daemon;
using namespace std::chrono_literals;

namespace {

const WallTime kNow = fromUnixMillis(1'800'000'000'000);  // 2027-01-15T08:00:00Z

StatusSnapshot snapshot() {
  StatusSnapshot s;
  s.now = kNow;
  s.subscriptions = {{"sub-1", "/appCatalogs/teamsApps/app-1/installations", "whsec-SECRET-STATE",
                      kNow + 50h, "app-1"},
                     {"sub-2", "/appCatalogs/teamsApps/app-2/installations", "other-SECRET",
                      kNow - 5min, "app-2"}};
  s.jobCounts = {{store::JobState::kQueued, 3},       {store::JobState::kRunning, 1},
                 {store::JobState::kSucceeded, 1204}, {store::JobState::kSkipped, 0},
                 {store::JobState::kFailed, 2},       {store::JobState::kBlocked, 4}};
  s.oldestQueuedAt = kNow - 90s;
  store::Reconciliation active;
  active.id = 7;
  active.reason = "periodic";
  active.state = store::ReconciliationState::kRunning;
  active.startedAt = kNow - 2min;
  active.cursor = "https://graph/next";
  active.teamsScanned = 40;
  active.installationsFound = 120;
  s.activeReconciliation = active;
  store::Reconciliation last = active;
  last.id = 6;
  last.state = store::ReconciliationState::kDone;
  last.cursor.clear();
  last.startedAt = kNow - 25h;
  last.finishedAt = kNow - 25h + 3min;
  last.teamsScanned = 300;
  last.driftCorrected = 2;
  s.lastReconciliation = last;
  store::AuditRecord failure;
  failure.time = kNow - 1h;
  failure.event = "upgrade";
  failure.outcome = "failed";
  failure.teamsAppId = "app-1";
  failure.teamId = "t9";
  failure.fromVersion = "1.0.0";
  failure.toVersion = "2.0.0";
  failure.detail = "upgrading: Graph answered 404 NotFound";
  s.recentFailures = {failure};
  return s;
}

std::string text(const StatusSnapshot& s) {
  std::ostringstream out;
  writeStatusText(out, s);
  return out.str();
}

}  // namespace

TEST_CASE("status shows subscriptions with their expiry and never their clientState",
          "[daemon][status]") {
  const auto s = snapshot();
  const std::string t = text(s);
  CHECK(t.find("Subscriptions: 2") != std::string::npos);
  CHECK(t.find("sub-1") != std::string::npos);
  CHECK(t.find("(in 2d 2h)") != std::string::npos);
  CHECK(t.find("(EXPIRED 5m ago)") != std::string::npos);
  CHECK(t.find("SECRET") == std::string::npos);
  CHECK(statusToJson(s).dump().find("SECRET") == std::string::npos);
  CHECK(statusToJson(s)["subscriptions"][1]["expired"] == true);
}

TEST_CASE("status shows the queue by state and the oldest queued job's age", "[daemon][status]") {
  const std::string t = text(snapshot());
  CHECK(t.find("Jobs: queued 3, running 1, succeeded 1,204, skipped 0, failed 2, blocked 4; "
               "oldest queued for 1m\n") != std::string::npos);
  auto j = statusToJson(snapshot());
  CHECK(j["jobs"]["blocked"] == 4);
  CHECK(j["oldestQueuedAt"] == "2027-01-15T07:58:30.000Z");
}

TEST_CASE("status shows the running reconciliation's progress and the last one's summary",
          "[daemon][status]") {
  const std::string t = text(snapshot());
  CHECK(t.find("Reconciliation: running since") != std::string::npos);
  CHECK(t.find("40 teams scanned, 120 installations found") != std::string::npos);
  CHECK(t.find("more teams to scan (cursor saved)") != std::string::npos);
  CHECK(t.find("Last reconciliation: finished") != std::string::npos);
  CHECK(t.find("after 3m: 300 teams scanned") != std::string::npos);
  auto j = statusToJson(snapshot());
  CHECK(j["reconciliation"]["active"]["cursorPresent"] == true);
  CHECK(j["reconciliation"]["last"]["teamsScanned"] == 300);

  auto idle = snapshot();
  idle.activeReconciliation.reset();
  idle.lastReconciliation.reset();
  CHECK(text(idle).find("Reconciliation: none running\nLast reconciliation: never\n") !=
        std::string::npos);
}

TEST_CASE("status lists the recent failures", "[daemon][status]") {
  const std::string t = text(snapshot());
  CHECK(t.find("Recent failures (last 1):") != std::string::npos);
  CHECK(t.find("1.0.0 -> 2.0.0  upgrading: Graph answered 404 NotFound") != std::string::npos);
  CHECK(statusToJson(snapshot())["recentFailures"][0]["outcome"] == "failed");
}

TEST_CASE("status says whether a delegated sign-in exists, works, or needs a login",
          "[daemon][status]") {
  auto s = snapshot();
  CHECK(text(s).find("Delegated sign-in: none") != std::string::npos);
  CHECK(statusToJson(s)["delegatedLogin"]["state"] == "none");

  store::DelegatedCredential c;
  c.sealed = "v1.SEALED";
  c.account = "admin@contoso.test";
  c.storedAt = kNow - 1h;
  s.delegated = c;
  CHECK(text(s).find("Delegated sign-in: signed in as admin@contoso.test at "
                     "2027-01-15T07:00:00.000Z") != std::string::npos);
  CHECK(statusToJson(s)["delegatedLogin"]["state"] == "signed-in");

  s.delegated->invalidReason = "invalid_grant: revoked";
  CHECK(text(s).find("Delegated sign-in: login needed (invalid_grant: revoked): run `appkeeper "
                     "login`") != std::string::npos);
  auto j = statusToJson(s);
  CHECK(j["delegatedLogin"]["state"] == "login-required");
  CHECK(j["delegatedLogin"]["reason"] == "invalid_grant: revoked");
  CHECK(j.dump().find("SEALED") == std::string::npos);
}

TEST_CASE("ages read as seconds, minutes, hours and days", "[daemon][status]") {
  CHECK(formatAge(45s) == "45s");
  CHECK(formatAge(12min + 5s) == "12m");
  CHECK(formatAge(3h + 5min) == "3h 5m");
  CHECK(formatAge(3h) == "3h");
  CHECK(formatAge(50h) == "2d 2h");
  CHECK(formatAge(-90s) == "1m");
}
