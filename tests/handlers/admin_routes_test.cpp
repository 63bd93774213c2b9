// The admin routes without sockets: the bearer check, GET /metrics on the main router and on
// the admin listener's routes, and the bounded endpoint label.
#include "handlers/admin_routes.h"

#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"
#include "handlers/router.h"
#include "handlers/store_pool.h"
#include "handlers_test_support.h"
#include "nlohmann/json.hpp"

using namespace appkeeper;
using namespace appkeeper::handlers;
using nlohmann::json;

namespace {

constexpr char kToken[] = "s3cret-admin-token-0123456789";

InboundRequest request(const std::string& method, const std::string& path,
                       const std::string& authorization = "") {
  InboundRequest r;
  r.method = method;
  r.path = path;
  if (!authorization.empty()) r.headers.emplace("authorization", authorization);
  return r;
}

MetricsEndpoint endpoint(const std::string& token = "") {
  return MetricsEndpoint{[] { return std::string("up 1\n"); }, token};
}

std::optional<std::string> header(const InboundResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("the bearer check accepts exactly the configured token, scheme in any case",
          "[handlers][admin]") {
  CHECK(bearerTokenMatches(request("GET", "/metrics", std::string("Bearer ") + kToken), kToken));
  CHECK(bearerTokenMatches(request("GET", "/metrics", std::string("bearer  ") + kToken), kToken));
  CHECK(bearerTokenMatches(request("GET", "/metrics", std::string("BEARER ") + kToken), kToken));
  CHECK_FALSE(bearerTokenMatches(request("GET", "/metrics"), kToken));
  CHECK_FALSE(bearerTokenMatches(request("GET", "/metrics", "Bearer wrong"), kToken));
  CHECK_FALSE(bearerTokenMatches(request("GET", "/metrics", "Bearer s3cret-admin"), kToken));
  CHECK_FALSE(
      bearerTokenMatches(request("GET", "/metrics", std::string("Basic ") + kToken), kToken));
  CHECK_FALSE(
      bearerTokenMatches(request("GET", "/metrics", std::string("Bearer") + kToken), kToken));
  CHECK_FALSE(bearerTokenMatches(request("GET", "/metrics", "Bearer "), kToken));
  // No token configured means nothing matches (the caller then does not ask).
  CHECK_FALSE(bearerTokenMatches(request("GET", "/metrics", "Bearer "), ""));
}

TEST_CASE("a scrape without the token is a 401 with WWW-Authenticate and a JSON error",
          "[handlers][admin]") {
  for (const std::string auth : {"", "Bearer wrong-token-wrong-token"}) {
    auto r = metricsResponse(request("GET", "/metrics", auth), endpoint(kToken));
    CHECK(r.status == 401);
    CHECK(header(r, "WWW-Authenticate") == "Bearer");
    CHECK(r.contentType == "application/json");
    CHECK(json::parse(r.body)["error"]["code"] == "unauthorized");
    CHECK(r.body.find(kToken) == std::string::npos);
  }
}

TEST_CASE("a scrape with the token, or with none configured, gets the text format",
          "[handlers][admin]") {
  auto withToken = metricsResponse(request("GET", "/metrics", std::string("Bearer ") + kToken),
                                   endpoint(kToken));
  CHECK(withToken.status == 200);
  CHECK(withToken.contentType == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(withToken.body == "up 1\n");
  CHECK(metricsResponse(request("GET", "/metrics"), endpoint()).status == 200);
}

TEST_CASE("the admin listener serves metrics and the probes, 404 and 405 otherwise",
          "[handlers][admin]") {
  bool ready = false;
  AdminRoutes routes{endpoint(), [&] { return ready; }};
  CHECK(handleAdminRequest(request("GET", "/metrics"), routes).status == 200);
  CHECK(handleAdminRequest(request("GET", "/healthz"), routes).status == 200);
  CHECK(handleAdminRequest(request("GET", "/readyz"), routes).status == 503);
  ready = true;
  CHECK(handleAdminRequest(request("GET", "/readyz"), routes).status == 200);
  CHECK(handleAdminRequest(request("GET", "/graph/notifications"), routes).status == 404);
  CHECK(handleAdminRequest(request("GET", "/metrics/"), routes).status == 404);
  auto post = handleAdminRequest(request("POST", "/metrics"), routes);
  CHECK(post.status == 405);
  CHECK(header(post, "Allow") == "GET");
  routes.metrics.render = nullptr;
  CHECK(handleAdminRequest(request("GET", "/metrics"), routes).status == 404);
}

TEST_CASE("the endpoint label is the route's path for our routes and 'other' for the rest",
          "[handlers][admin]") {
  for (const char* path : {"/graph/notifications", "/graph/lifecycle", "/events/catalog",
                           "/healthz", "/readyz", "/metrics"}) {
    CHECK(endpointLabel(path) == path);
  }
  for (const char* path : {"/", "/metrics/", "/HEALTHZ", "/wp-login.php", ""}) {
    CHECK(endpointLabel(path) == "other");
  }
}

TEST_CASE("the main router serves /metrics only when configured, GET only, behind the token",
          "[handlers][admin]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto logger = testing::nullLogger();
  auto pool = StorePool::open(dir.file("appkeeper.db"), clock, 1);
  REQUIRE(pool.ok());
  RouterConfig config;
  config.tenantId = "tenant-1";
  Router without(config, **pool, clock, *logger);
  CHECK(without.handle(request("GET", "/metrics")).status == 404);

  config.metrics = endpoint(kToken);
  Router with(config, **pool, clock, *logger);
  auto post = with.handle(request("POST", "/metrics"));
  CHECK(post.status == 405);
  CHECK(header(post, "Allow") == "GET");
  CHECK(with.handle(request("GET", "/metrics")).status == 401);
  auto ok = with.handle(request("GET", "/metrics", std::string("Bearer ") + kToken));
  CHECK(ok.status == 200);
  CHECK(ok.body == "up 1\n");
}
