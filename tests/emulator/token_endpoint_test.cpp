#include <catch2/catch.hpp>

#include "emulator/ids.h"
#include "emulator_test_support.h"

using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;
using namespace std::chrono_literals;

namespace {

const std::string kTokenPath = std::string("/") + kTenant + "/oauth2/v2.0/token";
const Headers kForm = {{"Content-Type", "application/x-www-form-urlencoded"}};

std::string credentials(const std::string& secret = kSecret,
                        const std::string& scope = "https://graph.microsoft.com/.default",
                        const std::string& grant = "client_credentials",
                        const std::string& client = kClientId) {
  return formBody(
      {{"grant_type", grant}, {"client_id", client}, {"client_secret", secret}, {"scope", scope}});
}

void checkIdentityError(const Response& r, int status, const std::string& error, int code) {
  INFO(r.body);
  CHECK(r.status == status);
  auto j = body(r);
  CHECK(j.at("error") == error);
  CHECK(j.at("error_codes") == nlohmann::json::array({code}));
  CHECK(j.at("error_description")
            .get<std::string>()
            .rfind("AADSTS" + std::to_string(code) + ":", 0) == 0);
  for (const char* f : {"timestamp", "trace_id", "correlation_id"}) CHECK(j.contains(f));
}

}  // namespace

TEST_CASE("client credentials with the right secret get an opaque bearer token", "[emulator]") {
  TestEmulator emu;
  Response r = emu.call("POST", kTokenPath, credentials(), kForm);
  REQUIRE(r.status == 200);
  auto j = body(r);
  CHECK(j.at("token_type") == "Bearer");
  CHECK(j.at("expires_in") == 3599);
  CHECK(j.at("ext_expires_in") == 3599);
  CHECK(j.at("access_token").get<std::string>().size() > 20);
  CHECK(header(r, "Cache-Control").find("no-store") != std::string::npos);
  CHECK_FALSE(header(r, "request-id").empty());
}

TEST_CASE("HTTP Basic client authentication is accepted too", "[emulator]") {
  TestEmulator emu;
  const std::string basic = base64Encode(std::string(kClientId) + ":" + kSecret);
  Response r = emu.call(
      "POST", kTokenPath,
      formBody({{"grant_type", "client_credentials"},
                {"scope", "https://graph.microsoft.com/.default"}}),
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Authorization", "Basic " + basic}});
  CHECK(r.status == 200);
}

TEST_CASE("a wrong client secret is 401 invalid_client AADSTS7000215 without the secret in it",
          "[emulator]") {
  TestEmulator emu;
  Response r = emu.call("POST", kTokenPath, credentials("wrong-secret-value"), kForm);
  checkIdentityError(r, 401, "invalid_client", 7000215);
  CHECK(r.body.find("wrong-secret-value") == std::string::npos);
  CHECK(r.body.find(kSecret) == std::string::npos);
}

TEST_CASE("token endpoint errors follow the identity platform", "[emulator]") {
  TestEmulator emu;
  checkIdentityError(emu.call("POST", "/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token",
                              credentials(), kForm),
                     400, "invalid_request", 90002);
  checkIdentityError(emu.call("POST", kTokenPath,
                              credentials(kSecret, "https://graph.microsoft.com/User.Read"), kForm),
                     400, "invalid_scope", 1002012);
  checkIdentityError(emu.call("POST", kTokenPath, credentials(kSecret, "x", "password"), kForm),
                     400, "unsupported_grant_type", 70003);
  checkIdentityError(
      emu.call("POST", kTokenPath,
               credentials(kSecret, "https://graph.microsoft.com/.default", "client_credentials",
                           "33333333-3333-3333-3333-333333333333"),
               kForm),
      400, "unauthorized_client", 700016);
  checkIdentityError(emu.call("POST", kTokenPath, credentials(""), kForm), 401, "invalid_client",
                     7000218);
}

TEST_CASE("Graph answers a missing, unknown or expired token with 401 and WWW-Authenticate",
          "[emulator]") {
  TestEmulator emu;
  auto check = [](const Response& r, const std::string& message) {
    INFO(r.body);
    CHECK(r.status == 401);
    auto j = body(r);
    CHECK(j["error"]["code"] == "InvalidAuthenticationToken");
    CHECK(j["error"]["message"] == message);
    CHECK(header(r, "WWW-Authenticate").rfind("Bearer realm=\"\"", 0) == 0);
  };
  check(emu.call("GET", "/v1.0/teams"), "Access token is empty.");
  check(emu.call("GET", "/v1.0/teams", "", {{"Authorization", "Bearer not-a-token"}}),
        "CompactToken parsing failed with error code: 80049217");

  const std::string token = emu.token();
  Headers auth = {{"Authorization", "Bearer " + token}};
  CHECK(emu.call("GET", "/v1.0/teams", "", auth).status == 200);
  emu.clock.advance(3600s);
  check(emu.call("GET", "/v1.0/teams", "", auth), "Access token has expired or is not yet valid.");
}

TEST_CASE("the control API expires every token at once", "[emulator]") {
  TestEmulator emu;
  Headers auth = {{"Authorization", "Bearer " + emu.token()}};
  REQUIRE(emu.call("GET", "/v1.0/teams", "", auth).status == 200);
  Response r = emu.control("POST", "/_emulator/tokens/expire");
  CHECK(body(r)["expired"] == 1);
  CHECK(emu.call("GET", "/v1.0/teams", "", auth).status == 401);
  // A new token works again, with the lifetime the config says.
  REQUIRE(emu.control("PUT", "/_emulator/config", {{"tokenLifetimeSeconds", 60}}).status == 200);
  Headers fresh = {{"Authorization", "Bearer " + emu.token()}};
  CHECK(emu.call("GET", "/v1.0/teams", "", fresh).status == 200);
  emu.clock.advance(61s);
  CHECK(emu.call("GET", "/v1.0/teams", "", fresh).status == 401);
}
