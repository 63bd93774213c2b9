// The inventory of installations, its scan markers and the subscriptions table; a team's
// inventory replaced by a reconciliation scan, and rows dropped when their team disappeared.
#include <catch2/catch.hpp>

#include "store_test_support.h"

namespace appkeeper::store::testing {
namespace {

TeamInstallation installation(const std::string& team, const std::string& app = "app-1",
                              const std::string& version = "1.0.0") {
  return {"tenant-1", team, "inst-" + team, app, "def-" + version, version};
}

TeamInstallation installationIn(const std::string& team, const std::string& id,
                                const std::string& app, const std::string& version = "1.0.0") {
  return {"tenant-1", team, id, app, "def-" + version, version};
}

std::vector<std::string> teamsOf(const std::vector<TeamInstallation>& all) {
  std::vector<std::string> teams;
  for (const auto& i : all) teams.push_back(i.teamId);
  return teams;
}

std::vector<std::string> idsOf(const std::vector<TeamInstallation>& all) {
  std::vector<std::string> ids;
  for (const auto& i : all) ids.push_back(i.installationId);
  return ids;
}

JobSpec jobFor(const TeamInstallation& i, const std::string& target) {
  JobSpec s;
  s.tenantId = i.tenantId;
  s.teamId = i.teamId;
  s.installationId = i.installationId;
  s.teamsAppId = i.teamsAppId;
  s.fromVersion = i.version;
  s.targetVersion = target;
  return s;
}

}  // namespace

TEST_CASE("upserting installations inserts new ones and updates known ones", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->upsertInstallations(
      {installation("b"), installation("a"), installation("c", "app-2")}));
  CHECK(teamsOf(must(store->installationsOfApp("tenant-1", "app-1"))) ==
        std::vector<std::string>{"a", "b"});
  CHECK(must(store->installationsOfApp("tenant-2", "app-1")).empty());

  must(store->upsertInstallations({installation("a", "app-1", "2.0.0")}));
  const auto after = must(store->installationsOfApp("tenant-1", "app-1"));
  REQUIRE(after.size() == 2);
  CHECK(after[0].version == "2.0.0");
  CHECK(after[0].definitionId == "def-2.0.0");
  CHECK(after[1].version == "1.0.0");
}

TEST_CASE("removing an installation deletes it and cancels its queued jobs with an audit record",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->upsertInstallations({installation("a"), installation("b")}));
  must(store->enqueue({spec("a", "2.0.0"), spec("a", "3.0.0"), spec("b", "2.0.0")}));
  const auto running = must(store->claimJob("w", 30s));  // a@2.0.0 is being worked on
  REQUIRE(running);
  REQUIRE(running->spec.targetVersion == "2.0.0");

  must(store->removeInstallation("tenant-1", "a", "inst-a"));

  CHECK(teamsOf(must(store->installationsOfApp("tenant-1", "app-1"))) ==
        std::vector<std::string>{"b"});
  const auto jobs = must(store->listJobs(std::nullopt, 0));
  REQUIRE(jobs.size() == 3);
  CHECK(jobs[0].state == JobState::kRunning);  // a running job finishes on its own
  CHECK(jobs[1].state == JobState::kSkipped);
  CHECK(jobs[1].lastError == "installation removed");
  CHECK(jobs[2].state == JobState::kQueued);  // other installations are untouched

  const auto records = must(store->queryAudit({}));
  REQUIRE(records.size() == 1);
  CHECK(records[0].outcome == "skipped");
  CHECK(records[0].detail == "installation removed");
  CHECK(records[0].jobId == jobs[1].id);
  CHECK(records[0].teamId == "a");
  CHECK(records[0].toVersion == "3.0.0");
}

TEST_CASE("inventory scan markers are kept per tenant and app", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  CHECK_FALSE(must(store->inventoryScanned("tenant-1", "app-1")));
  must(store->markInventoryScanned("tenant-1", "app-1"));
  must(store->markInventoryScanned("tenant-1", "app-1"));  // again: no error
  CHECK(must(store->inventoryScanned("tenant-1", "app-1")));
  CHECK_FALSE(must(store->inventoryScanned("tenant-1", "app-2")));
  CHECK_FALSE(must(store->inventoryScanned("tenant-2", "app-1")));
}

TEST_CASE("subscriptions are saved, replaced, listed and removed by id", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const WallTime expiry = clock.now() + std::chrono::hours(1);
  must(store->putSubscription({"sub-2", "teams/getAllMessages", "state-2", expiry, ""}));
  must(store->putSubscription({"sub-1", "appCatalogs/teamsApps", "state-1", expiry, "app-1"}));
  must(store->putSubscription({"sub-1", "appCatalogs/teamsApps", "rotated", expiry + 1s, "app-2"}));

  const auto one = must(store->subscription("sub-1"));
  REQUIRE(one);
  CHECK(one->clientState == "rotated");
  CHECK(one->expiration == expiry + 1s);
  CHECK(one->teamsAppId == "app-2");
  CHECK_FALSE(must(store->subscription("sub-9")).has_value());
  const auto all = must(store->subscriptions());
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == "sub-1");
  CHECK(all[1].teamsAppId.empty());

  must(store->removeSubscription("sub-1"));
  CHECK_FALSE(must(store->subscription("sub-1")).has_value());
  CHECK(must(store->subscriptions()).size() == 1);
}

TEST_CASE("installationById finds a row by tenant and installation id alone", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->upsertInstallations({installation("a"), installation("b", "app-2", "3.1.0")}));

  const auto found = must(store->installationById("tenant-1", "inst-b"));
  REQUIRE(found);
  CHECK(found->teamId == "b");
  CHECK(found->teamsAppId == "app-2");
  CHECK(found->version == "3.1.0");
  CHECK(found->definitionId == "def-3.1.0");
  CHECK_FALSE(must(store->installationById("tenant-2", "inst-b")).has_value());
  CHECK_FALSE(must(store->installationById("tenant-1", "inst-zz")).has_value());
}

TEST_CASE(
    "replacing a team's inventory counts added, changed, removed and unchanged rows and cancels "
    "the removed installations' queued jobs",
    "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const auto same = installationIn("t", "i-same", "app-1");
  const auto bumped = installationIn("t", "i-bumped", "app-1");
  const auto gone = installationIn("t", "i-gone", "app-2");
  const auto unwatched = installationIn("t", "i-other", "app-9");  // not among the apps replaced
  const auto otherTeam = installationIn("u", "i-u", "app-1");
  must(store->upsertInstallations({same, bumped, gone, unwatched, otherTeam}));
  must(store->enqueue({jobFor(gone, "2.0.0"), jobFor(same, "2.0.0")}));

  const auto added = installationIn("t", "i-new", "app-2");
  const auto diff = must(store->replaceTeamInstallations(
      "tenant-1", "t", {"app-1", "app-2"},
      {same, installationIn("t", "i-bumped", "app-1", "2.0.0"), added}));
  CHECK(diff.added == 1);
  CHECK(diff.changed == 1);
  CHECK(diff.removed == 1);
  CHECK(diff.unchanged == 1);

  CHECK(idsOf(must(store->installationsOfApp("tenant-1", "app-1"))) ==
        std::vector<std::string>{"i-bumped", "i-same", "i-u"});
  CHECK(idsOf(must(store->installationsOfApp("tenant-1", "app-2"))) ==
        std::vector<std::string>{"i-new"});
  CHECK(idsOf(must(store->installationsOfApp("tenant-1", "app-9"))) ==
        std::vector<std::string>{"i-other"});  // apps not replaced are left alone
  CHECK(must(store->installationById("tenant-1", "i-bumped"))->version == "2.0.0");

  const auto jobs = must(store->listJobs(std::nullopt, 0));
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].state == JobState::kSkipped);  // i-gone
  CHECK(jobs[0].lastError == "installation removed");
  CHECK(jobs[1].state == JobState::kQueued);  // i-same is still there
  const auto records = must(store->queryAudit({}));
  REQUIRE(records.size() == 1);
  CHECK(records[0].outcome == "skipped");
  CHECK(records[0].installationId == "i-gone");
  CHECK(records[0].jobId == jobs[0].id);
}

TEST_CASE("replacing a team's inventory with the same rows again reports them all unchanged",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const std::vector<TeamInstallation> rows = {installationIn("t", "i-1", "app-1"),
                                              installationIn("t", "i-2", "app-1")};
  CHECK(must(store->replaceTeamInstallations("tenant-1", "t", {"app-1"}, rows)).added == 2);
  const auto again = must(store->replaceTeamInstallations("tenant-1", "t", {"app-1"}, rows));
  CHECK(again.unchanged == 2);
  CHECK(again.added + again.changed + again.removed == 0);
}

TEST_CASE("replacing a team's inventory with an installation of another team writes nothing",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->upsertInstallations({installationIn("t", "i-1", "app-1")}));
  const auto wrongTeam = store->replaceTeamInstallations("tenant-1", "t", {"app-1"},
                                                         {installationIn("u", "i-2", "app-1")});
  REQUIRE_FALSE(wrongTeam.ok());
  CHECK(wrongTeam.error().kind == ErrorKind::kInvalidInput);
  const auto wrongApp = store->replaceTeamInstallations("tenant-1", "t", {"app-1"},
                                                        {installationIn("t", "i-2", "app-2")});
  REQUIRE_FALSE(wrongApp.ok());
  CHECK(wrongApp.error().kind == ErrorKind::kInvalidInput);
  CHECK(idsOf(must(store->installationsOfApp("tenant-1", "app-1"))) ==
        std::vector<std::string>{"i-1"});  // i-1 was not removed
}

TEST_CASE("a page of teams is replaced in one call, a diff per team, or not at all", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->upsertInstallations(
      {installationIn("t", "i-1", "app-1"), installationIn("u", "i-9", "app-1")}));
  auto diffs = must(store->replaceTeamsInstallations(
      "tenant-1", {"app-1"},
      {{"t", {installationIn("t", "i-1", "app-1"), installationIn("t", "i-2", "app-1")}},
       {"u", {}},
       {"v", {installationIn("v", "i-3", "app-1")}}}));
  REQUIRE(diffs.size() == 3);
  CHECK(diffs[0].unchanged == 1);
  CHECK(diffs[0].added == 1);
  CHECK(diffs[1].removed == 1);  // i-9 left team u
  CHECK(diffs[2].added == 1);
  CHECK(idsOf(must(store->installationsOfApp("tenant-1", "app-1"))) ==
        std::vector<std::string>{"i-1", "i-2", "i-3"});

  // One wrong team refuses the whole page: nothing of the good teams is written either.
  const auto refused = store->replaceTeamsInstallations(
      "tenant-1", {"app-1"},
      {{"w", {installationIn("w", "i-4", "app-1")}}, {"t", {installationIn("x", "i-5", "app-1")}}});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::kInvalidInput);
  CHECK(idsOf(must(store->installationsOfApp("tenant-1", "app-1"))) ==
        std::vector<std::string>{"i-1", "i-2", "i-3"});
}

TEST_CASE(
    "rows of the given apps not seen since the cutoff are removed with their queued jobs "
    "cancelled; newer rows and other apps stay",
    "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const auto vanished = installationIn("gone-team", "i-old", "app-1");
  const auto otherApp = installationIn("gone-team", "i-other", "app-9");
  must(store->upsertInstallations({vanished, otherApp}));
  must(store->enqueue({jobFor(vanished, "2.0.0")}));

  clock.advance(1h);
  const WallTime scanStart = clock.now();
  const auto fresh = installationIn("live-team", "i-fresh", "app-1");
  must(store->upsertInstallations({fresh}));  // seen at the cutoff itself: kept

  CHECK(must(store->removeInstallationsNotSeenSince("tenant-1", {"app-1"}, scanStart)) == 1);
  CHECK(idsOf(must(store->installationsOfApp("tenant-1", "app-1"))) ==
        std::vector<std::string>{"i-fresh"});
  CHECK(idsOf(must(store->installationsOfApp("tenant-1", "app-9"))) ==
        std::vector<std::string>{"i-other"});
  const auto jobs = must(store->listJobs(std::nullopt, 0));
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].state == JobState::kSkipped);
  const auto records = must(store->queryAudit({}));
  REQUIRE(records.size() == 1);
  CHECK(records[0].installationId == "i-old");
  CHECK(records[0].outcome == "skipped");

  CHECK(must(store->removeInstallationsNotSeenSince("tenant-1", {"app-1"}, scanStart)) == 0);
  CHECK(must(store->removeInstallationsNotSeenSince("tenant-2", {"app-1"}, clock.now() + 1h)) ==
        0);  // another tenant's cutoff touches nothing here
}

}  // namespace appkeeper::store::testing
