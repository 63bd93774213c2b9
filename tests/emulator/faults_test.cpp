#include "emulator/faults.h"

#include <catch2/catch.hpp>

#include "emulator/prng.h"
#include "emulator_test_support.h"

using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;
using nlohmann::json;

namespace {

FaultSettings rules(const json& j) {
  auto s = faultSettingsFromJson(j, FaultSettings{});
  INFO(j.dump());
  REQUIRE(s);
  return *s;
}

std::string sequence(uint64_t seed, int n) {
  SplitMix64 random(seed);
  FaultInjector f(random);
  f.set(rules({{"rules", {{{"route", "POST upgrade"}, {"kind", "503"}, {"probability", 0.3}}}}}));
  std::string out;
  for (int i = 0; i < n; ++i) out += f.next("POST upgrade") ? 'x' : '.';
  return out;
}

}  // namespace

TEST_CASE("a count rule fires on exactly the next N matching requests", "[emulator]") {
  SplitMix64 random(1);
  FaultInjector f(random);
  f.set(rules({{"rules", {{{"route", "GET teams"}, {"kind", "500"}, {"count", 2}}}}}));
  CHECK_FALSE(f.next("POST upgrade"));
  CHECK(f.next("GET teams") == FaultKind::k500);
  CHECK(f.next("GET teams") == FaultKind::k500);
  CHECK_FALSE(f.next("GET teams"));
  CHECK(f.current().rules[0].fired == 2);
}

TEST_CASE("probability rules are deterministic under a seed", "[emulator]") {
  const std::string a = sequence(42, 200);
  CHECK(a == sequence(42, 200));
  CHECK(a != sequence(43, 200));
  auto fired = std::count(a.begin(), a.end(), 'x');
  CHECK(fired > 30);
  CHECK(fired < 90);
}

TEST_CASE("'*' matches every route and rules apply in order", "[emulator]") {
  SplitMix64 random(1);
  FaultInjector f(random);
  f.set(rules(json::array({{{"route", "*"}, {"kind", "drop"}, {"count", 1}},
                           {{"route", "*"}, {"kind", "504"}, {"probability", 1.0}},
                           {{"route", "*"}, {"kind", "500"}, {"probability", 1.0}}})));
  CHECK(f.next("POST token") == FaultKind::kDrop);
  CHECK(f.next("GET teams") == FaultKind::k504);
  f.clear();
  CHECK_FALSE(f.next("GET teams"));
}

TEST_CASE("fault rules are validated", "[emulator]") {
  for (const char* text : {R"({"rules":[{"route":"*","kind":"418","count":1}]})",
                           R"({"rules":[{"route":"*","kind":"503"}]})",
                           R"({"rules":[{"route":"*","kind":"503","count":1,"probability":0.5}]})",
                           R"({"rules":[{"route":"*","kind":"503","probability":1.5}]})",
                           R"({"rules":[{"kind":"503","count":1}]})", R"({"rulez":[]})"}) {
    INFO(text);
    CHECK_FALSE(faultSettingsFromJson(json::parse(text), FaultSettings{}));
  }
}

TEST_CASE("injected faults answer as Graph does, and misbehave on request", "[emulator]") {
  TestEmulator emu;
  REQUIRE(emu.control("PUT", "/_emulator/faults",
                      {{"rules",
                        {{{"route", "GET teams"}, {"kind", "503"}, {"count", 1}},
                         {{"route", "GET teams"}, {"kind", "400"}, {"count", 1}},
                         {{"route", "GET teams"}, {"kind", "hang"}, {"count", 1}},
                         {{"route", "GET teams"}, {"kind", "drop"}, {"count", 1}},
                         {{"route", "GET teams"}, {"kind", "truncate"}, {"count", 1}},
                         {{"route", "GET teams"}, {"kind", "nonjson"}, {"count", 1}}}},
                       {"retryAfterSeconds", 7},
                       {"hangMs", 1234}})
              .status == 200);
  Response unavailable = emu.graph("GET", "/v1.0/teams");
  CHECK(unavailable.status == 503);
  CHECK(header(unavailable, "Retry-After") == "7");
  CHECK(body(unavailable)["error"]["code"] == "ServiceNotAvailable");

  Response transient = emu.graph("GET", "/v1.0/teams");
  CHECK(transient.status == 400);
  auto inner = body(transient)["error"]["innerError"];
  CHECK_FALSE(inner.contains("code"));  // like microsoft-graph-docs#20972
  CHECK(inner.contains("request-id"));

  Response hang = emu.graph("GET", "/v1.0/teams");
  CHECK(hang.misbehave == Misbehave::kHang);
  CHECK(hang.hangFor == std::chrono::milliseconds(1234));
  CHECK(emu.graph("GET", "/v1.0/teams").misbehave == Misbehave::kDrop);
  CHECK(emu.graph("GET", "/v1.0/teams").misbehave == Misbehave::kTruncate);
  Response html = emu.graph("GET", "/v1.0/teams");
  CHECK(html.status == 200);
  CHECK(html.contentType.rfind("text/html", 0) == 0);
  CHECK(emu.graph("GET", "/v1.0/teams").status == 200);  // the rules are used up

  auto stats = body(emu.control("GET", "/_emulator/stats"))["requests"]["GET /teams"];
  CHECK(stats["503"] == 1);
  CHECK(stats["hang"] == 1);
  CHECK(stats["drop"] == 1);
  auto listed = body(emu.control("GET", "/_emulator/faults"));
  CHECK(listed["rules"][0]["fired"] == 1);
  CHECK(emu.control("DELETE", "/_emulator/faults").status == 204);
  CHECK(body(emu.control("GET", "/_emulator/faults"))["rules"].empty());
}

TEST_CASE("a fault on the token route answers in the identity platform's shape", "[emulator]") {
  TestEmulator emu;
  REQUIRE(emu.control("PUT", "/_emulator/faults",
                      {{"rules", {{{"route", "POST token"}, {"kind", "503"}, {"count", 1}}}}})
              .status == 200);
  Response r = emu.call("POST", std::string("/") + kTenant + "/oauth2/v2.0/token",
                        formBody({{"grant_type", "client_credentials"}}),
                        {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(r.status == 503);
  CHECK(body(r)["error"] == "temporarily_unavailable");
  emu.token();  // the next one succeeds
}

TEST_CASE("the same seed injects the same faults into the same request sequence", "[emulator]") {
  auto run = [](uint64_t seed) {
    TestEmulator emu({.teams = 5, .seed = seed});
    emu.control("PUT", "/_emulator/faults",
                {{"rules", {{{"route", "GET teams"}, {"kind", "500"}, {"probability", 0.5}}}}});
    std::string out;
    for (int i = 0; i < 64; ++i) out += emu.graph("GET", "/v1.0/teams").status == 500 ? 'x' : '.';
    return out;
  };
  CHECK(run(3) == run(3));
  CHECK(run(3) != run(4));
}

TEST_CASE("a 429 fault carries Retry-After unless it is the no-Retry-After kind", "[emulator]") {
  TestEmulator emu;
  // Ids (and the cached token) first: the token rule below must meet only the explicit call.
  REQUIRE(emu.graph("GET", "/v1.0/teams").status == 200);
  const auto installed = body(emu.control("GET", "/_emulator/installations"));
  REQUIRE_FALSE(installed.empty());
  const std::string team = installed[0]["teamId"];
  const std::string iid = installed[0]["installationId"];
  const std::string upgrade = "/v1.0/teams/" + team + "/installedApps/" + iid + "/upgrade";
  REQUIRE(emu.control("PUT", "/_emulator/faults",
                      {{"rules",
                        {{{"route", "POST upgrade"}, {"kind", "429"}, {"count", 1}},
                         {{"route", "POST upgrade"}, {"kind", "429-no-retry-after"}, {"count", 1}},
                         {{"route", "POST token"}, {"kind", "429"}, {"count", 1}}}},
                       {"retryAfterSeconds", 3}})
              .status == 200);

  Response withHeader = emu.graph("POST", upgrade);
  CHECK(withHeader.status == 429);
  CHECK(body(withHeader)["error"]["code"] == "TooManyRequests");
  CHECK(header(withHeader, "Retry-After") == "3");

  Response bare = emu.graph("POST", upgrade);
  CHECK(bare.status == 429);
  CHECK(body(bare)["error"]["code"] == "TooManyRequests");
  CHECK(header(bare, "Retry-After").empty());

  Response identity = emu.call("POST", std::string("/") + kTenant + "/oauth2/v2.0/token",
                               formBody({{"grant_type", "client_credentials"}}),
                               {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(identity.status == 429);
  CHECK(body(identity)["error"] == "temporarily_unavailable");
  CHECK(header(identity, "Retry-After") == "3");

  auto stats = body(emu.control("GET", "/_emulator/stats"))["requests"];
  CHECK(stats["POST /teams/{id}/installedApps/{id}/upgrade"]["429"] == 2);
  // Injected 429s are not the throttle's: its histogram stays empty.
  CHECK(body(emu.control("GET", "/_emulator/stats"))["throttledPerSecond"].empty());
}
