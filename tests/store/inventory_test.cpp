// The inventory of installations, its scan markers and the subscriptions table.
#include <catch2/catch.hpp>

#include "store_test_support.h"

namespace appkeeper::store::testing {
namespace {

TeamInstallation installation(const std::string& team, const std::string& app = "app-1",
                              const std::string& version = "1.0.0") {
  return {"tenant-1", team, "inst-" + team, app, "def-" + version, version};
}

std::vector<std::string> teamsOf(const std::vector<TeamInstallation>& all) {
  std::vector<std::string> teams;
  for (const auto& i : all) teams.push_back(i.teamId);
  return teams;
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
  must(store->putSubscription({"sub-2", "teams/getAllMessages", "state-2", expiry}));
  must(store->putSubscription({"sub-1", "appCatalogs/teamsApps", "state-1", expiry}));
  must(store->putSubscription({"sub-1", "appCatalogs/teamsApps", "rotated", expiry + 1s}));

  const auto one = must(store->subscription("sub-1"));
  REQUIRE(one);
  CHECK(one->clientState == "rotated");
  CHECK(one->expiration == expiry + 1s);
  CHECK_FALSE(must(store->subscription("sub-9")).has_value());
  const auto all = must(store->subscriptions());
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == "sub-1");

  must(store->removeSubscription("sub-1"));
  CHECK_FALSE(must(store->subscription("sub-1")).has_value());
  CHECK(must(store->subscriptions()).size() == 1);
}

}  // namespace appkeeper::store::testing
