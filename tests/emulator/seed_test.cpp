#include "emulator/seed.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <map>

#include "emulator/ids.h"
#include "emulator/prng.h"
#include "emulator/scenario.h"
#include "emulator_test_support.h"

using namespace appkeeper;
using namespace appkeeper::emulator;
using nlohmann::json;

namespace {

std::unique_ptr<TenantModel> seeded(size_t teams, uint64_t seed) {
  auto m = std::make_unique<TenantModel>(emulator::testing::kTenant);
  REQUIRE(seedTenant(*m, {teams, seed}));
  return m;
}

const App& named(const std::vector<App>& apps, const std::string& name) {
  for (const auto& a : apps) {
    if (a.displayName == name) return a;
  }
  FAIL("no app " << name);
  return apps.front();
}

}  // namespace

TEST_CASE("the same seed gives the same tenant; another seed another one", "[emulator]") {
  auto a = dumpState(*seeded(50, 42));
  auto b = dumpState(*seeded(50, 42));
  auto c = dumpState(*seeded(50, 43));
  CHECK(a == b);
  CHECK(a["teams"] != c["teams"]);
  CHECK(a["apps"] != c["apps"]);
}

TEST_CASE("catalog ids do not depend on the number of teams", "[emulator]") {
  CHECK(dumpState(*seeded(5, 9))["apps"] == dumpState(*seeded(500, 9))["apps"]);
}

TEST_CASE("the seeded catalog has the apps the demo and tests rely on", "[emulator]") {
  auto model = seeded(1000, 3);
  auto apps = model->catalog();
  const App& tasks = named(apps, "Contoso Tasks");
  const App& insights = named(apps, "Contoso Insights");
  const App& notes = named(apps, "Contoso Notes");
  REQUIRE(apps.size() >= 5);

  CHECK(tasks.definitions.size() >= 3);
  for (const auto& d : tasks.definitions) CHECK(d.rsc.empty());
  for (const auto& d : insights.definitions) CHECK(hasApplicationPermission(d.rsc));
  CHECK(insights.latestPublished()->rsc.size() > insights.definitions.front().rsc.size());
  for (const auto& d : notes.definitions) {
    CHECK_FALSE(d.rsc.empty());
    CHECK_FALSE(hasApplicationPermission(d.rsc));
  }
  for (const auto& a : apps) {
    CHECK(isGuid(a.id));
    CHECK((a.distributionMethod == "store") == a.externalId.empty());
    for (const auto& d : a.definitions) {
      CHECK(base64Decode(d.id) == a.id + "##" + d.version + "##Published");
    }
  }

  auto share = [&](const App& app) {
    return static_cast<double>(model->installations(app.id, "")->size()) / 1000.0;
  };
  CHECK(share(tasks) == Approx(0.9).margin(0.04));
  CHECK(share(insights) == Approx(0.4).margin(0.05));
  CHECK(share(notes) == Approx(0.3).margin(0.05));

  // Tasks: spread over the older versions, a few already at the latest.
  std::map<std::string, int> byVersion;
  const auto installed = model->installations(tasks.id, "");
  for (const auto& i : *installed) {
    ++byVersion[i.version];
    CHECK(base64Decode(i.id) == i.teamId + "##" + tasks.id);
  }
  const std::string latest = tasks.latestPublished()->version;
  CHECK(byVersion[latest] > 0);
  CHECK(byVersion[latest] < 150);
  CHECK(byVersion.size() == tasks.definitions.size());
}

TEST_CASE("a scenario adds teams, apps with states and installations by name", "[emulator]") {
  TenantModel model(emulator::testing::kTenant);
  SplitMix64 ids(1);
  json scenario = json::parse(R"({
    "teams": [{"displayName": "Alpha"}, {"id": "00000000-0000-4000-8000-000000000001", "displayName": "Beta", "visibility": "public"}],
    "apps": [{"displayName": "Widget", "externalId": "ext-1", "versions": [
      {"version": "1.0.0"},
      {"version": "1.1.0", "resourceSpecificPermissions": [{"permissionValue": "TeamSettings.Read.Group", "permissionType": "application"}]},
      {"version": "2.0.0", "publishingState": "submitted"}]}],
    "installations": [{"teamId": "Alpha", "teamsAppId": "Widget", "version": "1.0.0"},
                      {"teamId": "00000000-0000-4000-8000-000000000001", "teamsAppId": "ext-1"}]
  })");
  REQUIRE(applyScenario(model, scenario, ids));
  CHECK(model.teamCount() == 2);
  auto widget = model.app("ext-1");
  REQUIRE(widget);
  CHECK(widget->latestPublished()->version == "1.1.0");  // 2.0.0 is only submitted
  auto beta = model.installations(widget->id, "00000000-0000-4000-8000-000000000001");
  REQUIRE(beta);
  REQUIRE(beta->size() == 1);
  CHECK(beta->front().version == "1.1.0");
  CHECK(beta->front().consented.has_value());
}

TEST_CASE("a scenario with a mistake is refused with a message naming the element", "[emulator]") {
  SplitMix64 ids(1);
  auto fails = [&](const char* text, const char* where) {
    TenantModel model(emulator::testing::kTenant);
    auto s = applyScenario(model, json::parse(text), ids);
    INFO(text);
    REQUIRE_FALSE(s);
    CHECK(s.error().message.find(where) != std::string::npos);
  };
  fails(R"({"teams": [{"displayName": "A", "colour": "red"}]})", "teams[0]");
  fails(R"({"apps": [{"displayName": "A", "versions": [{"version": "one"}]}]})", "apps[0]");
  fails(R"({"apps": [{"displayName": "A", "versions": []}]})", "apps[0]");
  fails(R"({"installations": [{"teamId": "nobody", "teamsAppId": "x"}]})", "installations[0]");
  fails(R"({"tems": []})", "tems");
}

TEST_CASE("the state file round-trips the tenant, counters included", "[emulator]") {
  auto model = seeded(20, 5);
  auto tasks = named(model->catalog(), "Contoso Tasks");
  Installation inst;
  const auto installed = model->installations(tasks.id, "");
  for (const auto& i : *installed) {
    if (i.version != tasks.latestPublished()->version) inst = i;
  }
  REQUIRE_FALSE(inst.id.empty());
  UpgradeRequest u{inst.teamId, inst.id, std::nullopt, true, false};
  REQUIRE(model->upgrade(u)->changed);
  const auto path = (std::filesystem::temp_directory_path() /
                     ("emulator-state-" + std::to_string(::getpid()) + ".json"))
                        .string();
  REQUIRE(saveStateFile(*model, path));
  TenantModel restored(emulator::testing::kTenant);
  SplitMix64 ids(1);
  REQUIRE(loadScenarioFile(restored, path, ids));
  std::filesystem::remove(path);
  CHECK(dumpState(restored) == dumpState(*model));
}
