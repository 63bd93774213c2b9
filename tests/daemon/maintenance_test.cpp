// The maintenance thread's scheduling decisions, pass by pass, with fake time, a real Store and
// FakeGraph. No thread: the test calls runOnce() as the WorkLoop would.
#include "daemon/maintenance.h"

#include <catch2/catch.hpp>

#include "daemon/planner.h"
#include "daemon_test_support.h"
#include "handlers/catalog_events.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using namespace appkeeper::daemon::testing;

namespace {

struct MaintenanceFixture {
  TempDir dir;
  GraphHarness g;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Maintenance> maintenance;
  std::vector<std::string> watch;  // [apps] watch at the next restart()

  explicit MaintenanceFixture(bool subscriptions = true)
      : store(must(store::Store::open(dir.file("appkeeper.db"), g.clock))) {
    g.graph.addTeams(3);
    g.graph.addApp("app-1", "Contoso Tasks", "manifest-1");
    g.graph.addVersion("app-1", "1.0.0");
    g.graph.addVersion("app-1", "2.0.0");
    restart(subscriptions);
  }
  void restart(bool subscriptions = true) {
    MaintenanceOptions o;
    o.tenantId = FakeGraph::kTenant;
    o.subscriptionsEnabled = subscriptions;
    o.watch = watch;
    o.subscriptions.publicUrl = "https://appkeeper.example";
    o.subscriptions.tenantId = FakeGraph::kTenant;
    o.subscriptions.lifetime = 3600s;
    o.subscriptions.renewBefore = 600s;
    o.reconcileInterval = 24h;
    o.catalogPollInterval = 24h;
    o.retryDelay = 30s;
    maintenance = std::make_unique<Maintenance>(o, *store, g.client, g.clock, nullLogger());
  }
  // Passes until nothing more is waiting (bounded).
  void settle() {
    for (int i = 0; i < 50 && maintenance->runOnce(); ++i) {
    }
  }
  size_t reconciliations() { return auditOf(*store, "reconcile", "reconciled").size(); }
};

}  // namespace

TEST_CASE("the first start subscribes, reconciles and records a catalog baseline",
          "[daemon][maintenance]") {
  MaintenanceFixture f;
  const auto old = f.g.graph.install("t2", "app-1", "1.0.0");
  f.settle();

  REQUIRE(must(f.store->subscriptions()).size() == 1);
  CHECK(must(f.store->subscriptions())[0].teamsAppId == "app-1");
  CHECK(f.reconciliations() == 1);
  auto jobs = must(f.store->listJobs(store::JobState::kQueued, 0));
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].spec.installationId == old);
  // The first poll only records what it saw: the reconciliation queued the upgrades.
  CHECK(must(f.store->scheduleLastRun(kCatalogPollSchedule)) == f.g.clock.now());
  CHECK(auditOf(*f.store, "catalog-poll").empty());
  CHECK_FALSE(must(f.store->claimInbox(60s)).has_value());
}

TEST_CASE("without a public URL no subscription is made and the rest still runs",
          "[daemon][maintenance]") {
  MaintenanceFixture f(/*subscriptions=*/false);
  f.settle();
  CHECK(must(f.store->subscriptions()).empty());
  CHECK(f.g.graph.subscriptionCreates == 0);
  CHECK(f.reconciliations() == 1);
}

TEST_CASE("the next reconciliation is requested only after the interval, also across restarts",
          "[daemon][maintenance]") {
  MaintenanceFixture f;
  f.settle();
  REQUIRE(f.reconciliations() == 1);
  f.g.clock.advance(23h);
  f.restart();
  f.settle();
  CHECK(f.reconciliations() == 1);
  f.g.clock.advance(1h + 1s);
  f.settle();
  CHECK(f.reconciliations() == 2);
  auto requested = auditOf(*f.store, "reconcile", "requested");
  REQUIRE(requested.size() == 2);
  CHECK(requested[1].detail.find("scheduled") != std::string::npos);
}

TEST_CASE("the daily catalog poll plans a published version no event announced",
          "[daemon][maintenance]") {
  MaintenanceFixture f;
  f.settle();
  f.g.graph.addVersion("app-1", "2.1.0");  // published without a publish event
  f.g.clock.advance(12h);
  f.settle();
  CHECK(auditOf(*f.store, "catalog-poll").empty());  // not due yet: once a day

  f.g.clock.advance(12h);
  f.settle();
  auto polled = auditOf(*f.store, "catalog-poll", "accepted");
  REQUIRE(polled.size() == 1);
  CHECK(polled[0].teamsAppId == "app-1");
  CHECK(polled[0].toVersion == "2.1.0");
  auto item = must(f.store->claimInbox(60s));
  REQUIRE(item.has_value());
  CHECK(item->kind == "catalog-event");
  auto event = handlers::parseCatalogEvent(item->payload, FakeGraph::kTenant);
  REQUIRE(event.ok());
  CHECK(event->teamsAppId == "app-1");
  CHECK(event->version == "2.1.0");

  f.g.clock.advance(24h);
  f.settle();
  CHECK(auditOf(*f.store, "catalog-poll", "accepted").size() == 1);  // seen: not planned twice
}

TEST_CASE("a subscription the planner removed (subscriptionRemoved) is recreated on the next pass",
          "[daemon][maintenance]") {
  MaintenanceFixture f;
  f.settle();
  const auto first = must(f.store->subscriptions()).at(0);
  f.g.graph.subscriptions.erase(first.id);  // Graph removed it
  REQUIRE(f.store->removeSubscription(first.id).ok());
  f.maintenance->runOnce();
  auto now = must(f.store->subscriptions());
  REQUIRE(now.size() == 1);
  CHECK(now[0].id != first.id);
  CHECK(f.g.graph.subscriptionCreates == 2);
}

TEST_CASE("a subscription marked for reauthorization is renewed on the next pass",
          "[daemon][maintenance]") {
  MaintenanceFixture f;
  f.settle();
  auto sub = must(f.store->subscriptions()).at(0);
  sub.expiration = WallTime{};  // what the planner does on reauthorizationRequired
  REQUIRE(f.store->putSubscription(sub).ok());
  f.maintenance->runOnce();
  CHECK(f.g.graph.subscriptionRenewals == 1);
  CHECK(must(f.store->subscriptions()).at(0).expiration == f.g.clock.now() + 3600s);
}

TEST_CASE("renewals come due with time alone", "[daemon][maintenance]") {
  MaintenanceFixture f;
  f.settle();
  f.g.clock.advance(3000s - 1s);
  f.maintenance->runOnce();
  CHECK(f.g.graph.subscriptionRenewals == 0);
  f.g.clock.advance(2s);
  f.maintenance->runOnce();
  CHECK(f.g.graph.subscriptionRenewals == 1);
}

TEST_CASE("a failing Graph is retried after the retry delay, not on every pass",
          "[daemon][maintenance]") {
  MaintenanceFixture f;
  for (int i = 0; i < 3; ++i) f.g.graph.catalogFaults.push_back(FakeGraph::error(403, "Forbidden"));
  f.maintenance->runOnce();
  f.maintenance->runOnce();
  CHECK(f.g.graph.catalogGets == 1);
  f.g.clock.advance(30s);
  f.maintenance->runOnce();
  CHECK(f.g.graph.catalogGets == 2);
}

TEST_CASE("a reloaded watch list is taken up at the next pass: subscribed, reconciled, upgraded",
          "[daemon][maintenance]") {
  MaintenanceFixture f;
  f.g.graph.addApp("app-2", "Contoso Notes", "manifest-2");
  f.g.graph.addVersion("app-2", "1.0.0");
  f.g.graph.addVersion("app-2", "3.0.0");
  const auto notes = f.g.graph.install("t1", "app-2", "1.0.0");
  f.watch = {"app-1"};
  f.restart();
  f.settle();
  REQUIRE(must(f.store->subscriptions()).size() == 1);
  REQUIRE(f.reconciliations() == 1);
  REQUIRE(must(f.store->listJobs(store::JobState::kQueued, 0)).empty());

  f.maintenance->setWatch({"app-1", "manifest-2"});  // an externalId, as an admin may write it
  f.settle();
  CHECK(must(f.store->subscriptions()).size() == 2);
  CHECK(f.reconciliations() == 2);
  auto jobs = must(f.store->listJobs(store::JobState::kQueued, 0));
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].spec.installationId == notes);
  CHECK(jobs[0].spec.targetVersion == "3.0.0");

  f.maintenance->setWatch({"app-2"});  // app-1 is no longer watched: its subscription goes
  f.settle();
  auto subs = must(f.store->subscriptions());
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].teamsAppId == "app-2");
}
