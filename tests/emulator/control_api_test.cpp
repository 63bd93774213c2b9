#include <catch2/catch.hpp>

#include "emulator/ids.h"
#include "emulator_test_support.h"

using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;
using nlohmann::json;

TEST_CASE("GET /_emulator/apps lists apps with versions, states, RSC sets and install counts",
          "[emulator]") {
  TestEmulator emu;
  auto apps = body(emu.control("GET", "/_emulator/apps"))["value"];
  REQUIRE(apps.size() == emu.core->model().catalog().size());
  for (const auto& a : apps) {
    int64_t sum = 0;
    for (const auto& v : a["versions"]) {
      CHECK(v.contains("publishingState"));
      CHECK(v["resourceSpecificPermissions"].is_array());
      sum += v["installCount"].get<int64_t>();
    }
    CHECK(a["installCount"] == sum);
    if (a["displayName"] == "Contoso Tasks") {
      CHECK(sum == static_cast<int64_t>(emu.core->model().installations(a["id"], "")->size()));
    }
  }
}

TEST_CASE("publishing a version makes it the latest at once", "[emulator]") {
  TestEmulator emu;
  const App tasks = emu.app("Contoso Tasks");
  Response r = emu.control("POST", "/_emulator/apps/" + tasks.id + "/versions",
                           {{"version", "9.0.0"}, {"resourceSpecificPermissions", json::array()}});
  REQUIRE(r.status == 201);
  auto def = body(r);
  CHECK(def["publishingState"] == "published");
  CHECK(def["version"] == "9.0.0");
  CHECK(base64Decode(def["id"].get<std::string>()) == tasks.id + "##9.0.0##Published");
  CHECK(emu.app("Contoso Tasks").latestPublished()->version == "9.0.0");
}

TEST_CASE("a version that requires review is submitted until approved or rejected", "[emulator]") {
  TestEmulator emu;
  const App notes = emu.app("Contoso Notes");
  // The externalId works in place of the catalog id.
  Response r = emu.control("POST", "/_emulator/apps/" + notes.externalId + "/versions",
                           {{"version", "2.0.0"}, {"requiresReview", true}});
  REQUIRE(r.status == 201);
  auto submitted = body(r);
  CHECK(submitted["publishingState"] == "submitted");
  CHECK(base64Decode(submitted["id"].get<std::string>()) == notes.id + "##2.0.0##Submitted");
  CHECK(emu.app("Contoso Notes").latestPublished()->version != "2.0.0");

  Response approved =
      emu.control("POST", "/_emulator/apps/" + notes.id + "/versions/2.0.0/approve");
  REQUIRE(approved.status == 200);
  CHECK(body(approved)["publishingState"] == "published");
  CHECK(body(approved)["id"] != submitted["id"]);  // the id follows the state
  CHECK(emu.app("Contoso Notes").latestPublished()->version == "2.0.0");
  CHECK(emu.control("POST", "/_emulator/apps/" + notes.id + "/versions/2.0.0/approve").status ==
        409);

  REQUIRE(emu.control("POST", "/_emulator/apps/" + notes.id + "/versions",
                      {{"version", "2.1.0"}, {"requiresReview", true}})
              .status == 201);
  Response rejected = emu.control("POST", "/_emulator/apps/" + notes.id + "/versions/2.1.0/reject");
  CHECK(body(rejected)["publishingState"] == "rejected");
  CHECK(emu.app("Contoso Notes").latestPublished()->version == "2.0.0");
}

TEST_CASE("a version must be valid and greater than every existing one", "[emulator]") {
  TestEmulator emu;
  const App tasks = emu.app("Contoso Tasks");
  const std::string path = "/_emulator/apps/" + tasks.id + "/versions";
  Response invalid = emu.control("POST", path, {{"version", "1.x"}});
  CHECK(invalid.status == 400);
  CHECK(body(invalid)["error"]["message"].get<std::string>().find("1.x") != std::string::npos);
  Response older = emu.control("POST", path, {{"version", "1.0.5"}});
  CHECK(older.status == 409);
  CHECK(body(older)["error"]["message"].get<std::string>().find("not greater") !=
        std::string::npos);
  CHECK(emu.control("POST", path, {{"version", "2.0.0"}}).status == 409);
  CHECK(emu.control("POST", path, json::object()).status == 400);
  CHECK(emu.control("POST", path, {{"version", "3.0.0"}, {"colour", "red"}}).status == 400);
  CHECK(
      emu.control("POST", "/_emulator/apps/no-such-app/versions", {{"version", "3.0.0"}}).status ==
      404);
}

TEST_CASE("GET /_emulator/installations answers the contract shape", "[emulator]") {
  TestEmulator emu;
  const App tasks = emu.app("Contoso Tasks");
  Response r = emu.control("GET", "/_emulator/installations?teamsAppId=" + tasks.id);
  REQUIRE(r.status == 200);
  auto list = body(r);
  REQUIRE(list.is_array());
  REQUIRE_FALSE(list.empty());
  for (const auto& i : list) {
    CHECK(i.size() == 6);
    for (const char* f : {"teamId", "installationId", "teamsAppId", "version"})
      CHECK(i[f].is_string());
    CHECK(i["teamsAppId"] == tasks.id);
    CHECK(i["upgrades"] == 0);
    CHECK(i["noopUpgrades"] == 0);
    CHECK(base64Decode(i["installationId"].get<std::string>()) ==
          i["teamId"].get<std::string>() + "##" + tasks.id);
  }
  CHECK(emu.control("GET", "/_emulator/installations?teamsAppId=nope").status == 404);
}

TEST_CASE("the control API installs and removes apps", "[emulator]") {
  TestEmulator emu;
  const App polls = emu.app("Contoso Polls");
  std::string team;
  for (const auto& t : emu.core->model().teams(nullptr, 0, 100).items) {
    if (emu.core->model().installations(polls.id, t.id)->empty()) team = t.id;
  }
  REQUIRE_FALSE(team.empty());
  Response created = emu.control("POST", "/_emulator/installations",
                                 {{"teamId", team}, {"teamsAppId", polls.externalId}});
  REQUIRE(created.status == 201);
  auto record = body(created);
  CHECK(record["version"] == "1.0.0");
  CHECK(
      emu.control("POST", "/_emulator/installations", {{"teamId", team}, {"teamsAppId", polls.id}})
          .status == 409);
  CHECK(emu.control("POST", "/_emulator/installations",
                    {{"teamId", team}, {"teamsAppId", polls.id}, {"version", "7.0.0"}})
            .status >= 400);
  CHECK(emu.graph("GET", "/v1.0/teams/" + team + "/installedApps/" +
                             record["installationId"].get<std::string>())
            .status == 200);
  CHECK(emu.control("DELETE",
                    "/_emulator/installations/" + record["installationId"].get<std::string>())
            .status == 204);
  CHECK(emu.core->model().installations(polls.id, team)->empty());
  CHECK(emu.control("DELETE",
                    "/_emulator/installations/" + record["installationId"].get<std::string>())
            .status == 404);
}

TEST_CASE("a quarter of the latency comes before the throttle counts, the rest before the answer",
          "[emulator]") {
  using std::chrono::milliseconds;
  const LatencySplit split = splitLatency(milliseconds(120));
  CHECK(split.beforeHandling == milliseconds(30));
  CHECK(split.beforeAnswer == milliseconds(90));
  // Odd totals lose nothing; a zero or negative latency delays nothing.
  CHECK(splitLatency(milliseconds(81)).beforeHandling + splitLatency(milliseconds(81)).beforeAnswer ==
        milliseconds(81));
  CHECK(splitLatency(milliseconds(3)).beforeHandling == milliseconds(0));
  CHECK(splitLatency(milliseconds(3)).beforeAnswer == milliseconds(3));
  CHECK(splitLatency(milliseconds(0)).beforeAnswer == milliseconds(0));
  CHECK(splitLatency(milliseconds(-5)).beforeHandling == milliseconds(0));
  CHECK(splitLatency(milliseconds(-5)).beforeAnswer == milliseconds(0));
}

TEST_CASE("latency, config and stats are readable and writable", "[emulator]") {
  TestEmulator emu;
  REQUIRE(emu.control("PUT", "/_emulator/latency", {{"fixedMs", 40}, {"jitterMs", 0}}).status ==
          200);
  CHECK(emu.core->latency(makeRequest("GET", "/v1.0/teams")) == std::chrono::milliseconds(40));
  CHECK(emu.core->latency(makeRequest("GET", "/_emulator/stats")) == std::chrono::milliseconds(0));
  CHECK(body(emu.control("GET", "/_emulator/latency"))["fixedMs"] == 40);
  CHECK(emu.control("PUT", "/_emulator/latency", {{"fixedMs", -1}}).status == 400);

  REQUIRE(emu.control("PUT", "/_emulator/config", {{"pageSize", 2}}).status == 200);
  CHECK(body(emu.graph("GET", "/v1.0/teams"))["value"].size() == 2);
  CHECK(body(emu.control("GET", "/_emulator/config"))["pageSize"] == 2);

  emu.graph("GET", "/v1.0/teams/nope");
  auto stats = body(emu.control("GET", "/_emulator/stats"));
  CHECK(stats["requests"]["GET /teams"]["200"] == 1);
  CHECK(stats["requests"]["GET /teams/{id}"]["404"] == 1);
  CHECK(stats["requests"]["POST /{tenant}/oauth2/v2.0/token"]["200"] == 1);
  CHECK(stats.contains("throttled"));
  CHECK(emu.control("DELETE", "/_emulator/stats").status == 204);
  CHECK(body(emu.control("GET", "/_emulator/stats"))["requests"].empty());
  CHECK(emu.control("GET", "/_emulator/nothing-here").status == 404);
  CHECK(emu.control("PATCH", "/_emulator/stats").status == 405);
}
