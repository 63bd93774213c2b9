// DeviceCodeFlow against a scripted identity platform: FakeSleeper advances the FakeClock, so
// the polling interval and the code's expiry play out without real time.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fakes/fake_clock.h"
#include "fakes/fake_sleeper.h"
#include "fakes/fake_transport.h"
#include "graph/delegated_tokens.h"
#include "graph/graph_client.h"
#include "graph/url.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using namespace appkeeper::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const char* kDeviceCode = "DAQABAAEAAAD-device-code-secret";

DelegatedClient client() {
  DelegatedClient c;
  c.tokenUrl = "https://login.test/tenant-1/oauth2/v2.0/token";
  c.deviceCodeUrl = "https://login.test/tenant-1/oauth2/v2.0/devicecode";
  c.clientId = "client-1";
  return c;
}

struct DeviceFlowHarness {
  FakeClock clock;
  FakeTransport net;
  FakeSleeper sleeper{&clock};
  DeviceCodeFlow flow{client(), net, clock, sleeper};
};

DeviceCodePrompt prompt(int expiresIn = 900, int interval = 5) {
  DeviceCodePrompt p;
  p.userCode = "ABCD-EFGH";
  p.verificationUri = "https://microsoft.com/devicelogin";
  p.deviceCode = kDeviceCode;
  p.expiresIn = seconds(expiresIn);
  p.interval = seconds(interval);
  return p;
}

std::string pollError(const std::string& code) {
  return nlohmann::json{{"error", code},
                        {"error_description", "AADSTS70016: " + code + " for " + kDeviceCode},
                        {"error_codes", {70016}}}
      .dump();
}

// {"preferred_username":"admin@contoso.example",...}
const char* kIdToken =
    "eyJhbGciOiJub25lIn0."
    "eyJwcmVmZXJyZWRfdXNlcm5hbWUiOiJhZG1pbkBjb250b3NvLmV4YW1wbGUiLCJ1cG4iOiJvdGhlckBjb250b3NvLmV4"
    "YW1wbGUifQ.sig";

std::string grantBody() {
  return nlohmann::json{{"token_type", "Bearer"},
                        {"scope", "TeamsAppInstallation.ReadWriteAndConsentForTeam"},
                        {"expires_in", 4000},
                        {"access_token", "delegated-access"},
                        {"refresh_token", "delegated-refresh"},
                        {"id_token", kIdToken}}
      .dump();
}

void checkNoSecrets(const Error& e) {
  INFO(e.message);
  CHECK(e.message.find(kDeviceCode) == std::string::npos);
  CHECK(e.message.find("delegated-") == std::string::npos);
}

}  // namespace

TEST_CASE("start asks the device-code endpoint for a user code with client_id and scope",
          "[graph][delegated]") {
  DeviceFlowHarness h;
  h.net.respondJson(200, nlohmann::json{{"device_code", kDeviceCode},
                                        {"user_code", "ABCD-EFGH"},
                                        {"verification_uri", "https://microsoft.com/devicelogin"},
                                        {"expires_in", 900},
                                        {"interval", 5},
                                        {"message", "To sign in, use a web browser..."}}
                             .dump());
  auto started = h.flow.start();
  REQUIRE(started.ok());
  CHECK(started->userCode == "ABCD-EFGH");
  CHECK(started->verificationUri == "https://microsoft.com/devicelogin");
  CHECK(started->deviceCode == kDeviceCode);
  CHECK(started->message == "To sign in, use a web browser...");
  CHECK(started->expiresIn == seconds(900));
  CHECK(started->interval == seconds(5));
  const auto request = h.net.lastRequest();
  CHECK(request.method == "POST");
  CHECK(request.url == client().deviceCodeUrl);
  CHECK(request.header("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(request.body == "client_id=client-1&scope=" + encodeFormValue(client().scope));
}

TEST_CASE("a device-code request the endpoint refuses names the settings to check",
          "[graph][delegated]") {
  DeviceFlowHarness h;
  h.net.respondJson(400, pollError("invalid_client"));
  auto started = h.flow.start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().kind == ErrorKind::kPermanent);
  CHECK(started.error().code == "invalid_client");
  CHECK_THAT(started.error().message, Catch::Contains("client_id"));
}

TEST_CASE("polling keeps going through authorization_pending and returns the grant",
          "[graph][delegated]") {
  DeviceFlowHarness h;
  h.net.respondJson(400, pollError("authorization_pending"));
  h.net.respondJson(400, pollError("authorization_pending"));
  h.net.respondJson(200, grantBody());
  int pending = 0;
  auto grant = h.flow.poll(prompt(), [&] { ++pending; });
  REQUIRE(grant.ok());
  CHECK(grant->accessToken == "delegated-access");
  CHECK(grant->refreshToken == "delegated-refresh");
  CHECK(grant->scope == "TeamsAppInstallation.ReadWriteAndConsentForTeam");
  CHECK(grant->account == "admin@contoso.example");
  CHECK(grant->expiresIn == seconds(4000));
  CHECK(pending == 2);
  // One interval before every poll.
  CHECK(h.sleeper.waits() == std::vector<milliseconds>{seconds(5), seconds(5), seconds(5)});
  for (const auto& request : h.net.requests()) {
    CHECK(request.url == client().tokenUrl);
    CHECK(request.body ==
          "grant_type=" + encodeFormValue("urn:ietf:params:oauth:grant-type:device_code") +
              "&client_id=client-1&device_code=" + encodeFormValue(kDeviceCode));
  }
}

TEST_CASE("slow_down adds five seconds to the polling interval for good", "[graph][delegated]") {
  DeviceFlowHarness h;
  h.net.respondJson(400, pollError("slow_down"));
  h.net.respondJson(400, pollError("authorization_pending"));
  h.net.respondJson(200, grantBody());
  auto grant = h.flow.poll(prompt());
  REQUIRE(grant.ok());
  CHECK(h.sleeper.waits() == std::vector<milliseconds>{seconds(5), seconds(10), seconds(10)});
}

TEST_CASE("a declined sign-in ends the flow with a permanent error", "[graph][delegated]") {
  DeviceFlowHarness h;
  h.net.respondJson(400, pollError("authorization_pending"));
  h.net.respondJson(400, pollError("authorization_declined"));
  auto grant = h.flow.poll(prompt());
  REQUIRE_FALSE(grant.ok());
  CHECK(grant.error().kind == ErrorKind::kPermanent);
  CHECK(grant.error().code == "authorization_declined");
  CHECK_THAT(grant.error().message, Catch::Contains("declined"));
  checkNoSecrets(grant.error());
  CHECK(h.net.requestCount() == 2);
}

TEST_CASE("expired_token and bad_verification_code end the flow", "[graph][delegated]") {
  for (const char* code : {"expired_token", "bad_verification_code"}) {
    DeviceFlowHarness h;
    h.net.respondJson(400, pollError(code));
    auto grant = h.flow.poll(prompt());
    REQUIRE_FALSE(grant.ok());
    CHECK(grant.error().kind == ErrorKind::kPermanent);
    CHECK(grant.error().code == code);
    CHECK_THAT(grant.error().message, Catch::Contains("appkeeper login"));
    checkNoSecrets(grant.error());
  }
}

TEST_CASE("polling stops when the code expires by the clock", "[graph][delegated]") {
  DeviceFlowHarness h;
  h.net.setHandler([](const graph::HttpRequest&) -> Result<graph::HttpResponse> {
    return graph::HttpResponse{400, {}, pollError("authorization_pending")};
  });
  auto grant = h.flow.poll(prompt(/*expiresIn=*/60, /*interval=*/5));
  REQUIRE_FALSE(grant.ok());
  CHECK(grant.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(grant.error().message, Catch::Contains("expired"));
  // Polls at 5, 10, ... 55 s; the sleep towards 60 s reaches the deadline and nothing is sent.
  CHECK(h.net.requestCount() == 11);
  CHECK(h.sleeper.total() == seconds(60));
}

TEST_CASE("network errors and outages while polling do not end the flow", "[graph][delegated]") {
  DeviceFlowHarness h;
  h.net.fail(Error::transient("connection reset"));
  h.net.respond(503, "", {{"Retry-After", "12"}});
  h.net.respondJson(200, grantBody());
  auto grant = h.flow.poll(prompt());
  REQUIRE(grant.ok());
  // The 503's Retry-After of 12 s stretches the next wait beyond the 5 s interval.
  CHECK(h.sleeper.waits() ==
        std::vector<milliseconds>{seconds(5), seconds(5), seconds(7), seconds(5)});
}

TEST_CASE("a cancelled sleeper stops polling with kCancelledCode", "[graph][delegated]") {
  DeviceFlowHarness h;
  h.net.respondJson(400, pollError("authorization_pending"));
  h.sleeper.cancelAfter(1);
  auto grant = h.flow.poll(prompt());
  REQUIRE_FALSE(grant.ok());
  CHECK(grant.error().kind == ErrorKind::kTransient);
  CHECK(grant.error().code == kCancelledCode);
  CHECK(h.net.requestCount() == 1);
}
