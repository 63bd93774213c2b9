// Subscription calls of GraphClient: the JSON Graph expects, Graph's date format, one attempt
// for writes, paging for the list, and clientState kept out of every message.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "graph/graph_client.h"
#include "graph/graph_client_harness.h"
#include "graph/graph_datetime.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using namespace appkeeper::testing;
using std::chrono::milliseconds;

namespace {

const char* kClientState = "cs-very-secret-value";

// 2024-04-18T21:08:55.123Z
const WallTime kExpiry = fromUnixMillis(1'713'474'535'123);

SubscriptionSpec spec() {
  SubscriptionSpec s;
  s.resource = "/appCatalogs/teamsApps/app-1/installations";
  s.notificationUrl = "https://hooks.example/graph";
  s.lifecycleNotificationUrl = "https://hooks.example/graph/lifecycle";
  s.clientState = kClientState;
  s.expiration = kExpiry;
  return s;
}

nlohmann::json subscriptionJson(const std::string& id, const std::string& expiry) {
  return {{"id", id},
          {"resource", "/appCatalogs/teamsApps/app-1/installations"},
          {"changeType", "created,updated,deleted"},
          {"notificationUrl", "https://hooks.example/graph"},
          {"lifecycleNotificationUrl", "https://hooks.example/graph/lifecycle"},
          {"applicationId", "client-1"},
          {"clientState", nullptr},
          {"expirationDateTime", expiry}};
}

}  // namespace

TEST_CASE("createSubscription posts the subscription JSON with Graph's date format",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.respondJson(201, subscriptionJson("sub-1", "2024-04-18T21:08:55.1230000Z").dump());
  auto created = h.make().createSubscription(spec());
  REQUIRE(created.ok());
  CHECK(created->id == "sub-1");
  CHECK(created->applicationId == "client-1");
  CHECK(created->expiration == kExpiry);

  const auto request = h.net.lastRequest();
  CHECK(request.method == "POST");
  CHECK(request.url == kGraphBase + "/subscriptions");
  CHECK(request.header("Content-Type") == "application/json");
  CHECK(request.header("Authorization") == "Bearer token-1");
  const auto body = nlohmann::json::parse(request.body);
  CHECK(body ==
        nlohmann::json{{"changeType", "created,updated,deleted"},
                       {"notificationUrl", "https://hooks.example/graph"},
                       {"lifecycleNotificationUrl", "https://hooks.example/graph/lifecycle"},
                       {"resource", "/appCatalogs/teamsApps/app-1/installations"},
                       {"expirationDateTime", "2024-04-18T21:08:55.1230000Z"},
                       {"clientState", kClientState}});
}

TEST_CASE("createSubscription waits long enough for Graph's validation handshake",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.options.requestTimeout = milliseconds(5'000);
  h.net.respondJson(201, subscriptionJson("sub-1", "2024-04-18T21:08:55Z").dump());
  REQUIRE(h.make().createSubscription(spec()).ok());
  // Graph gives each of the two URLs up to 10 s before it answers.
  CHECK(h.net.lastRequest().timeout >= milliseconds(20'000));
}

TEST_CASE("createSubscription leaves out an empty lifecycle URL and clientState",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.respondJson(201, subscriptionJson("sub-1", "2024-04-18T21:08:55Z").dump());
  SubscriptionSpec s = spec();
  s.lifecycleNotificationUrl.clear();
  s.clientState.clear();
  REQUIRE(h.make().createSubscription(s).ok());
  const auto body = nlohmann::json::parse(h.net.lastRequest().body);
  CHECK_FALSE(body.contains("lifecycleNotificationUrl"));
  CHECK_FALSE(body.contains("clientState"));
}

TEST_CASE("a failed createSubscription is tried once and never shows the clientState",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.respondJson(503, graphErrorJson("ServiceUnavailable", "",
                                        std::string("clientState ") + kClientState + " busy"));
  auto created = h.make().createSubscription(spec());
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().kind == ErrorKind::kTransient);
  CHECK(h.net.requestCount() == 1);
  CHECK(created.error().message.find(kClientState) == std::string::npos);
}

TEST_CASE("a failed validation handshake is a permanent 400 without the clientState",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.respondJson(
      400, graphErrorJson("InvalidRequest", "InvalidRequest",
                          "Subscription validation request failed. Notification endpoint must "
                          "respond with 200 OK to validation request."));
  auto created = h.make().createSubscription(spec());
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().httpStatus == 400);
  CHECK(created.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(created.error().message, Catch::Contains("validation request failed"));
  CHECK(h.net.requestCount() == 1);
}

TEST_CASE("listSubscriptions reads every page", "[graph][client][subscriptions]") {
  GraphClientHarness h;
  const std::string next = kGraphBase + "/subscriptions?$skiptoken=2";
  h.net.respondJson(
      200, nlohmann::json{{"value", {subscriptionJson("s1", "2024-04-18T21:08:55.1230000Z")}},
                          {"@odata.nextLink", next}}
               .dump());
  h.net.respondJson(
      200, nlohmann::json{{"value", {subscriptionJson("s2", "2024-04-18T23:08:55.1230000+02:00")}}}
               .dump());
  auto listed = h.make().listSubscriptions();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].id == "s1");
  CHECK((*listed)[1].id == "s2");
  CHECK((*listed)[0].resource == "/appCatalogs/teamsApps/app-1/installations");
  CHECK((*listed)[0].changeType == "created,updated,deleted");
  CHECK((*listed)[0].notificationUrl == "https://hooks.example/graph");
  CHECK((*listed)[0].lifecycleNotificationUrl == "https://hooks.example/graph/lifecycle");
  CHECK((*listed)[1].expiration == kExpiry);  // the offset is applied
  auto requests = h.net.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].url == kGraphBase + "/subscriptions");
  CHECK(requests[1].url == next);
}

TEST_CASE("listSubscriptions is retried like every GET", "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.fail(Error::transient("connection reset"));
  h.net.respondJson(200, R"({"value":[]})");
  auto listed = h.make().listSubscriptions();
  REQUIRE(listed.ok());
  CHECK(listed->empty());
  CHECK(h.net.requestCount() == 2);
}

TEST_CASE("a subscription without a readable expirationDateTime is a permanent error",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.respondJson(200,
                    nlohmann::json{{"value", {subscriptionJson("s1", "next tuesday")}}}.dump());
  auto listed = h.make().listSubscriptions();
  REQUIRE_FALSE(listed.ok());
  CHECK(listed.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(listed.error().message, Catch::Contains("expirationDateTime"));
}

TEST_CASE("renewSubscription patches only the expirationDateTime",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.respondJson(200, subscriptionJson("sub/1", "2024-04-18T21:08:55.1230000Z").dump());
  auto renewed = h.make().renewSubscription("sub/1", kExpiry);
  REQUIRE(renewed.ok());
  CHECK(renewed->expiration == kExpiry);
  const auto request = h.net.lastRequest();
  CHECK(request.method == "PATCH");
  CHECK(request.url == kGraphBase + "/subscriptions/sub%2F1");
  CHECK(nlohmann::json::parse(request.body) ==
        nlohmann::json{{"expirationDateTime", "2024-04-18T21:08:55.1230000Z"}});
}

TEST_CASE("a failed renewal is tried once: the caller decides about retries",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.respond(502, "");
  auto renewed = h.make().renewSubscription("sub-1", kExpiry);
  REQUIRE_FALSE(renewed.ok());
  CHECK(renewed.error().kind == ErrorKind::kTransient);
  CHECK(h.net.requestCount() == 1);
  CHECK(h.sleeper.waits().empty());
}

TEST_CASE("deleteSubscription sends DELETE and accepts 204", "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.respond(204);
  REQUIRE(h.make().deleteSubscription("sub-1").ok());
  const auto request = h.net.lastRequest();
  CHECK(request.method == "DELETE");
  CHECK(request.url == kGraphBase + "/subscriptions/sub-1");
  CHECK(request.body.empty());
}

TEST_CASE("deleting a subscription Graph no longer has is a permanent 404",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.respondJson(404, graphErrorJson("ResourceNotFound", "", "subscription not found"));
  auto deleted = h.make().deleteSubscription("sub-1");
  REQUIRE_FALSE(deleted.ok());
  CHECK(deleted.error().kind == ErrorKind::kPermanent);
  CHECK(deleted.error().httpStatus == 404);
  CHECK(deleted.error().code == "ResourceNotFound");
  CHECK(h.net.requestCount() == 1);
}

TEST_CASE("reauthorizeSubscription posts without a body and accepts 204",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  h.net.respond(204);
  REQUIRE(h.make().reauthorizeSubscription("sub-1").ok());
  const auto request = h.net.lastRequest();
  CHECK(request.method == "POST");
  CHECK(request.url == kGraphBase + "/subscriptions/sub-1/reauthorize");
  CHECK(request.body.empty());
  CHECK_FALSE(request.hasHeader("Content-Type"));
}

TEST_CASE("subscription calls use the tenant GET budget and no team's",
          "[graph][client][subscriptions]") {
  GraphClientHarness h;
  // One GET per second, posts unlimited: the second subscription call waits for a GET slot.
  h.limiter.setLimits({1, 0, 0});
  h.net.respond(204);
  h.net.respond(204);
  auto& client = h.make();
  REQUIRE(client.reauthorizeSubscription("sub-1").ok());
  REQUIRE(client.deleteSubscription("sub-1").ok());
  CHECK(h.sleeper.total() >= milliseconds(900));
  CHECK(h.limiter.trackedTeams() == 0);
}
