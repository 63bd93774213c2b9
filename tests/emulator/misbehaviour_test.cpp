// Injected transport faults as a Poco client with a short timeout sees them, against a real
// EmulatorServer on 127.0.0.1 port 0 (in process).
#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>

#include <catch2/catch.hpp>

#include "emulator/emulator_server.h"
#include "emulator/url_codec.h"
#include "emulator_test_support.h"
#include "http_test_client.h"

using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct Served {
  Served() : server(*emu.core, ServerOptions{}, nullptr) {
    REQUIRE(server.start());
    base = server.url();
    REQUIRE(server.port() != 0);
  }
  void faults(const json& rules, int hangMs = 60000) {
    REQUIRE(
        call("PUT", base + "/_emulator/faults", json{{"rules", rules}, {"hangMs", hangMs}}.dump())
            .status == 200);
  }
  std::string token() {
    auto r = call("POST", base + "/" + kTenant + "/oauth2/v2.0/token",
                  formBody({{"grant_type", "client_credentials"},
                            {"client_id", kClientId},
                            {"client_secret", kSecret},
                            {"scope", "https://graph.microsoft.com/.default"}}),
                  {{"Content-Type", "application/x-www-form-urlencoded"}});
    REQUIRE(r.status == 200);
    return r.json()["access_token"];
  }
  TestEmulator emu{{.teams = 5}};
  EmulatorServer server;
  std::string base;
};

}  // namespace

TEST_CASE("a hang holds the connection past the client's timeout and the server still stops",
          "[emulator][integration]") {
  Served s;
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + s.token()}};
  s.faults({{{"route", "GET teams"}, {"kind", "hang"}, {"count", 1}}});
  CHECK_THROWS_AS(call("GET", s.base + "/v1.0/teams", "", auth, 300ms), Poco::TimeoutException);
  CHECK(call("GET", s.base + "/v1.0/teams", "", auth).status == 200);  // only one was asked for
  s.server.stop();  // wakes the hung request thread instead of waiting a minute
}

TEST_CASE("a drop closes the connection without an answer", "[emulator][integration]") {
  Served s;
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + s.token()}};
  s.faults({{{"route", "POST upgrade"}, {"kind", "drop"}, {"count", 1}}});
  const Installation inst = s.emu.installationOf("Contoso Tasks");
  const std::string url = s.base + "/v1.0/teams/" + inst.teamId + "/installedApps/" +
                          percentEncode(inst.id) + "/upgrade";
  CHECK_THROWS_AS(call("POST", url, "", auth, 2s), Poco::Net::NetException);
  CHECK(s.emu.core->model().installations(inst.teamsAppId, inst.teamId)->front().upgrades == 0);
}

TEST_CASE("a truncated answer ends before its Content-Length", "[emulator][integration]") {
  Served s;
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + s.token()}};
  s.faults({{{"route", "GET teams"}, {"kind", "truncate"}, {"count", 1}}});
  HttpAnswer r;
  bool threw = false;
  try {
    r = call("GET", s.base + "/v1.0/teams", "", auth, 2s);
  } catch (const Poco::Exception&) {
    threw = true;  // some stream versions report the short body as an error
  }
  if (!threw) {
    CHECK(r.status == 200);
    CHECK(r.contentLength > static_cast<long long>(r.body.size()));
    CHECK(json::parse(r.body, nullptr, false).is_discarded());
  }
}

TEST_CASE("answers keep the connection alive and carry JSON with charset and a true length",
          "[emulator][integration]") {
  Served s;
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + s.token()}};
  ParsedUrl u = parseUrl(s.base);
  Poco::Net::HTTPClientSession session(u.host, u.port);
  session.setTimeout(Poco::Timespan(5, 0));
  session.setKeepAlive(true);  // Poco's client asks for Connection: close otherwise
  for (int i = 0; i < 3; ++i) {
    HttpAnswer r = send(session, "GET", "/v1.0/teams", "", auth);
    CHECK(r.status == 200);
    CHECK(r.headers["content-type"] == "application/json; charset=utf-8");
    CHECK(r.contentLength == static_cast<long long>(r.body.size()));
    CHECK(r.headers["connection"] == "Keep-Alive");
  }
  const Installation inst = s.emu.installationOf("Contoso Polls");
  HttpAnswer noContent =
      send(session, "POST",
           "/v1.0/teams/" + inst.teamId + "/installedApps/" + percentEncode(inst.id) + "/upgrade",
           "", auth);
  CHECK(noContent.status == 204);
  CHECK(noContent.body.empty());
  CHECK(send(session, "GET", "/v1.0/teams", "", auth).status == 200);  // still usable after a 204
}
