// SubscriptionManager against a real Store, fake time and FakeGraph's /subscriptions.
#include "daemon/subscription_manager.h"

#include <catch2/catch.hpp>

#include "daemon_test_support.h"
#include "graph/graph_datetime.h"
#include "handlers/graph_notifications.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using namespace appkeeper::daemon::testing;

namespace {

constexpr char kPublicUrl[] = "https://appkeeper.example";

struct SubscriptionFixture {
  TempDir dir;
  GraphHarness g;
  std::unique_ptr<store::Store> store;
  SubscriptionManager manager;

  SubscriptionFixture()
      : store(must(store::Store::open(dir.file("appkeeper.db"), g.clock))),
        manager(options(), *store, g.client, g.clock, nullLogger()) {}
  static SubscriptionOptions options() {
    SubscriptionOptions o;
    o.publicUrl = kPublicUrl;
    o.tenantId = FakeGraph::kTenant;
    o.lifetime = 3600s;
    o.renewBefore = 600s;
    return o;
  }
  std::vector<store::SubscriptionRecord> stored() { return must(store->subscriptions()); }
  // A subscription of ours in Graph that the store does not know.
  void addStray(const std::string& id, const std::string& app) {
    g.graph.subscriptions[id] = {
        {"id", id},
        {"resource", installationsResource(app)},
        {"changeType", "created,updated,deleted"},
        {"notificationUrl", std::string(kPublicUrl) + "/graph/notifications"},
        {"expirationDateTime", graph::formatGraphDateTime(g.clock.now() + 1800s)}};
  }
};

}  // namespace

TEST_CASE("ensure creates one subscription per watched app with our URLs and a fresh clientState",
          "[daemon][subscriptions]") {
  SubscriptionFixture f;
  REQUIRE(f.manager.ensure({"app-1", "app-2"}).ok());

  REQUIRE(f.g.graph.subscriptions.size() == 2);
  auto records = f.stored();
  REQUIRE(records.size() == 2);
  std::set<std::string> states;
  for (const auto& r : records) {
    const auto& sub = f.g.graph.subscriptions.at(r.id);
    CHECK(sub.at("resource") == installationsResource(r.teamsAppId));
    CHECK(sub.at("changeType") == "created,updated,deleted");
    CHECK(sub.at("notificationUrl") == std::string(kPublicUrl) + "/graph/notifications");
    CHECK(sub.at("lifecycleNotificationUrl") == std::string(kPublicUrl) + "/graph/lifecycle");
    CHECK(sub.at("clientState") == r.clientState);
    CHECK(r.clientState.size() >= 43);  // 32 random bytes, base64url
    CHECK(r.clientState.size() <= 128);
    CHECK(r.expiration == f.g.clock.now() + 3600s);
    states.insert(r.clientState);
  }
  CHECK(states.size() == 2);
  auto audits = auditOf(*f.store, "subscription", "subscribed");
  REQUIRE(audits.size() == 2);
  for (const auto& a : audits) {
    for (const auto& state : states) CHECK(a.detail.find(state) == std::string::npos);
  }
}

TEST_CASE("a second ensure adopts the stored subscriptions instead of creating duplicates",
          "[daemon][subscriptions]") {
  SubscriptionFixture f;
  REQUIRE(f.manager.ensure({"app-1"}).ok());
  const auto first = f.stored();
  // A restart: a new manager over the same store.
  SubscriptionManager again(SubscriptionFixture::options(), *f.store, f.g.client, f.g.clock,
                            nullLogger());
  REQUIRE(again.ensure({"app-1"}).ok());
  CHECK(f.g.graph.subscriptionCreates == 1);
  CHECK(f.g.graph.subscriptionDeletes == 0);
  CHECK(f.stored().size() == 1);
  CHECK(f.stored()[0].id == first[0].id);
}

TEST_CASE("ensure deletes our strays, duplicates and subscriptions of apps no longer watched",
          "[daemon][subscriptions]") {
  SubscriptionFixture f;
  REQUIRE(f.manager.ensure({"app-1", "app-2"}).ok());
  f.addStray("stray-1", "app-1");  // e.g. created just before a crash, never stored
  // Someone else's subscription on another URL is left alone.
  f.g.graph.subscriptions["foreign"] = {
      {"id", "foreign"},
      {"resource", installationsResource("app-1")},
      {"notificationUrl", "https://other.example/hook"},
      {"expirationDateTime", graph::formatGraphDateTime(f.g.clock.now() + 1800s)}};

  REQUIRE(f.manager.ensure({"app-1"}).ok());  // app-2 is no longer watched
  CHECK(f.g.graph.subscriptions.count("stray-1") == 0);
  CHECK(f.g.graph.subscriptions.count("foreign") == 1);
  auto records = f.stored();
  REQUIRE(records.size() == 1);
  CHECK(records[0].teamsAppId == "app-1");
  CHECK(f.g.graph.subscriptions.count(records[0].id) == 1);
  CHECK(f.g.graph.subscriptions.size() == 2);  // ours for app-1 + the foreign one
  CHECK(auditOf(*f.store, "subscription", "removed").size() == 2);
}

TEST_CASE("a notification arriving during create is checked against the pending record",
          "[daemon][subscriptions]") {
  SubscriptionFixture f;
  std::vector<store::SubscriptionRecord> duringCreate;
  f.g.graph.onSubscriptionCreate = [&](const nlohmann::json& body) {
    duringCreate = must(f.store->subscriptions());
    REQUIRE(duringCreate.size() == 1);
    CHECK(duringCreate[0].clientState == body.at("clientState"));
  };
  REQUIRE(f.manager.ensure({"app-1"}).ok());
  REQUIRE(duringCreate.size() == 1);
  CHECK(duringCreate[0].id.rfind(std::string(handlers::kPendingSubscriptionPrefix), 0) == 0);
  auto after = f.stored();
  REQUIRE(after.size() == 1);  // the pending record was replaced by the real one
  CHECK(after[0].id == "sub-1");
  CHECK(after[0].clientState == duringCreate[0].clientState);
}

TEST_CASE("a failed create leaves no pending record behind", "[daemon][subscriptions]") {
  SubscriptionFixture f;
  f.g.graph.subscriptionCreateFaults.push_back(FakeGraph::error(400, "BadRequest"));
  CHECK_FALSE(f.manager.ensure({"app-1"}).ok());
  CHECK(f.stored().empty());
  CHECK(auditOf(*f.store, "subscription", "subscribed").empty());
}

TEST_CASE("subscriptions are renewed once less than renew_before is left, not earlier",
          "[daemon][subscriptions]") {
  SubscriptionFixture f;
  REQUIRE(f.manager.ensure({"app-1"}).ok());
  f.g.clock.advance(3600s - 600s - 1s);
  REQUIRE(f.manager.renewDue().ok());
  CHECK(f.g.graph.subscriptionRenewals == 0);

  f.g.clock.advance(2s);  // now less than 600 s left
  REQUIRE(f.manager.renewDue().ok());
  CHECK(f.g.graph.subscriptionRenewals == 1);
  const auto record = f.stored().at(0);
  CHECK(record.expiration == f.g.clock.now() + 3600s);
  CHECK(*graph::parseGraphDateTime(
            f.g.graph.subscriptions.at(record.id).at("expirationDateTime").get<std::string>()) ==
        record.expiration);
  CHECK(auditOf(*f.store, "subscription", "renewed").size() == 1);
  REQUIRE(f.manager.renewDue().ok());
  CHECK(f.g.graph.subscriptionRenewals == 1);
}

TEST_CASE("a subscription Graph dropped is recreated at renewal and a reconciliation requested",
          "[daemon][subscriptions]") {
  SubscriptionFixture f;
  REQUIRE(f.manager.ensure({"app-1"}).ok());
  f.g.graph.subscriptions.clear();
  f.g.clock.advance(3500s);
  REQUIRE(f.manager.renewDue().ok());
  CHECK(f.g.graph.subscriptionCreates == 2);
  auto records = f.stored();
  REQUIRE(records.size() == 1);
  CHECK(records[0].id == "sub-2");
  auto active = must(f.store->activeReconciliation());
  REQUIRE(active.has_value());
  CHECK(active->reason.find("gone from Graph") != std::string::npos);
}
