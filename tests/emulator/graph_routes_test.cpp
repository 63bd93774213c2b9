#include <catch2/catch.hpp>
#include <set>

#include "emulator/ids.h"
#include "emulator/url_codec.h"
#include "emulator_test_support.h"

using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;
using nlohmann::json;

namespace {

std::string enc(const std::string& s) { return percentEncode(s); }

}  // namespace

TEST_CASE("GET /teams pages through every team by following nextLink verbatim", "[emulator]") {
  TestEmulator emu({.teams = 23, .pageSize = 5});
  std::set<std::string> ids;
  std::string target = "/v1.0/teams";
  int pages = 0;
  while (pages < 20) {
    Response r = emu.graph("GET", target);
    REQUIRE(r.status == 200);
    auto j = body(r);
    ++pages;
    CHECK(j["@odata.context"] == "http://127.0.0.1:8080/v1.0/$metadata#teams");
    for (const auto& t : j["value"]) {
      CHECK(t.contains("displayName"));
      CHECK(t.contains("visibility"));
      ids.insert(t["id"].get<std::string>());
    }
    if (!j.contains("@odata.nextLink")) break;
    CHECK(j["value"].size() == 5);
    target = targetOf(j["@odata.nextLink"].get<std::string>());
  }
  CHECK(pages == 5);
  CHECK(ids.size() == 23);
}

TEST_CASE("$top sets the page size and travels in the nextLink with $select", "[emulator]") {
  TestEmulator emu({.teams = 10, .pageSize = 5});
  Response r = emu.graph("GET", "/v1.0/teams?$select=id&$top=7");
  auto j = body(r);
  REQUIRE(j["value"].size() == 7);
  CHECK(j["value"][0] == json{{"id", j["value"][0]["id"]}});
  auto second = body(emu.graph("GET", targetOf(j["@odata.nextLink"])));
  CHECK(second["value"].size() == 3);
  CHECK_FALSE(second.contains("@odata.nextLink"));
  CHECK(second["value"][0].size() == 1);
}

TEST_CASE("a tampered or foreign $skiptoken is 400", "[emulator]") {
  TestEmulator emu({.teams = 12, .pageSize = 5});
  auto j = body(emu.graph("GET", "/v1.0/teams"));
  std::string next = targetOf(j["@odata.nextLink"]);
  std::string tampered = next;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  Response r = emu.graph("GET", tampered);
  CHECK(r.status == 400);
  CHECK(body(r)["error"]["code"] == "BadRequest");
  // The same token on another query does not carry over either.
  auto token = next.substr(next.find("$skiptoken="));
  CHECK(emu.graph("GET", "/v1.0/teams?$top=3&" + token).status == 400);
}

TEST_CASE("GET /teams filters on displayName and answers 400 for what it cannot filter",
          "[emulator]") {
  TestEmulator emu({.teams = 10});
  auto first = body(emu.graph("GET", "/v1.0/teams?$top=1"))["value"][0];
  auto j = body(emu.graph(
      "GET", "/v1.0/teams?$filter=" +
                 enc("displayName eq '" + first["displayName"].get<std::string>() + "'")));
  REQUIRE(j["value"].size() == 1);
  CHECK(j["value"][0]["id"] == first["id"]);
  CHECK(emu.graph("GET", "/v1.0/teams?$filter=" + enc("startswith(displayName,'A')")).status ==
        400);
  CHECK(emu.graph("GET", "/v1.0/teams?$filter=" + enc("webUrl eq 'x'")).status == 400);
  CHECK(emu.graph("GET", "/v1.0/teams?$select=webUrl").status == 400);
}

TEST_CASE("GET /appCatalogs/teamsApps filters on id, externalId and distributionMethod",
          "[emulator]") {
  TestEmulator emu;
  const App tasks = emu.app("Contoso Tasks");
  auto byId = body(
      emu.graph("GET", "/v1.0/appCatalogs/teamsApps?$filter=" + enc("id eq '" + tasks.id + "'")));
  REQUIRE(byId["value"].size() == 1);
  CHECK(byId["value"][0] == json{{"id", tasks.id},
                                 {"externalId", tasks.externalId},
                                 {"displayName", "Contoso Tasks"},
                                 {"distributionMethod", "organization"}});
  auto byExternal = body(emu.graph("GET", "/v1.0/appCatalogs/teamsApps?$filter=" +
                                              enc("externalId eq '" + tasks.externalId + "'")));
  CHECK(byExternal["value"][0]["id"] == tasks.id);
  auto org = body(emu.graph(
      "GET", "/v1.0/appCatalogs/teamsApps?$filter=" +
                 enc("distributionMethod eq 'organization' and displayName eq 'Contoso Notes'")));
  REQUIRE(org["value"].size() == 1);
  auto all = body(emu.graph("GET", "/v1.0/appCatalogs/teamsApps?$top=50&$filter=" +
                                       enc("distributionMethod eq 'organization'")));
  for (const auto& a : all["value"]) CHECK(a["distributionMethod"] == "organization");
  CHECK(all["value"].size() == 5);  // the store app is left out
}

TEST_CASE("$expand=appDefinitions($select=id,authorization) shows only those fields",
          "[emulator]") {
  TestEmulator emu;
  const App insights = emu.app("Contoso Insights");
  auto j = body(
      emu.graph("GET", "/v1.0/appCatalogs/teamsApps?$filter=" + enc("id eq '" + insights.id + "'") +
                           "&$expand=" + enc("appDefinitions($select=id,authorization)")));
  CHECK(j["@odata.context"] ==
        "http://127.0.0.1:8080/v1.0/$metadata#appCatalogs/"
        "teamsApps(appDefinitions(id,authorization))");
  auto app = j["value"][0];
  CHECK(app.contains("appDefinitions@odata.context"));
  REQUIRE(app["appDefinitions"].size() == insights.definitions.size());
  for (const auto& d : app["appDefinitions"]) {
    CHECK(d.size() == 2);
    CHECK(d["authorization"]["requiredPermissionSet"]["resourceSpecificPermissions"].is_array());
  }
  auto full = body(
      emu.graph("GET", "/v1.0/appCatalogs/teamsApps?$filter=" + enc("id eq '" + insights.id + "'") +
                           "&$expand=appDefinitions"));
  auto d = full["value"][0]["appDefinitions"].back();
  for (const char* f : {"id", "teamsAppId", "displayName", "version", "publishingState",
                        "lastModifiedDateTime", "authorization"}) {
    CHECK(d.contains(f));
  }
  CHECK(d["teamsAppId"] == insights.id);
  CHECK(emu.graph("GET", "/v1.0/appCatalogs/teamsApps?$expand=bot").status == 400);
}

TEST_CASE("installedApps expands, filters on teamsApp/id and externalId, selects consent",
          "[emulator]") {
  TestEmulator emu;
  const App insights = emu.app("Contoso Insights");
  const Installation inst = emu.installationOf("Contoso Insights");
  const std::string base = "/v1.0/teams/" + inst.teamId + "/installedApps";

  auto plain = body(emu.graph("GET", base));
  REQUIRE_FALSE(plain["value"].empty());
  for (const auto& item : plain["value"]) CHECK(item.size() == 1);  // only id by default

  auto expanded =
      body(emu.graph("GET", base + "?$expand=" + enc("teamsApp,teamsAppDefinition") +
                                "&$filter=" + enc("teamsApp/id eq '" + insights.id + "'")));
  REQUIRE(expanded["value"].size() == 1);
  auto item = expanded["value"][0];
  CHECK(item["id"] == inst.id);
  CHECK(item["teamsApp"]["id"] == insights.id);
  CHECK(item["teamsAppDefinition"]["version"] == inst.version);
  CHECK_FALSE(item.contains("consentedPermissionSet"));

  auto byExternal = body(emu.graph(
      "GET", base + "?$filter=" + enc("teamsApp/externalId eq '" + insights.externalId + "'")));
  CHECK(byExternal["value"].size() == 1);
  auto none = body(emu.graph("GET", base + "?$filter=" + enc("teamsApp/id eq 'no-such-app'")));
  CHECK(none["value"].empty());

  auto consent = body(emu.graph("GET", base + "?$select=consentedPermissionSet,id&$filter=" +
                                           enc("teamsApp/id eq '" + insights.id + "'")));
  auto perms = consent["value"][0]["consentedPermissionSet"]["resourceSpecificPermissions"];
  CHECK(perms.size() == insights.findVersion(inst.version)->rsc.size());
}

TEST_CASE("GET one installation answers the bare entity", "[emulator]") {
  TestEmulator emu;
  const Installation inst = emu.installationOf("Contoso Tasks");
  Response r = emu.graph("GET", "/v1.0/teams/" + inst.teamId + "/installedApps/" +
                                    percentEncode(inst.id) + "?$expand=teamsAppDefinition");
  REQUIRE(r.status == 200);
  auto j = body(r);
  CHECK_FALSE(j.contains("value"));
  CHECK(j["id"] == inst.id);
  CHECK(j["teamsAppDefinition"]["version"] == inst.version);
  CHECK(j["@odata.context"].get<std::string>().find("/$entity") != std::string::npos);
}

TEST_CASE("unknown teams and installations are 404 NotFound in Graph's error shape", "[emulator]") {
  TestEmulator emu;
  const Installation inst = emu.installationOf("Contoso Tasks");
  Response r = emu.graph("GET", "/v1.0/teams/00000000-0000-4000-8000-000000000000/installedApps",
                         "", {{"client-request-id", "7f8e9d00-1111-2222-3333-444455556666"}});
  REQUIRE(r.status == 404);
  auto e = body(r)["error"];
  CHECK(e["code"] == "NotFound");
  CHECK_FALSE(e["message"].get<std::string>().empty());
  CHECK(e["innerError"]["client-request-id"] == "7f8e9d00-1111-2222-3333-444455556666");
  CHECK(e["innerError"]["request-id"] == header(r, "request-id"));
  CHECK(e["innerError"]["date"].get<std::string>().size() == 19);
  CHECK(header(r, "client-request-id") == "7f8e9d00-1111-2222-3333-444455556666");
  CHECK(emu.graph("GET", "/v1.0/teams/" + inst.teamId + "/installedApps/bm9wZQ==").status == 404);
  CHECK(
      emu.graph("POST", "/v1.0/teams/" + inst.teamId + "/installedApps/bm9wZQ==/upgrade").status ==
      404);
}

TEST_CASE("every answer carries request-id, and client-request-id when the client sent one",
          "[emulator]") {
  TestEmulator emu;
  Response ok = emu.graph("GET", "/v1.0/teams", "", {{"client-request-id", "abc-123"}});
  CHECK(ok.status == 200);
  CHECK(isGuid(header(ok, "request-id")));
  CHECK(header(ok, "client-request-id") == "abc-123");
  Response plain = emu.graph("GET", "/v1.0/teams");
  CHECK(isGuid(header(plain, "request-id")));
  CHECK(header(plain, "client-request-id").empty());
  CHECK(isGuid(header(emu.control("GET", "/_emulator/stats"), "request-id")));
}

TEST_CASE("unknown Graph segments are 400 as in Graph, other paths 404, wrong methods 405",
          "[emulator]") {
  TestEmulator emu;
  Response segment = emu.graph("GET", "/v1.0/teams/x/channels");
  CHECK(segment.status == 400);
  CHECK(body(segment)["error"]["message"] == "Resource not found for the segment 'channels'.");
  CHECK(emu.graph("GET", "/v2.0/teams").status == 404);
  Response method = emu.graph("DELETE", "/v1.0/teams");
  CHECK(method.status == 405);
  CHECK(header(method, "Allow") == "GET");
  CHECK(emu.graph("GET", "/beta/teams").status == 200);
}
