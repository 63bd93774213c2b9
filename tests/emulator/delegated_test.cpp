// Delegated sign-in: the device-code and refresh-token grants (shared/graph-api.md §4.2), the
// control API that stands in for the person who signs in, and upgrades with delegated tokens.
#include <catch2/catch.hpp>

#include "emulator/graph_json.h"
#include "emulator/ids.h"
#include "emulator/url_codec.h"
#include "emulator_test_support.h"

using namespace appkeeper;
using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kTokenPath = std::string("/") + kTenant + "/oauth2/v2.0/token";
const std::string kDeviceCodePath = std::string("/") + kTenant + "/oauth2/v2.0/devicecode";
const Headers kForm = {{"Content-Type", "application/x-www-form-urlencoded"}};
const std::string kUpgradeScope =
    "https://graph.microsoft.com/TeamsAppInstallation.ReadWriteAndConsentForTeam offline_access";

json startSignIn(TestEmulator& emu, const std::string& scope = kUpgradeScope) {
  Response r = emu.call("POST", kDeviceCodePath,
                        formBody({{"client_id", kClientId}, {"scope", scope}}), kForm);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return body(r);
}

Response poll(TestEmulator& emu, const std::string& deviceCode,
              const std::string& client = kClientId) {
  return emu.call("POST", kTokenPath,
                  formBody({{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                            {"client_id", client},
                            {"device_code", deviceCode}}),
                  kForm);
}

Response refresh(TestEmulator& emu, const std::string& refreshToken,
                 const std::string& scope = "") {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"grant_type", "refresh_token"}, {"client_id", kClientId}, {"refresh_token", refreshToken}};
  if (!scope.empty()) fields.emplace_back("scope", scope);
  return emu.call("POST", kTokenPath, formBody(fields), kForm);
}

Response approve(TestEmulator& emu, const std::string& userCode, const json& body = nullptr) {
  return emu.control("POST", "/_emulator/devicecodes/" + userCode + "/approve", body);
}

void checkIdentityError(const Response& r, int status, const std::string& error) {
  INFO(r.body);
  CHECK(r.status == status);
  auto j = body(r);
  CHECK(j.at("error") == error);
  CHECK(j.at("error_description").get<std::string>().rfind("AADSTS", 0) == 0);
}

// A signed-in admin's token answer (device code approved and redeemed).
json signIn(TestEmulator& emu, const std::string& scope = kUpgradeScope) {
  const json code = startSignIn(emu, scope);
  REQUIRE(approve(emu, code["user_code"]).status == 200);
  Response r = poll(emu, code["device_code"]);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return body(r);
}

Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string upgradePath(const Installation& i) {
  return "/v1.0/teams/" + i.teamId + "/installedApps/" + percentEncode(i.id) + "/upgrade";
}

Installation outdated(TestEmulator& emu, const std::string& appName) {
  const App app = emu.app(appName);
  const auto installed = emu.core->model().installations(app.id, "");
  for (const auto& i : *installed) {
    if (i.version != app.latestPublished()->version) return i;
  }
  FAIL("every installation of " << appName << " is current");
  return {};
}

Response upgradeWith(TestEmulator& emu, const std::string& token, const Installation& inst,
                     const std::string& body) {
  Headers h = bearer(token);
  if (!body.empty()) h.emplace_back("Content-Type", "application/json");
  return emu.call("POST", upgradePath(inst), body, h);
}

std::string consentFor(TestEmulator& emu, const std::string& appName) {
  return json{
      {"consentedPermissionSet", permissionSetJson(emu.app(appName).latestPublished()->rsc)}}
      .dump();
}

}  // namespace

TEST_CASE("a device code request answers like the identity platform", "[emulator]") {
  TestEmulator emu;
  const json j = startSignIn(emu);
  const std::string userCode = j.at("user_code");
  CHECK(userCode.size() >= 8);
  CHECK(j.at("device_code").get<std::string>().size() > 20);
  CHECK(j.at("verification_uri") == "https://microsoft.com/devicelogin");
  CHECK(j.at("expires_in") == 900);
  CHECK(j.at("interval") == 5);
  CHECK(j.at("message") ==
        "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and "
        "enter the code " +
            userCode + " to authenticate.");
}

TEST_CASE("a device code request needs the known client and a Graph scope", "[emulator]") {
  TestEmulator emu;
  checkIdentityError(emu.call("POST", kDeviceCodePath,
                              formBody({{"client_id", "33333333-3333-3333-3333-333333333333"},
                                        {"scope", kUpgradeScope}}),
                              kForm),
                     400, "unauthorized_client");
  checkIdentityError(
      emu.call("POST", kDeviceCodePath,
               formBody({{"client_id", kClientId}, {"scope", "offline_access"}}), kForm),
      400, "invalid_scope");
  checkIdentityError(
      emu.call("POST", kDeviceCodePath,
               formBody({{"client_id", kClientId}, {"scope", "api://other/Read offline_access"}}),
               kForm),
      400, "invalid_scope");
  checkIdentityError(emu.call("POST", kDeviceCodePath, formBody({{"client_id", kClientId}}), kForm),
                     400, "invalid_request");
}

TEST_CASE("a device code is pending until approved, then redeemed exactly once", "[emulator]") {
  TestEmulator emu;
  const json code = startSignIn(emu, kUpgradeScope + " openid profile");
  checkIdentityError(poll(emu, code["device_code"]), 400, "authorization_pending");

  Response approved = approve(emu, code["user_code"], {{"user", "it-admin@contoso.example"}});
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  CHECK(body(approved)["state"] == "approved");

  emu.clock.advance(5s);
  Response r = poll(emu, code["device_code"]);
  INFO(r.body);
  REQUIRE(r.status == 200);
  const json grant = body(r);
  CHECK(grant.at("token_type") == "Bearer");
  CHECK(grant.at("expires_in") == 3599);
  CHECK(grant.at("scope").get<std::string>().find(
            "TeamsAppInstallation.ReadWriteAndConsentForTeam") != std::string::npos);
  CHECK_FALSE(grant.at("refresh_token").get<std::string>().empty());
  // The id_token's payload names the approving user (it is not signed by a real key).
  const std::string idToken = grant.at("id_token");
  const size_t dot1 = idToken.find('.');
  const size_t dot2 = idToken.find('.', dot1 + 1);
  REQUIRE(dot2 != std::string::npos);
  auto payload = base64UrlDecode(idToken.substr(dot1 + 1, dot2 - dot1 - 1));
  REQUIRE(payload);
  const json claims = json::parse(*payload);
  CHECK(claims.at("preferred_username") == "it-admin@contoso.example");
  CHECK(claims.at("tid") == kTenant);
  CHECK(claims.at("aud") == kClientId);

  // The delegated token works on Graph.
  CHECK(emu.call("GET", "/v1.0/teams", "", bearer(grant.at("access_token"))).status == 200);
  // A device code is redeemed once.
  emu.clock.advance(5s);
  checkIdentityError(poll(emu, code["device_code"]), 400, "invalid_grant");
}

TEST_CASE("without offline_access or openid there is no refresh token or id_token", "[emulator]") {
  TestEmulator emu;
  const json grant = signIn(emu, "TeamsAppInstallation.ReadWriteAndConsentForTeam");
  CHECK(grant.contains("access_token"));
  CHECK_FALSE(grant.contains("refresh_token"));
  CHECK_FALSE(grant.contains("id_token"));
}

TEST_CASE("a declined device code answers authorization_declined and cannot be approved later",
          "[emulator]") {
  TestEmulator emu;
  const json code = startSignIn(emu);
  REQUIRE(emu.control("POST",
                      "/_emulator/devicecodes/" + code["user_code"].get<std::string>() + "/decline")
              .status == 200);
  checkIdentityError(poll(emu, code["device_code"]), 400, "authorization_declined");
  CHECK(approve(emu, code["user_code"]).status == 409);
}

TEST_CASE("a device code nobody approved in time answers expired_token", "[emulator]") {
  TestEmulator emu;
  const json code = startSignIn(emu);
  emu.clock.advance(901s);
  checkIdentityError(poll(emu, code["device_code"]), 400, "expired_token");
  CHECK(approve(emu, code["user_code"]).status == 409);
}

TEST_CASE("an unknown device code, or another client's, is bad_verification_code", "[emulator]") {
  TestEmulator emu;
  checkIdentityError(poll(emu, "emudc.not-a-code"), 400, "bad_verification_code");
  CHECK(approve(emu, "NOSUCHCOD").status == 404);
}

TEST_CASE("polling faster than the interval earns slow_down", "[emulator]") {
  TestEmulator emu;
  const json code = startSignIn(emu);
  checkIdentityError(poll(emu, code["device_code"]), 400, "authorization_pending");
  emu.clock.advance(2s);
  checkIdentityError(poll(emu, code["device_code"]), 400, "slow_down");
  emu.clock.advance(5s);
  checkIdentityError(poll(emu, code["device_code"]), 400, "authorization_pending");
}

TEST_CASE("the device code timings follow the config", "[emulator]") {
  TestEmulator emu;
  Response put = emu.control("PUT", "/_emulator/config",
                             {{"deviceCodeIntervalSeconds", 0}, {"deviceCodeLifetimeSeconds", 60}});
  INFO(put.body);
  REQUIRE(put.status == 200);
  CHECK(body(put)["deviceCodeIntervalSeconds"] == 0);
  const json code = startSignIn(emu);
  CHECK(code["interval"] == 0);
  CHECK(code["expires_in"] == 60);
  // Interval 0: back-to-back polls are fine.
  for (int i = 0; i < 3; ++i) {
    checkIdentityError(poll(emu, code["device_code"]), 400, "authorization_pending");
  }
  emu.clock.advance(61s);
  checkIdentityError(poll(emu, code["device_code"]), 400, "expired_token");
}

TEST_CASE("the control API lists device codes by user code, never the device code", "[emulator]") {
  TestEmulator emu;
  const json first = startSignIn(emu);
  const json second = startSignIn(emu);
  REQUIRE(approve(emu, second["user_code"]).status == 200);
  Response r = emu.control("GET", "/_emulator/devicecodes");
  REQUIRE(r.status == 200);
  const json list = body(r)["value"];
  REQUIRE(list.size() == 2);
  CHECK(list[0]["userCode"] == first["user_code"]);
  CHECK(list[0]["state"] == "pending");
  CHECK(list[0].contains("expiresAt"));
  CHECK(list[1]["state"] == "approved");
  CHECK(list[1]["user"] == "admin@contoso.example");
  CHECK(r.body.find(first["device_code"].get<std::string>()) == std::string::npos);
  CHECK(r.body.find(second["device_code"].get<std::string>()) == std::string::npos);
}

TEST_CASE("a refresh returns a new refresh token and the old one stays valid", "[emulator]") {
  TestEmulator emu;
  const json grant = signIn(emu);
  const std::string first = grant["refresh_token"];
  Response r = refresh(emu, first);
  INFO(r.body);
  REQUIRE(r.status == 200);
  const json renewed = body(r);
  const std::string second = renewed.at("refresh_token");
  CHECK(second != first);
  CHECK(renewed.at("access_token") != grant.at("access_token"));
  CHECK(emu.call("GET", "/v1.0/teams", "", bearer(renewed.at("access_token"))).status == 200);
  // Rotation without revocation (§4.2): the old token still works, and so does the new one.
  CHECK(refresh(emu, first).status == 200);
  CHECK(refresh(emu, second).status == 200);
}

TEST_CASE("revoked refresh tokens get invalid_grant until the admin signs in again", "[emulator]") {
  TestEmulator emu;
  const json grant = signIn(emu);
  const std::string first = grant["refresh_token"];
  const std::string second = body(refresh(emu, first))["refresh_token"];
  Response revoked = emu.control("POST", "/_emulator/refresh-tokens/revoke");
  REQUIRE(revoked.status == 200);
  CHECK(body(revoked)["revoked"] == 2);
  checkIdentityError(refresh(emu, first), 400, "invalid_grant");
  checkIdentityError(refresh(emu, second), 400, "invalid_grant");
  const json again = signIn(emu);
  CHECK(refresh(emu, again["refresh_token"]).status == 200);
}

TEST_CASE("an unknown refresh token is invalid_grant without echoing it", "[emulator]") {
  TestEmulator emu;
  Response r = refresh(emu, "emurt.made-up-token-value");
  checkIdentityError(r, 400, "invalid_grant");
  CHECK(r.body.find("made-up-token-value") == std::string::npos);
}

TEST_CASE("a refresh may narrow the scope but not widen it", "[emulator]") {
  TestEmulator emu;
  const json grant = signIn(emu);
  Response same =
      refresh(emu, grant["refresh_token"],
              "https://graph.microsoft.com/TeamsAppInstallation.ReadWriteAndConsentForTeam");
  INFO(same.body);
  CHECK(same.status == 200);
  Response wider = refresh(emu, grant["refresh_token"], "https://graph.microsoft.com/Mail.Read");
  checkIdentityError(wider, 400, "invalid_grant");
  CHECK(body(wider)["suberror"] == "consent_required");
}

TEST_CASE("a delegated token upgrades an RSC app that an app-only token may not", "[emulator]") {
  TestEmulator emu;
  const Installation inst = outdated(emu, "Contoso Insights");
  const std::string consent = consentFor(emu, "Contoso Insights");
  // App-only: Decision 3 still holds.
  CHECK(upgradeWith(emu, emu.token(), inst, consent).status == 403);

  const std::string delegated = signIn(emu)["access_token"];
  Response r = upgradeWith(emu, delegated, inst, consent);
  INFO(r.body);
  CHECK(r.status == 204);
  auto after = emu.core->model().installations(inst.teamsAppId, inst.teamId);
  REQUIRE(after);
  CHECK(after->front().version == emu.app("Contoso Insights").latestPublished()->version);
}

TEST_CASE("a delegated upgrade still needs the consent body to match the RSC set", "[emulator]") {
  TestEmulator emu;
  const Installation inst = outdated(emu, "Contoso Insights");
  const std::string delegated = signIn(emu)["access_token"];
  Response none = upgradeWith(emu, delegated, inst, "");
  INFO(none.body);
  CHECK(none.status == 400);
  CHECK(body(none)["error"]["innerError"]["code"] == "InvalidRequest");
  Response wrong = upgradeWith(
      emu, delegated, inst,
      R"({"consentedPermissionSet":{"resourceSpecificPermissions":[{"permissionValue":"TeamSettings.Read.Group","permissionType":"application"}]}})");
  CHECK(wrong.status == 400);
}

TEST_CASE("a delegated token needs an upgrade permission, and one that may consent for RSC",
          "[emulator]") {
  TestEmulator emu;
  const Installation inst = outdated(emu, "Contoso Insights");
  const std::string consent = consentFor(emu, "Contoso Insights");
  const std::string readOnly = signIn(emu, "User.Read")["access_token"];
  Response r = upgradeWith(emu, readOnly, inst, consent);
  INFO(r.body);
  CHECK(r.status == 403);
  CHECK(body(r)["error"]["message"].get<std::string>().find("Missing scope permissions") == 0);

  const std::string noConsent =
      signIn(emu, "TeamsAppInstallation.ReadWriteForTeam")["access_token"];
  CHECK(upgradeWith(emu, noConsent, inst, consent).status == 403);
  // Apps without RSC are fine with it.
  CHECK(upgradeWith(emu, noConsent, outdated(emu, "Contoso Tasks"), "").status == 204);
}

TEST_CASE("subscriptions on installations refuse delegated tokens", "[emulator]") {
  TestEmulator emu;
  const std::string delegated = signIn(emu)["access_token"];
  Headers h = bearer(delegated);
  h.emplace_back("Content-Type", "application/json");
  Response r = emu.call("POST", "/v1.0/subscriptions", R"({"changeType":"created"})", h);
  INFO(r.body);
  CHECK(r.status == 403);
}

TEST_CASE("the stats count device-code and refresh grants by outcome", "[emulator]") {
  TestEmulator emu;
  const json code = startSignIn(emu);
  checkIdentityError(poll(emu, code["device_code"]), 400, "authorization_pending");
  REQUIRE(approve(emu, code["user_code"]).status == 200);
  emu.clock.advance(5s);
  const json grant = body(poll(emu, code["device_code"]));
  REQUIRE(refresh(emu, grant["refresh_token"]).status == 200);
  REQUIRE(emu.control("POST", "/_emulator/refresh-tokens/revoke").status == 200);
  REQUIRE(refresh(emu, grant["refresh_token"]).status == 400);

  const json stats = body(emu.control("GET", "/_emulator/stats"));
  INFO(stats.dump());
  CHECK(stats["grants"]["devicecode"]["issued"] == 1);
  CHECK(stats["grants"]["device_code"]["authorization_pending"] == 1);
  CHECK(stats["grants"]["device_code"]["issued"] == 1);
  CHECK(stats["grants"]["refresh_token"]["issued"] == 1);
  CHECK(stats["grants"]["refresh_token"]["invalid_grant"] == 1);
  CHECK(stats["requests"]["POST /{tenant}/oauth2/v2.0/devicecode"]["200"] == 1);
}
