// The calls behind the reconciliation scan: teamsPage (a resumable GET /teams cursor) and
// listTeamInstallations(teamId) (every app in a team).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "graph/graph_client.h"
#include "graph/graph_client_harness.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using namespace appkeeper::testing;

TEST_CASE("teamsPage returns one page of ids and the nextLink as the cursor", "[graph][client]") {
  GraphClientHarness h;
  const std::string next = kGraphBase + "/teams?$select=id&$skiptoken=X%2BY";
  h.net.respondJson(200, teamsPageJson({"t1", "t2"}, next));
  auto page = h.make().teamsPage("");
  REQUIRE(page.ok());
  CHECK(page->teamIds == std::vector<std::string>{"t1", "t2"});
  CHECK(page->nextLink == next);
  REQUIRE(h.net.requestCount() == 1);
  CHECK(h.net.lastRequest().url == kGraphBase + "/teams?$select=id&$top=999");
}

TEST_CASE("a Graph that refuses the page size gets the first page asked again without it, "
          "and never again with it",
          "[graph][client]") {
  GraphClientHarness h;
  h.options.maxGetAttempts = 1;
  h.net.respondJson(400, graphErrorJson("BadRequest", "", "Invalid page size specified"));
  h.net.respondJson(200, teamsPageJson({"t1"}, ""));
  h.net.respondJson(200, teamsPageJson({"t1"}, ""));
  h.net.respondJson(200, teamsPageJson({"t1"}, ""));
  GraphClient& client = h.make();
  auto page = client.teamsPage("");
  REQUIRE(page.ok());
  CHECK(page->teamIds == std::vector<std::string>{"t1"});
  auto requests = h.net.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].url == kGraphBase + "/teams?$select=id&$top=999");
  CHECK(requests[1].url == kGraphBase + "/teams?$select=id");
  // Later scans, both kinds, ask without $top at once.
  REQUIRE(client.teamsPage("").ok());
  REQUIRE(client.forEachTeamPage([](const std::vector<std::string>&) { return true; }).ok());
  requests = h.net.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[2].url == kGraphBase + "/teams?$select=id");
  CHECK(requests[3].url == kGraphBase + "/teams?$select=id");
}

TEST_CASE("a scan over every page asks again without the page size when Graph refuses it",
          "[graph][client]") {
  GraphClientHarness h;
  h.options.maxGetAttempts = 1;
  h.net.respondJson(400, graphErrorJson("BadRequest", "", "Invalid page size specified"));
  h.net.respondJson(200, teamsPageJson({"t1", "t2"}, ""));
  std::vector<std::string> seen;
  auto status = h.make().forEachTeamPage([&](const std::vector<std::string>& ids) {
    seen.insert(seen.end(), ids.begin(), ids.end());
    return true;
  });
  REQUIRE(status.ok());
  CHECK(seen == std::vector<std::string>{"t1", "t2"});
  REQUIRE(h.net.requestCount() == 2);
  CHECK(h.net.lastRequest().url == kGraphBase + "/teams?$select=id");
}

TEST_CASE("teamsPage follows a cursor verbatim and reports the last page with no cursor",
          "[graph][client]") {
  GraphClientHarness h;
  const std::string cursor = kGraphBase + "/teams?$select=id&$skiptoken=X%2BY";
  h.net.respondJson(200, teamsPageJson({"t3"}, ""));
  auto page = h.make().teamsPage(cursor);
  REQUIRE(page.ok());
  CHECK(page->teamIds == std::vector<std::string>{"t3"});
  CHECK(page->nextLink.empty());
  CHECK(h.net.lastRequest().url == cursor);
}

TEST_CASE("teamsPage refuses a cursor on another origin and sends nothing", "[graph][client]") {
  GraphClientHarness h;
  auto page = h.make().teamsPage("https://evil.test/v1.0/teams?$skiptoken=1");
  REQUIRE_FALSE(page.ok());
  CHECK(page.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(page.error().message, Catch::Contains("start the scan over"));
  CHECK(h.net.requestCount() == 0);
}

TEST_CASE("a cursor Graph no longer accepts is permanent so the scan starts over",
          "[graph][client]") {
  GraphClientHarness h;
  h.options.maxGetAttempts = 2;
  h.net.respondJson(400, graphErrorJson("BadRequest", "", "Invalid skip token"));
  h.net.respondJson(400, graphErrorJson("BadRequest", "", "Invalid skip token"));
  auto page = h.make().teamsPage(kGraphBase + "/teams?$select=id&$skiptoken=stale");
  REQUIRE_FALSE(page.ok());
  CHECK(page.error().kind == ErrorKind::kPermanent);
  CHECK(page.error().httpStatus == 400);
  CHECK(h.net.pending() == 0);
}

TEST_CASE("a teamsPage that hits an outage is retried like every GET", "[graph][client]") {
  GraphClientHarness h;
  h.net.respond(503, "");
  h.net.respondJson(200, teamsPageJson({"t1"}, ""));
  auto page = h.make().teamsPage("");
  REQUIRE(page.ok());
  CHECK(page->teamIds == std::vector<std::string>{"t1"});
  CHECK(h.net.requestCount() == 2);
}

TEST_CASE("a team without an id on a teamsPage is a permanent error", "[graph][client]") {
  GraphClientHarness h;
  h.net.respondJson(200, R"({"value":[{"displayName":"nameless"}]})");
  auto page = h.make().teamsPage("");
  REQUIRE_FALSE(page.ok());
  CHECK(page.error().kind == ErrorKind::kPermanent);
}

TEST_CASE("listTeamInstallations(teamId) returns every app in the team across pages",
          "[graph][client]") {
  GraphClientHarness h;
  const std::string next = kGraphBase + "/teams/team%2F1/installedApps?$skiptoken=2";
  nlohmann::json first = {{"value",
                           {nlohmann::json::parse(kInstallationJson),
                            {{"id", "i2"},
                             {"teamsApp", {{"id", "app-2"}}},
                             {"teamsAppDefinition", {{"id", "d2"}, {"version", "2.0.0"}}}}}},
                          {"@odata.nextLink", next}};
  nlohmann::json second = {
      {"value",
       {{{"id", "i3"}, {"teamsApp", {{"id", "app-3"}}}, {"teamsAppDefinition", {{"id", "d3"}}}}}}};
  h.net.respondJson(200, first.dump());
  h.net.respondJson(200, second.dump());
  auto installations = h.make().listTeamInstallations("team/1");
  REQUIRE(installations.ok());
  REQUIRE(installations->size() == 3);
  CHECK((*installations)[0].teamsAppId == "app-1");
  CHECK((*installations)[1].teamsAppId == "app-2");
  CHECK((*installations)[1].version == "2.0.0");
  CHECK((*installations)[2].installationId == "i3");
  for (const auto& installation : *installations) {
    CHECK(installation.teamId == "team/1");
    CHECK(installation.tenantId == "tenant-1");
  }
  auto requests = h.net.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].url ==
        kGraphBase + "/teams/team%2F1/installedApps?$expand=teamsApp,teamsAppDefinition");
  CHECK(requests[1].url == next);
}

TEST_CASE("listTeamInstallations(teamId) of a deleted team is a permanent 404", "[graph][client]") {
  GraphClientHarness h;
  h.net.respondJson(404, graphErrorJson("NotFound", "", "No team found"));
  auto installations = h.make().listTeamInstallations("gone");
  REQUIRE_FALSE(installations.ok());
  CHECK(installations.error().kind == ErrorKind::kPermanent);
  CHECK(installations.error().httpStatus == 404);
  CHECK(h.net.requestCount() == 1);
}
