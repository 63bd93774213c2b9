#include "emulator/route_table.h"

#include <catch2/catch.hpp>

#include "emulator_test_support.h"

using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;

TEST_CASE("both upgrade URL forms are one route with one stats template", "[emulator]") {
  for (const char* action : {"upgrade", "microsoft.graph.upgrade"}) {
    RouteInfo r =
        classify(makeRequest("POST", std::string("/beta/teams/t1/installedApps/aWQ%3D/") + action));
    CHECK(r.area == Area::kGraph);
    CHECK(r.key == "POST upgrade");
    CHECK(r.statsKey == "POST /teams/{id}/installedApps/{id}/upgrade");
    CHECK(r.budget == Budget::kPost);
    CHECK(r.teamId == "t1");
    CHECK(r.segments[3] == "aWQ=");
  }
}

TEST_CASE("an encoded slash stays inside its path segment", "[emulator]") {
  RouteInfo r = classify(makeRequest("GET", "/v1.0/teams/t1/installedApps/a%2Fb%2B%3D"));
  CHECK(r.key == "GET installedApp");
  REQUIRE(r.segments.size() == 4);
  CHECK(r.segments[3] == "a/b+=");
}

TEST_CASE("routes are sorted into Graph, token, control and unknown", "[emulator]") {
  CHECK(classify(makeRequest("POST", "/tenant-x/oauth2/v2.0/token")).key == "POST token");
  CHECK(classify(makeRequest("POST", "/tenant-x/oauth2/v2.0/token")).tenantSegment == "tenant-x");
  CHECK(classify(makeRequest("GET", "/_emulator/stats")).area == Area::kControl);
  CHECK(classify(makeRequest("GET", "/favicon.ico")).area == Area::kUnknown);
  RouteInfo wrongMethod = classify(makeRequest("PUT", "/v1.0/teams"));
  CHECK(wrongMethod.matched);
  CHECK_FALSE(wrongMethod.methodAllowed);
  CHECK(wrongMethod.key.empty());
  CHECK(wrongMethod.budget == Budget::kNone);
  RouteInfo subscription = classify(makeRequest("PATCH", "/v1.0/subscriptions/abc"));
  CHECK(subscription.key == "PATCH subscription");
  CHECK(subscription.subPath == "/subscriptions/abc");
  CHECK(subscription.budget == Budget::kNone);
  CHECK(classify(makeRequest("GET", "/v1.0/teams/x/installedApps")).teamId == "x");
  CHECK(classify(makeRequest("GET", "/v1.0/teams/%zz")).badPath);
}
