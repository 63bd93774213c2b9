#include "emulator/throttle.h"

#include <catch2/catch.hpp>

#include "emulator_test_support.h"
#include "fakes/fake_clock.h"

using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;
using namespace std::chrono_literals;

TEST_CASE("the GET budget admits N in any one-second window, then asks to retry after >= 1 s",
          "[emulator]") {
  appkeeper::testing::FakeClock clock;
  Throttle t(clock, {30, 30, 4, true});
  for (int i = 0; i < 30; ++i) {
    REQUIRE(t.admit(kTenant, Budget::kGet, "").allowed);
    clock.advance(10ms);
  }
  auto refused = t.admit(kTenant, Budget::kGet, "");
  CHECK_FALSE(refused.allowed);
  CHECK(refused.scope == "GET");
  CHECK(refused.retryAfter == 1s);
  // The first admission (at t=0) leaves the window at t=1000 ms.
  clock.advance(700ms);  // now t=1000
  CHECK(t.admit(kTenant, Budget::kGet, "").allowed);
  CHECK_FALSE(t.admit(kTenant, Budget::kGet, "").allowed);
  // POSTs have a budget of their own.
  CHECK(t.admit(kTenant, Budget::kPost, "").allowed);
}

TEST_CASE("a team admits 4 requests per second whatever the tenant budget says", "[emulator]") {
  appkeeper::testing::FakeClock clock;
  Throttle t(clock, {30, 30, 4, true});
  for (int i = 0; i < 4; ++i) REQUIRE(t.admit(kTenant, Budget::kPost, "team-a").allowed);
  auto refused = t.admit(kTenant, Budget::kGet, "team-a");
  CHECK_FALSE(refused.allowed);
  CHECK(refused.scope == "team");
  CHECK(t.admit(kTenant, Budget::kGet, "team-b").allowed);
  clock.advance(1s);
  CHECK(t.admit(kTenant, Budget::kGet, "team-a").allowed);
  CHECK(t.observations()["team"] == 4);
}

TEST_CASE("a refused request does not use up the budget, and throttling can be switched off",
          "[emulator]") {
  appkeeper::testing::FakeClock clock;
  Throttle t(clock, {2, 2, 0, true});
  REQUIRE(t.admit(kTenant, Budget::kGet, "").allowed);
  REQUIRE(t.admit(kTenant, Budget::kGet, "").allowed);
  for (int i = 0; i < 10; ++i) CHECK_FALSE(t.admit(kTenant, Budget::kGet, "").allowed);
  clock.advance(1s);
  CHECK(t.admit(kTenant, Budget::kGet, "").allowed);
  t.setLimits({2, 2, 0, false});
  for (int i = 0; i < 10; ++i) CHECK(t.admit(kTenant, Budget::kGet, "").allowed);
}

TEST_CASE("a throttled Graph call is 429 TooManyRequests with Retry-After, and counted",
          "[emulator]") {
  TestEmulator emu({.teams = 5, .throttle = true, .limits = {3, 3, 100, true}});
  for (int i = 0; i < 3; ++i) REQUIRE(emu.graph("GET", "/v1.0/teams").status == 200);
  Response r = emu.graph("GET", "/v1.0/teams");
  REQUIRE(r.status == 429);
  CHECK(body(r)["error"]["code"] == "TooManyRequests");
  CHECK(std::stoi(header(r, "Retry-After")) >= 1);
  CHECK_FALSE(header(r, "request-id").empty());
  auto stats = body(emu.control("GET", "/_emulator/stats"));
  CHECK(stats["throttled"] == 1);
  CHECK(stats["requests"]["GET /teams"]["429"] == 1);
  CHECK(stats["maxPerSecond"]["get"] == 3);
  // Limits change at run time.
  REQUIRE(emu.control("PUT", "/_emulator/limits", {{"enabled", false}}).status == 200);
  CHECK(emu.graph("GET", "/v1.0/teams").status == 200);
  REQUIRE(
      emu.control("PUT", "/_emulator/limits", {{"enabled", true}, {"getPerSecond", 100}}).status ==
      200);
  CHECK(emu.graph("GET", "/v1.0/teams").status == 200);
  CHECK(body(emu.control("GET", "/_emulator/limits"))["getPerSecond"] == 100);
}

TEST_CASE("token requests and the control API are never throttled", "[emulator]") {
  TestEmulator emu({.teams = 5, .throttle = true, .limits = {1, 1, 1, true}});
  for (int i = 0; i < 5; ++i) {
    emu.token();
    CHECK(emu.control("GET", "/_emulator/stats").status == 200);
  }
}

TEST_CASE("refusals are counted per second since the throttle started", "[emulator]") {
  appkeeper::testing::FakeClock clock;
  Throttle t(clock, {2, 2, 0, true});
  CHECK(t.refusalsPerSecond().empty());
  clock.advance(300ms);
  for (int i = 0; i < 5; ++i) t.admit(kTenant, Budget::kGet, "");  // 2 admitted, 3 refused
  clock.advance(2s);                                                // second 2
  for (int i = 0; i < 3; ++i) t.admit(kTenant, Budget::kPost, "");  // 2 admitted, 1 refused
  t.admit(kTenant, Budget::kGet, "");                               // admitted
  CHECK(t.refusalsPerSecond() == nlohmann::json{{"0", 3}, {"2", 1}});
  t.resetObservations();
  CHECK(t.refusalsPerSecond().empty());
}

TEST_CASE("the stats show the throttle's 429s per second", "[emulator]") {
  TestEmulator emu({.teams = 5, .throttle = true, .limits = {1, 1, 100, true}});
  REQUIRE(emu.graph("GET", "/v1.0/teams").status == 200);
  REQUIRE(emu.graph("GET", "/v1.0/teams").status == 429);
  REQUIRE(emu.graph("GET", "/v1.0/teams").status == 429);
  auto perSecond = body(emu.control("GET", "/_emulator/stats"))["throttledPerSecond"];
  REQUIRE(perSecond.size() == 1);
  CHECK(perSecond.begin().value() == 2);
  REQUIRE(emu.control("DELETE", "/_emulator/stats").status == 204);
  CHECK(body(emu.control("GET", "/_emulator/stats"))["throttledPerSecond"].empty());
}
