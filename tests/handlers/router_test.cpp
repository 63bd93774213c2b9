#include "handlers/router.h"

#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "fakes/fake_clock.h"
#include "handlers/standard_webhooks.h"
#include "handlers/store_pool.h"
#include "handlers_test_support.h"
#include "nlohmann/json.hpp"

using namespace appkeeper;
using namespace appkeeper::handlers;
using appkeeper::testing::jsonPost;
using nlohmann::json;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::unique_ptr<StorePool> openPool(const std::string& path, const Clock& clock) {
  auto p = StorePool::open(path, clock, 1);
  REQUIRE(p.ok());
  return std::move(p.value());
}

struct RouterFixture {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::shared_ptr<spdlog::logger> logger = testing::nullLogger();
  std::unique_ptr<StorePool> pool = openPool(dir.file("appkeeper.db"), clock);
  WebhookKey key = WebhookKey::fromSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
  bool ready = true;

  Router router(std::chrono::milliseconds storeWait = std::chrono::milliseconds(0),
                size_t maxInFlight = 0) {
    RouterConfig config;
    config.tenantId = "tenant-1";
    config.catalogKey = &key;
    config.ready = [this] { return ready; };
    config.storeWait = storeWait;
    config.maxInFlight = maxInFlight;
    return Router(config, *pool, clock, *logger);
  }
};

InboundRequest get(const std::string& path) {
  InboundRequest r;
  r.method = "GET";
  r.path = path;
  return r;
}

std::string errorBody(const std::string& code, const std::string& message) {
  return json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

}  // namespace

TEST_CASE("an unknown path is a 404 with a JSON error", "[handlers]") {
  RouterFixture f;
  for (const char* path :
       {"/", "/graph", "/graph/notifications/", "/HEALTHZ", "/events/catalog/x"}) {
    auto r = f.router().handle(get(path));
    CHECK(r.status == 404);
    CHECK(r.contentType == "application/json");
    CHECK(r.body == errorBody("notFound", "no such endpoint"));
  }
}

TEST_CASE("a wrong method is a 405 naming the allowed one", "[handlers]") {
  RouterFixture f;
  auto getNotifications = f.router().handle(get("/graph/notifications"));
  CHECK(getNotifications.status == 405);
  CHECK(getNotifications.headers == Headers{{"Allow", "POST"}});
  CHECK(getNotifications.body == errorBody("methodNotAllowed", "use POST on this endpoint"));

  auto deleteEvents = get("/events/catalog");
  deleteEvents.method = "DELETE";
  CHECK(f.router().handle(deleteEvents).headers == Headers{{"Allow", "POST"}});

  auto postHealth = f.router().handle(jsonPost("/healthz", "{}"));
  CHECK(postHealth.status == 405);
  CHECK(postHealth.headers == Headers{{"Allow", "GET"}});
}

TEST_CASE("a body over the limit is a 413 on every POST route", "[handlers]") {
  RouterFixture f;
  for (const char* path : {"/graph/notifications", "/events/catalog"}) {
    auto r = jsonPost(path, "");
    r.bodyTooLarge = true;
    auto out = f.router().handle(r);
    CHECK(out.status == 413);
    CHECK(out.body == errorBody("payloadTooLarge", "the request body is too large"));
  }
}

TEST_CASE("a body that is not application/json is a 415", "[handlers]") {
  RouterFixture f;
  for (const char* path : {"/graph/notifications", "/events/catalog"}) {
    for (const char* type :
         {"", "text/plain", "application/xml", "application/json; charset=latin1",
          "application/jsonx", "application/x-www-form-urlencoded"}) {
      auto r = jsonPost(path, R"({"value":[]})");
      r.contentType = type;
      auto out = f.router().handle(r);
      CHECK(out.status == 415);
      CHECK(out.body == errorBody("unsupportedMediaType", "the body must be application/json"));
    }
  }
}

TEST_CASE("json content types with a utf-8 charset are accepted", "[handlers]") {
  CHECK(isJsonContentType("application/json"));
  CHECK(isJsonContentType("Application/JSON"));
  CHECK(isJsonContentType("application/json; charset=utf-8"));
  CHECK(isJsonContentType("application/json;charset=\"UTF-8\""));
  CHECK_FALSE(isJsonContentType("application/json; boundary=x"));
  CHECK_FALSE(isJsonContentType("text/json"));
}

TEST_CASE("the validation handshake is exempt from the content-type check", "[handlers]") {
  RouterFixture f;
  InboundRequest r = jsonPost("/graph/notifications", "");
  r.contentType = "text/plain; charset=utf-8";
  r.query["validationToken"] = "token<b>";
  auto out = f.router().handle(r);
  CHECK(out.status == 200);
  CHECK(out.body == "token<b>");
  CHECK(out.contentType == "text/plain; charset=utf-8");
}

TEST_CASE("healthz answers ok without needing the store", "[handlers]") {
  RouterFixture f;
  auto held = f.pool->acquire(std::chrono::milliseconds(0));  // the only connection is busy
  REQUIRE(held.has_value());
  auto r = f.router().handle(get("/healthz"));
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"ok"})");
}

TEST_CASE("readyz follows the readiness callback", "[handlers]") {
  RouterFixture f;
  CHECK(f.router().handle(get("/readyz")).status == 200);
  f.ready = false;
  auto r = f.router().handle(get("/readyz"));
  CHECK(r.status == 503);
  CHECK(r.body == R"({"status":"not ready"})");
}

TEST_CASE("when no store connection is free in time the answer is 503 with Retry-After",
          "[handlers]") {
  RouterFixture f;
  auto held = f.pool->acquire(std::chrono::milliseconds(0));
  REQUIRE(held.has_value());
  auto r = f.router().handle(jsonPost("/graph/notifications", R"({"value":[]})"));
  CHECK(r.status == 503);
  CHECK(r.headers == Headers{{"Retry-After", "5"}});
  CHECK(r.body == errorBody("serviceUnavailable", "the server is busy; retry later"));
}

TEST_CASE("valid deliveries are dispatched to their route with a borrowed connection",
          "[handlers]") {
  RouterFixture f;
  CHECK(f.router().handle(jsonPost("/graph/notifications", R"({"value":[]})")).status == 202);
  // A catalog event reaches signature verification (401 without headers), not a 404/415.
  auto r = f.router().handle(jsonPost("/events/catalog", "{}"));
  CHECK(r.status == 401);
  CHECK(f.pool->available() == 1);  // the lease went back
}

TEST_CASE("the lifecycle route answers the validation handshake and takes JSON deliveries",
          "[handlers]") {
  RouterFixture f;
  InboundRequest handshake = jsonPost("/graph/lifecycle", "");
  handshake.contentType = "text/plain; charset=utf-8";
  handshake.query["validationToken"] = "lifecycle-token";
  auto out = f.router().handle(handshake);
  CHECK(out.status == 200);
  CHECK(out.body == "lifecycle-token");

  CHECK(f.router().handle(jsonPost("/graph/lifecycle", R"({"value":[]})")).status == 202);
  InboundRequest wrongType = jsonPost("/graph/lifecycle", R"({"value":[]})");
  wrongType.contentType = "text/plain";
  CHECK(f.router().handle(wrongType).status == 415);
  InboundRequest get = jsonPost("/graph/lifecycle", "");
  get.method = "GET";
  CHECK(f.router().handle(get).status == 405);
}

TEST_CASE("beyond maxInFlight a delivery is shed at once with 503, Retry-After and a closed "
          "connection",
          "[handlers]") {
  RouterFixture f;
  const Router router = f.router(std::chrono::seconds(30), /*maxInFlight=*/1);
  // The test holds the only store connection, so the first delivery stays in flight, waiting.
  auto held = f.pool->acquire(std::chrono::milliseconds(0));
  REQUIRE(held.has_value());
  auto first = std::async(std::launch::async, [&] {
    return router.handle(jsonPost("/graph/notifications", R"({"value":[]})")).status;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (router.inFlight() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();  // bounded: waits for the other thread to enter, no fixed sleep
  }
  REQUIRE(router.inFlight() == 1);

  auto shed = router.handle(jsonPost("/events/catalog", "{}"));
  CHECK(shed.status == 503);
  CHECK(shed.headers == Headers{{"Retry-After", "5"}, {"Connection", "close"}});
  CHECK(shed.body == errorBody("serviceUnavailable", "the server is overloaded; retry later"));
  // Health and readiness are never counted nor shed.
  CHECK(router.handle(get("/healthz")).status == 200);
  CHECK(router.handle(get("/readyz")).status == 200);
  // Cheap refusals come before the count: they are answered as usual.
  CHECK(router.handle(get("/nope")).status == 404);

  held.reset();  // the waiting delivery gets the connection and is kept
  CHECK(first.get() == 202);
  CHECK(router.inFlight() == 0);
  CHECK(router.handle(jsonPost("/graph/notifications", R"({"value":[]})")).status == 202);
}
