#include "handlers/graph_notifications.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"
#include "handlers/client_state_cache.h"
#include "handlers/query_string.h"
#include "handlers_test_support.h"

using namespace appkeeper;
using namespace appkeeper::handlers;
using appkeeper::testing::auditOf;
using appkeeper::testing::drainInbox;
using appkeeper::testing::jsonPost;
using nlohmann::json;

namespace {

constexpr char kSubId[] = "9f9d1ed0-c9cc-42e7-8d80-a7fc4b0cda3c";
constexpr char kClientState[] = "s3cr3t-client-state-value";

struct NotificationFixture {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::unique_ptr<store::Store> store = testing::openStore(dir.file("appkeeper.db"), clock);
  std::shared_ptr<spdlog::logger> logger = testing::nullLogger();

  NotificationFixture() {
    store::SubscriptionRecord sub;
    sub.id = kSubId;
    sub.resource = "/appCatalogs/teamsApps/app-1/installations";
    sub.clientState = kClientState;
    sub.expiration = clock.now() + std::chrono::hours(24);
    REQUIRE(store->putSubscription(sub).ok());
  }
  InboundResponse post(const json& body) {
    return handleGraphNotifications(jsonPost("/graph/notifications", body.dump()), *store, *logger);
  }
};

json item(const std::string& clientState, const std::string& subscriptionId = kSubId) {
  return {{"subscriptionId", subscriptionId},
          {"changeType", "created"},
          {"tenantId", "tenant-1"},
          {"clientState", clientState},
          {"resource", "appCatalogs/teamsApps('app-1')/installations('inst-1')"},
          {"resourceData", {{"id", "inst-1"}}}};
}

InboundRequest handshake(const std::string& rawQuery) {
  InboundRequest r;
  r.method = "POST";
  r.path = "/graph/notifications";
  r.contentType = "text/plain; charset=utf-8";
  r.query = parseQuery(rawQuery);
  return r;
}

}  // namespace

TEST_CASE("the validation handshake echoes the decoded token as plain text", "[handlers]") {
  auto r = validationHandshake(handshake("validationToken=Validation%3A%20Testing+client+app"));
  REQUIRE(r.has_value());
  CHECK(r->status == 200);
  CHECK(r->contentType == "text/plain; charset=utf-8");
  CHECK(r->body == "Validation: Testing client app");
  CHECK(r->headers ==
        std::vector<std::pair<std::string, std::string>>{{"X-Content-Type-Options", "nosniff"}});
}

TEST_CASE("a validation token holding markup is echoed byte for byte as inert text/plain",
          "[handlers]") {
  auto r = validationHandshake(handshake("validationToken=%3Cscript%3Ealert(1)%3C%2Fscript%3E"));
  REQUIRE(r.has_value());
  CHECK(r->status == 200);
  CHECK(r->body == "<script>alert(1)</script>");
  CHECK(r->contentType.rfind("text/plain", 0) == 0);
}

TEST_CASE("an empty or oversized validation token is a 400", "[handlers]") {
  auto empty = validationHandshake(handshake("validationToken="));
  REQUIRE(empty.has_value());
  CHECK(empty->status == 400);
  auto big = validationHandshake(handshake("validationToken=" + std::string(1025, 'a')));
  REQUIRE(big.has_value());
  CHECK(big->status == 400);
  CHECK(big->body ==
        R"({"error":{"code":"badRequest","message":"validationToken is longer than 1024 bytes"}})");
  auto limit = validationHandshake(handshake("validationToken=" + std::string(1024, 'a')));
  CHECK(limit->status == 200);
}

TEST_CASE("a request without validationToken is not a handshake", "[handlers]") {
  CHECK_FALSE(validationHandshake(handshake("other=1")).has_value());
}

TEST_CASE("a notification with the right clientState is persisted and answered 202", "[handlers]") {
  NotificationFixture f;
  auto r = f.post({{"value", {item(kClientState)}}});
  CHECK(r.status == 202);
  CHECK(r.body.empty());

  auto inbox = drainInbox(*f.store);
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].kind == "graph-notification");
  CHECK(json::parse(inbox[0].payload) == json{{"value", {item(kClientState)}}});

  auto accepted = auditOf(*f.store, "graph-notification", "accepted");
  REQUIRE(accepted.size() == 1);
  CHECK(accepted[0].tenantId == "tenant-1");
  CHECK(accepted[0].teamsAppId == "app-1");
  CHECK(accepted[0].installationId == "inst-1");
  CHECK(accepted[0].detail.find(kClientState) == std::string::npos);
}

TEST_CASE("a notification with a wrong clientState is audited as rejected and never enqueued",
          "[handlers]") {
  NotificationFixture f;
  auto r = f.post({{"value", {item("guessed-state")}}});
  // 202: a forgery must not be retried, yet nothing is acted on.
  CHECK(r.status == 202);
  CHECK(drainInbox(*f.store).empty());
  auto rejected = auditOf(*f.store, "graph-notification", "rejected");
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].detail.find("clientState mismatch") != std::string::npos);
  CHECK(rejected[0].detail.find("guessed-state") == std::string::npos);
  CHECK(rejected[0].detail.find(kClientState) == std::string::npos);
  CHECK(auditOf(*f.store, "graph-notification", "accepted").empty());
}

TEST_CASE("a notification for an unknown subscription is rejected", "[handlers]") {
  NotificationFixture f;
  auto r = f.post({{"value", {item(kClientState, "00000000-0000-0000-0000-000000000000")}}});
  CHECK(r.status == 202);
  CHECK(drainInbox(*f.store).empty());
  auto rejected = auditOf(*f.store, "graph-notification", "rejected");
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].detail.find("unknown subscription") != std::string::npos);
}

TEST_CASE("items without subscriptionId or clientState are rejected", "[handlers]") {
  NotificationFixture f;
  json noSub = item(kClientState);
  noSub.erase("subscriptionId");
  json noState = item(kClientState);
  noState.erase("clientState");
  json numericState = item(kClientState);
  numericState["clientState"] = 42;
  auto r = f.post({{"value", {noSub, noState, numericState}}});
  CHECK(r.status == 202);
  CHECK(drainInbox(*f.store).empty());
  auto rejected = auditOf(*f.store, "graph-notification", "rejected");
  REQUIRE(rejected.size() == 3);
  CHECK(rejected[0].detail.find("missing subscriptionId") != std::string::npos);
  CHECK(rejected[1].detail.find("missing clientState") != std::string::npos);
  CHECK(rejected[2].detail.find("missing clientState") != std::string::npos);
}

TEST_CASE("a delivery whose items are all accepted is stored byte for byte as it arrived",
          "[handlers]") {
  NotificationFixture f;
  // Spacing and key order that a re-serialisation would change, and a field we do not read.
  const std::string body = "{ \"validationTokens\": [\"t\"],\n  \"value\": [" +
                           item(kClientState).dump(2) + "] }";
  auto r = handleGraphNotifications(jsonPost("/graph/notifications", body), *f.store, *f.logger);
  CHECK(r.status == 202);
  auto inbox = drainInbox(*f.store);
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].payload == body);
}

TEST_CASE("in a mixed batch only the items with the right clientState are persisted",
          "[handlers]") {
  NotificationFixture f;
  json good1 = item(kClientState);
  json good2 = item(kClientState);
  good2["changeType"] = "deleted";
  json lifecycle = {{"subscriptionId", kSubId},
                    {"clientState", kClientState},
                    {"tenantId", "tenant-1"},
                    {"lifecycleEvent", "reauthorizationRequired"}};
  auto r =
      f.post({{"value", {good1, item("wrong"), good2, item(kClientState, "unknown"), lifecycle}}});
  CHECK(r.status == 202);

  auto inbox = drainInbox(*f.store);
  REQUIRE(inbox.size() == 1);
  CHECK(json::parse(inbox[0].payload) == json{{"value", {good1, good2, lifecycle}}});
  CHECK(auditOf(*f.store, "graph-notification", "accepted").size() == 3);
  CHECK(auditOf(*f.store, "graph-notification", "rejected").size() == 2);
  auto accepted = auditOf(*f.store, "graph-notification", "accepted");
  CHECK(accepted[2].detail.find("reauthorizationRequired") != std::string::npos);
}

TEST_CASE("malformed notification bodies are 400 with a JSON error saying what is wrong",
          "[handlers]") {
  NotificationFixture f;
  auto send = [&](const std::string& body) {
    return handleGraphNotifications(jsonPost("/graph/notifications", body), *f.store, *f.logger);
  };
  auto expect400 = [&](const std::string& body, const std::string& message) {
    auto r = send(body);
    CHECK(r.status == 400);
    CHECK(r.contentType == "application/json");
    CHECK(r.body == json{{"error", {{"code", "badRequest"}, {"message", message}}}}.dump());
  };
  expect400("{not json", "body is not valid JSON");
  expect400("", "body is not valid JSON");
  expect400("[1,2]", "body is not a JSON object");
  expect400("{}", "value is missing or not an array");
  expect400(R"({"value":{"a":1}})", "value is missing or not an array");
  expect400(R"({"value":[{"subscriptionId":"x"}, 7]})", "value[1] is not an object");
  CHECK(drainInbox(*f.store).empty());
  CHECK(f.store->queryAudit({})->empty());
}

TEST_CASE("a notification nested deeper than 64 levels is refused before anything is copied",
          "[handlers]") {
  NotificationFixture f;
  // With the right clientState such an item used to be copied and serialised recursively: a
  // 100k-deep array (200 KB, under the body cap) overflowed the server thread's stack.
  json ok = item(kClientState);
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  std::string body = R"({"value":[)" + ok.dump();
  body.insert(body.size() - 1, R"(,"x":)" + deep);
  body += "]}";
  auto r = handleGraphNotifications(jsonPost("/graph/notifications", body), *f.store, *f.logger);
  CHECK(r.status == 400);
  CHECK(r.body == json{{"error", {{"code", "badRequest"},
                                  {"message", "body is nested deeper than 64 levels"}}}}.dump());
  CHECK(drainInbox(*f.store).empty());
  // 64 levels are fine (Graph's payloads have a handful).
  std::string fine = R"({"value":[)" + ok.dump();
  fine.insert(fine.size() - 1, R"(,"x":)" + std::string(60, '[') + std::string(60, ']'));
  fine += "]}";
  CHECK(handleGraphNotifications(jsonPost("/graph/notifications", fine), *f.store, *f.logger)
            .status == 202);
  CHECK(drainInbox(*f.store).size() == 1);
  // Brackets inside strings (escaped quotes too) are text, not nesting.
  json bracketed = item(kClientState);
  bracketed["x"] = "\\\"" + std::string(100, '[') + "\\\"" + std::string(100, '{');
  CHECK(handleGraphNotifications(
            jsonPost("/graph/notifications", json{{"value", {bracketed}}}.dump()), *f.store,
            *f.logger)
            .status == 202);
  CHECK(drainInbox(*f.store).size() == 1);
}

TEST_CASE("with a clientState cache a subscription removed by another connection is refused at once",
          "[handlers]") {
  NotificationFixture f;
  ClientStateCache cache(f.clock);
  auto post = [&] {
    return handleGraphNotifications(jsonPost("/graph/notifications",
                                             json{{"value", {item(kClientState)}}}.dump()),
                                    *f.store, *f.logger, nullptr, &cache);
  };
  CHECK(post().status == 202);
  CHECK(cache.size() == 1);  // the first delivery read the store and kept the answer
  CHECK(post().status == 202);
  CHECK(auditOf(*f.store, "graph-notification", "accepted").size() == 2);

  // The daemon's subscription manager has a connection of its own.
  auto manager = testing::openStore(f.dir.file("appkeeper.db"), f.clock);
  REQUIRE(manager->removeSubscription(kSubId).ok());
  CHECK(post().status == 202);
  auto rejected = auditOf(*f.store, "graph-notification", "rejected");
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].detail.find("unknown subscription") != std::string::npos);
  CHECK(drainInbox(*f.store).size() == 2);

  // A wrong clientState is refused whether the right one is cached or not.
  store::SubscriptionRecord sub;
  sub.id = kSubId;
  sub.clientState = kClientState;
  REQUIRE(manager->putSubscription(sub).ok());
  CHECK(post().status == 202);
  CHECK(cache.size() == 1);
  CHECK(handleGraphNotifications(
            jsonPost("/graph/notifications", json{{"value", {item("forged")}}}.dump()), *f.store,
            *f.logger, nullptr, &cache)
            .status == 202);
  CHECK(auditOf(*f.store, "graph-notification", "rejected").size() == 2);
  // Unknown subscriptions are never kept: a flood of made-up ids cannot grow it.
  CHECK(handleGraphNotifications(jsonPost("/graph/notifications",
                                          json{{"value", {item(kClientState, "made-up")}}}.dump()),
                                 *f.store, *f.logger, nullptr, &cache)
            .status == 202);
  CHECK(cache.size() == 1);
}

TEST_CASE("an empty batch is acknowledged without touching the inbox", "[handlers]") {
  NotificationFixture f;
  CHECK(f.post({{"value", json::array()}}).status == 202);
  CHECK(drainInbox(*f.store).empty());
}

TEST_CASE("when the store cannot persist the delivery the answer is 503 with Retry-After",
          "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto logger = testing::nullLogger();
  const std::string path = dir.file("appkeeper.db");
  {
    auto setup = testing::openStore(path, clock);
    store::SubscriptionRecord sub{kSubId, "r", kClientState, clock.now() + std::chrono::hours(1),
                                  "app-1"};
    REQUIRE(setup->putSubscription(sub).ok());
  }
  store::OpenOptions options;
  options.busyTimeout = std::chrono::milliseconds(20);
  auto opened = store::Store::open(path, clock, options);
  REQUIRE(opened.ok());
  auto& s = *opened.value();

  // A second connection holds the write lock, as another process in a long transaction would.
  sqlite3* locker = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &locker) == SQLITE_OK);
  REQUIRE(sqlite3_exec(locker, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);

  json body = {{"value", {item(kClientState)}}};
  auto r = handleGraphNotifications(jsonPost("/graph/notifications", body.dump()), s, *logger);
  CHECK(r.status == 503);
  CHECK(r.headers == std::vector<std::pair<std::string, std::string>>{{"Retry-After", "5"}});
  CHECK(json::parse(r.body)["error"]["code"] == "serviceUnavailable");

  sqlite3_exec(locker, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(locker);
  CHECK(drainInbox(s).empty());  // nothing half-kept
  // Once the lock is gone, Graph's retry of the same delivery is kept.
  CHECK(
      handleGraphNotifications(jsonPost("/graph/notifications", body.dump()), s, *logger).status ==
      202);
  CHECK(drainInbox(s).size() == 1);
}

TEST_CASE("installation resources name the app and the installation", "[handlers]") {
  auto odata = parseInstallationResource("appCatalogs/teamsApps('app-1')/installations('aWQ=')");
  CHECK(odata.teamsAppId == "app-1");
  CHECK(odata.installationId == "aWQ=");
  auto slashes = parseInstallationResource("/appCatalogs/teamsApps/app-2/installations/inst-2");
  CHECK(slashes.teamsAppId == "app-2");
  CHECK(slashes.installationId == "inst-2");
  auto appOnly = parseInstallationResource("appCatalogs/teamsApps('app-3')");
  CHECK(appOnly.teamsAppId == "app-3");
  CHECK(appOnly.installationId.empty());
  auto team = parseInstallationResource("teams('fbe2bf47-16c8-47cf-b4a5-4b9b187c508b')");
  CHECK(team.teamsAppId.empty());
  CHECK(team.installationId.empty());
  CHECK(parseInstallationResource("appCatalogs/teamsApps('unterminated").teamsAppId.empty());
}

TEST_CASE(
    "a notification arriving before its subscription's create returned matches the pending record",
    "[handlers]") {
  // Graph may deliver between its 201 and our storing the id: the daemon stores a pending
  // record first, so the delivery is not rejected as unknown.
  NotificationFixture f;
  store::SubscriptionRecord pending;
  pending.id = std::string(kPendingSubscriptionPrefix) + "nonce-1";
  pending.resource = "/appCatalogs/teamsApps/app-2/installations";
  pending.clientState = "pending-client-state-value";
  pending.expiration = f.clock.now() + std::chrono::hours(1);
  REQUIRE(f.store->putSubscription(pending).ok());

  auto r = f.post({{"value",
                    {item("pending-client-state-value", "11111111-2222-3333-4444-555555555555"),
                     item("some-other-state", "11111111-2222-3333-4444-555555555555")}}});
  CHECK(r.status == 202);
  auto inbox = drainInbox(*f.store);
  REQUIRE(inbox.size() == 1);
  CHECK(json::parse(inbox[0].payload)["value"].size() == 1);
  CHECK(auditOf(*f.store, "graph-notification", "accepted").size() == 1);
  auto rejected = auditOf(*f.store, "graph-notification", "rejected");
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].detail.find("unknown subscription") != std::string::npos);
}

TEST_CASE("lifecycle deliveries are checked like notifications and audited as graph-lifecycle",
          "[handlers]") {
  NotificationFixture f;
  json good = {{"subscriptionId", kSubId},
               {"clientState", kClientState},
               {"tenantId", "tenant-1"},
               {"lifecycleEvent", "missed"}};
  json forged = good;
  forged["clientState"] = "forged";
  auto r = handleGraphLifecycle(
      jsonPost("/graph/lifecycle", json{{"value", {good, forged}}}.dump()), *f.store, *f.logger);
  CHECK(r.status == 202);
  auto inbox = drainInbox(*f.store);
  REQUIRE(inbox.size() == 1);
  CHECK(json::parse(inbox[0].payload) == json{{"value", {good}}});
  auto accepted = auditOf(*f.store, "graph-lifecycle", "accepted");
  REQUIRE(accepted.size() == 1);
  CHECK(accepted[0].detail.find("lifecycleEvent missed") != std::string::npos);
  CHECK(auditOf(*f.store, "graph-lifecycle", "rejected").size() == 1);
  CHECK(auditOf(*f.store, "graph-notification", "accepted").empty());
}
