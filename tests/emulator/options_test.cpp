#include "emulator/options.h"

#include <catch2/catch.hpp>

using namespace appkeeper::emulator;

TEST_CASE("the command line has documented defaults", "[emulator]") {
  auto o = parseOptions({});
  REQUIRE(o);
  CHECK(o->port == 0);
  CHECK(o->tenantId == "11111111-1111-1111-1111-111111111111");
  CHECK(o->clientId == "22222222-2222-2222-2222-222222222222");
  CHECK(o->clientSecret == "emulator-secret");
  CHECK(o->pageSize == 20);
  CHECK(o->getPerSecond == 30);
  CHECK(o->postPerSecond == 30);
  CHECK(o->perTeamPerSecond == 4);
  CHECK(o->throttle);
  CHECK_FALSE(o->allowAppOnlyRsc);
  CHECK(o->logLevel == "warn");
}

TEST_CASE("options take a value as the next argument or after '='", "[emulator]") {
  auto o = parseOptions({"--port", "8081", "--teams=10000", "--seed", "42", "--no-throttle",
                         "--allow-app-only-rsc", "--latency-ms", "40", "--latency-jitter-ms=20",
                         "--get-rps", "15", "--log-level", "info"});
  REQUIRE(o);
  CHECK(o->port == 8081);
  CHECK(o->teams == 10000);
  CHECK(o->seed == 42);
  CHECK_FALSE(o->throttle);
  CHECK(o->allowAppOnlyRsc);
  CHECK(o->latencyMs == 40);
  CHECK(o->latencyJitterMs == 20);
  CHECK(o->getPerSecond == 15);
  CHECK(o->logLevel == "info");
}

TEST_CASE("bad options are errors that name the option", "[emulator]") {
  for (auto args : std::vector<std::vector<std::string>>{{"--bogus"},
                                                         {"--port"},
                                                         {"--port", "70000"},
                                                         {"--teams", "many"},
                                                         {"--log-level", "loud"},
                                                         {"stray"},
                                                         {"--no-throttle=1"},
                                                         {"--page-size", "0"}}) {
    auto o = parseOptions(args);
    INFO(args.front());
    REQUIRE_FALSE(o);
    CHECK(o.error().message.find(args.front().substr(0, 6)) != std::string::npos);
  }
}

TEST_CASE("a scenario without --teams seeds no teams; --help is recognised", "[emulator]") {
  CHECK(parseOptions({"--scenario", "s.json"})->teams == 0);
  CHECK(parseOptions({"--scenario", "s.json", "--teams", "5"})->teams == 5);
  CHECK(parseOptions({"--help"})->help);
  CHECK(usage().find("--allow-app-only-rsc") != std::string::npos);
}

TEST_CASE("device code timings have defaults and options", "[emulator]") {
  auto defaults = parseOptions({});
  REQUIRE(defaults);
  CHECK(defaults->deviceCodeIntervalSeconds == 5);
  CHECK(defaults->deviceCodeLifetimeSeconds == 900);
  auto o = parseOptions({"--device-code-interval", "0", "--device-code-lifetime=120"});
  REQUIRE(o);
  CHECK(o->deviceCodeIntervalSeconds == 0);
  CHECK(o->deviceCodeLifetimeSeconds == 120);
  CHECK_FALSE(parseOptions({"--device-code-lifetime", "0"}));
}

TEST_CASE("TLS is off by default, and --tls-cert and --tls-key imply it and go together",
          "[emulator][tls]") {
  auto plain = parseOptions({});
  REQUIRE(plain);
  CHECK_FALSE(plain->tls);
  CHECK(plain->notifyCaFile.empty());

  auto made = parseOptions({"--tls", "--tls-ca-out", "/tmp/ca.pem", "--notify-ca-file=/x.pem"});
  REQUIRE(made);
  CHECK(made->tls);
  CHECK(made->tlsCertFile.empty());
  CHECK(made->tlsCaOut == "/tmp/ca.pem");
  CHECK(made->notifyCaFile == "/x.pem");

  auto given = parseOptions({"--tls-cert", "c.pem", "--tls-key", "k.pem"});
  REQUIRE(given);
  CHECK(given->tls);

  auto lonely = parseOptions({"--tls-cert", "c.pem"});
  REQUIRE_FALSE(lonely);
  CHECK_THAT(lonely.error().message, Catch::Contains("--tls-key"));
  auto nowhere = parseOptions({"--tls-ca-out", "ca.pem"});
  REQUIRE_FALSE(nowhere);
  CHECK_THAT(nowhere.error().message, Catch::Contains("--tls"));
  CHECK_FALSE(parseOptions({"--tls=yes"}));
}
