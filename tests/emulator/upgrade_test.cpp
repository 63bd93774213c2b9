// POST /teams/{id}/installedApps/{id}/upgrade and the rules of Decisions 2-4.
#include <catch2/catch.hpp>

#include "emulator/graph_json.h"
#include "emulator/url_codec.h"
#include "emulator_test_support.h"

using namespace appkeeper;
using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;
using nlohmann::json;

namespace {

std::string upgradePath(const Installation& i, const char* action = "upgrade") {
  return "/v1.0/teams/" + i.teamId + "/installedApps/" + percentEncode(i.id) + "/" + action;
}

std::string consentBody(const std::vector<RscPermission>& perms) {
  return json{{"consentedPermissionSet", permissionSetJson(perms)}}.dump();
}

Installation current(TestEmulator& emu, const Installation& i) {
  auto all = emu.core->model().installations(i.teamsAppId, i.teamId);
  REQUIRE(all);
  REQUIRE(all->size() == 1);
  return all->front();
}

// An installation of the app that is not at its latest version.
Installation outdated(TestEmulator& emu, const std::string& appName) {
  const App app = emu.app(appName);
  const auto installed = emu.core->model().installations(app.id, "");
  for (const auto& i : *installed) {
    if (i.version != app.latestPublished()->version) return i;
  }
  FAIL("every installation of " << appName << " is current");
  return {};
}

void allowAppOnlyRsc(TestEmulator& emu) {
  REQUIRE(emu.control("PUT", "/_emulator/config", {{"allowAppOnlyRsc", true}}).status == 200);
}

void checkConsentError(const Response& r) {
  INFO(r.body);
  REQUIRE(r.status == 400);
  auto e = body(r)["error"];
  CHECK(e["code"] == "BadRequest");
  CHECK(e["innerError"]["code"] == "InvalidRequest");
  CHECK(e["message"] == "The required permissions have not been consented to by the caller.");
}

}  // namespace

TEST_CASE("an upgrade moves the installation to the latest published version and answers 204",
          "[emulator]") {
  TestEmulator emu;
  const Installation before = outdated(emu, "Contoso Tasks");
  Response r = emu.graph("POST", upgradePath(before));
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  const Installation after = current(emu, before);
  CHECK(after.version == emu.app("Contoso Tasks").latestPublished()->version);
  CHECK(after.upgrades == 1);
  CHECK(after.noopUpgrades == 0);
  CHECK(body(emu.control("GET", "/_emulator/stats"))["upgrades"] == 1);
}

TEST_CASE("upgrade accepts /microsoft.graph.upgrade, an empty object and an empty consent",
          "[emulator]") {
  TestEmulator emu;
  const App tasks = emu.app("Contoso Tasks");
  std::vector<Installation> outdatedOnes;
  const auto installed = emu.core->model().installations(tasks.id, "");
  for (const auto& i : *installed) {
    if (i.version != tasks.latestPublished()->version) outdatedOnes.push_back(i);
  }
  REQUIRE(outdatedOnes.size() >= 3);
  CHECK(emu.graph("POST", upgradePath(outdatedOnes[0], "microsoft.graph.upgrade")).status == 204);
  CHECK(emu.graph("POST", upgradePath(outdatedOnes[1]), "{}").status == 204);
  CHECK(emu.graph("POST", upgradePath(outdatedOnes[2]), consentBody({})).status == 204);
  for (size_t i = 0; i < 3; ++i) CHECK(current(emu, outdatedOnes[i]).upgrades == 1);
}

TEST_CASE("upgrading an installation that is already current is a counted no-op 204",
          "[emulator]") {
  TestEmulator emu;
  const Installation before = outdated(emu, "Contoso Tasks");
  REQUIRE(emu.graph("POST", upgradePath(before)).status == 204);
  CHECK(emu.graph("POST", upgradePath(before)).status == 204);
  const Installation after = current(emu, before);
  CHECK(after.upgrades == 1);
  CHECK(after.noopUpgrades == 1);
  auto stats = body(emu.control("GET", "/_emulator/stats"));
  CHECK(stats["noopUpgrades"] == 1);
  CHECK(stats["requests"]["POST /teams/{id}/installedApps/{id}/upgrade"]["204"] == 2);
}

TEST_CASE("an app-only upgrade to a definition with RSC permissions is 403 AccessDenied",
          "[emulator]") {
  TestEmulator emu;
  const Installation inst = outdated(emu, "Contoso Insights");
  const App insights = emu.app("Contoso Insights");
  Response r = emu.graph("POST", upgradePath(inst), consentBody(insights.latestPublished()->rsc));
  INFO(r.body);
  REQUIRE(r.status == 403);
  auto e = body(r)["error"];
  CHECK(e["code"] == "Forbidden");
  CHECK(e["innerError"]["code"] == "AccessDenied");
  CHECK(e["message"].get<std::string>().find("not supported in application context") !=
        std::string::npos);
  CHECK(current(emu, inst).version == inst.version);
  CHECK(current(emu, inst).upgrades == 0);
  // Delegated-only RSC counts too: any RSC permission needs a delegated token.
  CHECK(emu.graph("POST", upgradePath(outdated(emu, "Contoso Notes"))).status == 403);
}

TEST_CASE("with --allow-app-only-rsc the consent must equal the target's RSC set, in any order",
          "[emulator]") {
  TestEmulator emu;
  allowAppOnlyRsc(emu);
  const App insights = emu.app("Contoso Insights");
  const Installation inst = outdated(emu, "Contoso Insights");
  auto required = insights.latestPublished()->rsc;
  REQUIRE(required.size() >= 2);

  checkConsentError(emu.graph("POST", upgradePath(inst)));  // omitted, but has application perms
  auto missing = required;
  missing.pop_back();
  checkConsentError(emu.graph("POST", upgradePath(inst), consentBody(missing)));
  auto extra = required;
  extra.push_back({"ChannelMessage.Send.Group", "application"});
  checkConsentError(emu.graph("POST", upgradePath(inst), consentBody(extra)));
  auto wrongType = required;
  wrongType[0].type = "delegated";
  checkConsentError(emu.graph("POST", upgradePath(inst), consentBody(wrongType)));
  CHECK(current(emu, inst).upgrades == 0);

  auto reversed = std::vector<RscPermission>(required.rbegin(), required.rend());
  CHECK(emu.graph("POST", upgradePath(inst), consentBody(reversed)).status == 204);
  const Installation after = current(emu, inst);
  CHECK(after.version == insights.latestPublished()->version);
  REQUIRE(after.consented);
  CHECK(*after.consented == required);
}

TEST_CASE("a delegated-only RSC set may be omitted, but a wrong one is still refused",
          "[emulator]") {
  TestEmulator emu;
  allowAppOnlyRsc(emu);
  const App notes = emu.app("Contoso Notes");
  const Installation a = outdated(emu, "Contoso Notes");
  checkConsentError(emu.graph("POST", upgradePath(a),
                              consentBody({{"ChannelMeeting.ReadBasic.Group", "delegated"}})));
  CHECK(emu.graph("POST", upgradePath(a)).status == 204);
  CHECK(current(emu, a).version == notes.latestPublished()->version);
}

TEST_CASE("a mixed RSC set needs the whole set consented", "[emulator]") {
  TestEmulator emu;
  allowAppOnlyRsc(emu);
  const App insights = emu.app("Contoso Insights");
  json mixed = json::array(
      {{{"permissionValue", "ChannelMessage.Read.Group"}, {"permissionType", "application"}},
       {{"permissionValue", "ChannelMeeting.ReadBasic.Group"}, {"permissionType", "delegated"}}});
  REQUIRE(emu.control("POST", "/_emulator/apps/" + insights.id + "/versions",
                      {{"version", "5.0.0"}, {"resourceSpecificPermissions", mixed}})
              .status == 201);
  const Installation inst = emu.installationOf("Contoso Insights");
  checkConsentError(emu.graph("POST", upgradePath(inst)));
  checkConsentError(emu.graph("POST", upgradePath(inst),
                              consentBody({{"ChannelMessage.Read.Group", "application"}})));
  CHECK(emu.graph("POST", upgradePath(inst),
                  consentBody({{"ChannelMeeting.ReadBasic.Group", "delegated"},
                               {"ChannelMessage.Read.Group", "application"}}))
            .status == 204);
  CHECK(current(emu, inst).version == "5.0.0");
}

TEST_CASE("a malformed upgrade body is 400, not ignored", "[emulator]") {
  TestEmulator emu;
  const Installation inst = outdated(emu, "Contoso Tasks");
  for (
      const char* b :
      {"{", "[]", R"({"consented": {}})",
       R"({"consentedPermissionSet": {"resourceSpecificPermissions": [{"permissionValue": "X"}]}})"}) {
    INFO(b);
    Response r = emu.graph("POST", upgradePath(inst), b);
    CHECK(r.status == 400);
    CHECK(body(r)["error"]["code"] == "BadRequest");
  }
  CHECK(current(emu, inst).upgrades == 0);
}

TEST_CASE("a version waiting for review is never an upgrade target", "[emulator]") {
  TestEmulator emu;
  const App tasks = emu.app("Contoso Tasks");
  REQUIRE(emu.control("POST", "/_emulator/apps/" + tasks.id + "/versions",
                      {{"version", "9.0.0"}, {"requiresReview", true}})
              .status == 201);
  const Installation inst = outdated(emu, "Contoso Tasks");
  REQUIRE(emu.graph("POST", upgradePath(inst)).status == 204);
  CHECK(current(emu, inst).version == tasks.latestPublished()->version);
  REQUIRE(emu.control("POST", "/_emulator/apps/" + tasks.id + "/versions/9.0.0/approve").status ==
          200);
  REQUIRE(emu.graph("POST", upgradePath(inst)).status == 204);
  CHECK(current(emu, inst).version == "9.0.0");
  CHECK(current(emu, inst).upgrades == 2);
}
