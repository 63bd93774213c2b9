// The planner against a real Store (temp file), fake time and FakeGraph behind the GraphClient.
#include "daemon/planner.h"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <set>

#include "daemon_test_support.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using namespace appkeeper::daemon::testing;

namespace {

std::string publishEvent(const std::string& appId, const std::string& version,
                         const std::string& idField = "teamsAppId") {
  nlohmann::json e = {
      {"type", "teamsApp.published"},
      {"timestamp", "2026-11-29T10:00:00Z"},
      {"data", {{"tenantId", FakeGraph::kTenant}, {idField, appId}, {"version", version}}}};
  return e.dump();
}

struct PlannerFixture {
  TempDir dir;
  GraphHarness g;
  std::unique_ptr<store::Store> store;
  Planner planner;

  PlannerFixture()
      : store(must(store::Store::open(dir.file("appkeeper.db"), g.clock))),
        planner(options(), *store, g.client, g.clock, g.random, nullLogger()) {
    g.graph.addTeams(5);
    g.graph.addApp("app-1", "Contoso Tasks", "manifest-1");
    g.graph.addVersion("app-1", "1.0.0");
    g.graph.addVersion("app-1", "2.0.0");
  }
  static PlannerOptions options() {
    PlannerOptions o;
    o.tenantId = FakeGraph::kTenant;
    o.lease = 60s;
    o.retry = {8, 2s, 600s};
    o.patience = 48h;
    return o;
  }
  void accept(const std::string& webhookId, const std::string& payload) {
    store::AuditRecord audit;
    audit.tenantId = FakeGraph::kTenant;
    REQUIRE(must(store->acceptCatalogEvent(webhookId, payload, audit)));
  }
  std::vector<store::Job> queued() { return must(store->listJobs(store::JobState::kQueued, 0)); }
  // A job of ours upgraded `id` from 1.0.0 to 2.0.0, and the worker wrote 2.0.0 into the
  // inventory: what the planner sees before Graph's "updated" notification for that upgrade.
  int64_t upgradedByUs(const std::string& team, const std::string& id) {
    store::JobSpec spec{FakeGraph::kTenant, team, id, "app-1", "1.0.0", "2.0.0", std::nullopt};
    REQUIRE(must(store->enqueue({spec})) == 1);
    auto job = must(store->claimJob("w1", 60s));
    REQUIRE(job.has_value());
    store::AuditRecord upgraded;
    upgraded.outcome = "upgraded";
    REQUIRE(store->finishJob(job->id, "w1", store::JobState::kSucceeded, upgraded).ok());
    REQUIRE(
        store->upsertInstallations({{FakeGraph::kTenant, team, id, "app-1", "d", "2.0.0"}}).ok());
    return job->id;
  }
};

}  // namespace

TEST_CASE("a publish event enqueues one job per outdated installation and none for current ones",
          "[daemon][planner]") {
  PlannerFixture f;
  const std::string a = f.g.graph.install("t1", "app-1", "1.0.0");
  const std::string b = f.g.graph.install("t2", "app-1", "1.0.0");
  f.g.graph.install("t3", "app-1", "2.0.0");
  const std::string d = f.g.graph.install("t5", "app-1", "1.5.0");
  f.accept("msg_1", publishEvent("app-1", "2.0.0"));

  REQUIRE(f.planner.runOnce());
  auto jobs = f.queued();
  REQUIRE(jobs.size() == 3);
  std::set<std::string> planned;
  for (const auto& j : jobs) {
    planned.insert(j.spec.installationId);
    CHECK(j.spec.targetVersion == "2.0.0");
    CHECK(j.spec.teamsAppId == "app-1");
    CHECK(j.spec.tenantId == FakeGraph::kTenant);
  }
  CHECK(planned == std::set<std::string>{a, b, d});
  CHECK(f.g.graph.installationLists == 5);  // every team looked at once
  CHECK(must(f.store->inventoryScanned(FakeGraph::kTenant, "app-1")));
  CHECK(must(f.store->installationsOfApp(FakeGraph::kTenant, "app-1")).size() == 4);

  auto plans = auditOf(*f.store, "plan", "planned");
  REQUIRE(plans.size() == 1);
  CHECK(plans[0].teamsAppId == "app-1");
  CHECK(plans[0].toVersion == "2.0.0");
  CHECK(plans[0].detail ==
        "Contoso Tasks -> 2.0.0: 4 installations found by scanning 5 teams, 3 jobs enqueued, 1 "
        "already current");
  CHECK_FALSE(f.planner.runOnce());  // the inbox is empty now
}

TEST_CASE("a second identical event enqueues nothing new and reads the inventory, not Graph",
          "[daemon][planner]") {
  PlannerFixture f;
  f.g.graph.install("t1", "app-1", "1.0.0");
  f.g.graph.install("t2", "app-1", "2.0.0");
  f.accept("msg_1", publishEvent("app-1", "2.0.0"));
  REQUIRE(f.planner.runOnce());
  REQUIRE(f.queued().size() == 1);
  const int listsAfterFirst = f.g.graph.installationLists;

  f.accept("msg_2", publishEvent("app-1", "2.0.0"));
  REQUIRE(f.planner.runOnce());
  CHECK(f.queued().size() == 1);
  CHECK(f.g.graph.installationLists == listsAfterFirst);
  auto plans = auditOf(*f.store, "plan", "planned");
  REQUIRE(plans.size() == 2);
  CHECK(plans[1].detail ==
        "Contoso Tasks -> 2.0.0: 2 installations found from the inventory, 0 jobs enqueued (1 "
        "already queued), 1 already current");
}

TEST_CASE("only a full batch tells the serving loop to claim again at once", "[daemon][planner]") {
  PlannerFixture f;
  PlannerOptions o = PlannerFixture::options();
  o.batch = 2;
  Planner planner(o, *f.store, f.g.client, f.g.clock, f.g.random, nullLogger());
  f.g.graph.install("t1", "app-1", "1.0.0");
  CHECK_FALSE(planner.lastBatchWasFull());  // nothing claimed yet
  for (int i = 0; i < 3; ++i) f.accept("msg_" + std::to_string(i), publishEvent("app-1", "2.0.0"));

  REQUIRE(planner.runOnce());
  CHECK(planner.lastBatchWasFull());  // 2 of 2: more are probably due
  REQUIRE(planner.runOnce());
  CHECK_FALSE(planner.lastBatchWasFull());  // 1 of 2: the stream may fill the next batch first
  CHECK_FALSE(planner.runOnce());
  CHECK_FALSE(planner.lastBatchWasFull());
  CHECK(auditOf(*f.store, "plan", "planned").size() == 3);
}

TEST_CASE("a burst of events for one version is planned once per batch, each item audited",
          "[daemon][planner]") {
  PlannerFixture f;
  f.g.graph.install("t1", "app-1", "1.0.0");
  f.g.graph.install("t2", "app-1", "1.0.0");
  for (int i = 0; i < 5; ++i) f.accept("msg_" + std::to_string(i), publishEvent("app-1", "2.0.0"));
  f.accept("msg_other", publishEvent("app-1", "1.0.0"));  // another version: planned on its own

  REQUIRE(f.planner.runOnce());
  CHECK_FALSE(f.planner.runOnce());  // all six were in the batch and are done
  CHECK(f.queued().size() == 2);
  CHECK(f.g.graph.catalogGets == 2);      // once per distinct version, not once per event
  CHECK(f.g.graph.installationLists == 5);  // one scan
  auto plans = auditOf(*f.store, "plan", "planned");
  REQUIRE(plans.size() == 6);
  CHECK(plans[0].detail ==
        "Contoso Tasks -> 2.0.0: 2 installations found by scanning 5 teams, 2 jobs enqueued, 0 "
        "already current");
  for (int i = 1; i < 5; ++i) {
    CHECK(plans[static_cast<size_t>(i)].teamsAppId == "app-1");
    CHECK(plans[static_cast<size_t>(i)].toVersion == "2.0.0");
    CHECK_THAT(plans[static_cast<size_t>(i)].detail,
               Catch::Matches("the same app and version as inbox item [0-9]+, planned in this "
                              "batch: nothing more to enqueue"));
  }
  CHECK_THAT(plans[5].detail, Catch::StartsWith("Contoso Tasks -> 2.0.0: 2 installations found "
                                                "from the inventory, 0 jobs enqueued"));

  // The next batch plans the same version again (from the inventory): a batch is the window.
  f.accept("msg_later", publishEvent("app-1", "2.0.0"));
  REQUIRE(f.planner.runOnce());
  CHECK(f.g.graph.catalogGets == 3);
}

TEST_CASE("an event may name the app by its manifest id", "[daemon][planner]") {
  PlannerFixture f;
  f.g.graph.install("t4", "app-1", "1.0.0");
  f.accept("msg_ext", publishEvent("manifest-1", "2.0.0", "externalId"));
  REQUIRE(f.planner.runOnce());
  auto jobs = f.queued();
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].spec.teamsAppId == "app-1");
}

TEST_CASE("the target is the newer of the event's version and the latest published one",
          "[daemon][planner]") {
  PlannerFixture f;
  f.g.graph.install("t1", "app-1", "1.0.0");
  f.accept("msg_old", publishEvent("app-1", "1.5.0"));  // an old event: 2.0.0 is out already
  f.accept("msg_new", publishEvent("app-1", "3.0.0"));  // ahead of what Graph shows yet
  REQUIRE(f.planner.runOnce());  // both items: one batch
  CHECK_FALSE(f.planner.runOnce());
  std::set<std::string> targets;
  for (const auto& j : f.queued()) targets.insert(j.spec.targetVersion);
  CHECK(targets == std::set<std::string>{"2.0.0", "3.0.0"});
}

TEST_CASE("an event for an app the catalog does not have fails its plan, audited with why",
          "[daemon][planner]") {
  PlannerFixture f;
  f.accept("msg_x", publishEvent("no-such-app", "1.0.0"));
  REQUIRE(f.planner.runOnce());
  CHECK(f.queued().empty());
  auto failed = auditOf(*f.store, "plan", "failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].httpStatus == 404);
  CHECK(failed[0].detail.find("no-such-app") != std::string::npos);
  CHECK_FALSE(f.planner.runOnce());  // done, not retried
}

TEST_CASE("a transient Graph error puts the event back with backoff, then it is planned",
          "[daemon][planner]") {
  PlannerFixture f;
  f.g.graph.install("t1", "app-1", "1.0.0");
  f.g.graph.catalogFaults.push_back(FakeGraph::error(503, "ServiceUnavailable"));
  f.accept("msg_1", publishEvent("app-1", "2.0.0"));

  REQUIRE(f.planner.runOnce());
  CHECK(f.queued().empty());
  auto retrying = auditOf(*f.store, "plan", "retrying");
  REQUIRE(retrying.size() == 1);
  CHECK(retrying[0].httpStatus == 503);
  CHECK(retrying[0].detail.find("next try in 2.0 s") != std::string::npos);
  CHECK_FALSE(f.planner.runOnce());  // not due yet

  f.g.clock.advance(2s);
  REQUIRE(f.planner.runOnce());
  CHECK(f.queued().size() == 1);
  CHECK(auditOf(*f.store, "plan", "planned").size() == 1);
}

TEST_CASE("a stop request during a scan releases the event for the next start",
          "[daemon][planner]") {
  PlannerFixture f;
  f.g.graph.install("t1", "app-1", "1.0.0");
  f.accept("msg_1", publishEvent("app-1", "2.0.0"));
  f.planner.requestStop();
  REQUIRE(f.planner.runOnce());
  CHECK(f.queued().empty());
  CHECK(auditOf(*f.store, "plan").empty());
  CHECK_FALSE(must(f.store->inventoryScanned(FakeGraph::kTenant, "app-1")));
  auto again = must(f.store->claimInbox(60s));  // due at once
  REQUIRE(again.has_value());
  CHECK(again->kind == "catalog-event");
}

TEST_CASE("a deleted-installation notification removes the row from the inventory",
          "[daemon][planner]") {
  PlannerFixture f;
  TeamInstallation kept{FakeGraph::kTenant, "t1", "inst-1", "app-1", "d", "1.0.0"};
  TeamInstallation gone{FakeGraph::kTenant, "t2", "inst-2", "app-1", "d", "1.0.0"};
  REQUIRE(f.store->upsertInstallations({kept, gone}).ok());
  nlohmann::json batch = {
      {"value",
       {{{"subscriptionId", "s"},
         {"changeType", "deleted"},
         {"tenantId", FakeGraph::kTenant},
         {"resource", "appCatalogs/teamsApps('app-1')/installations('inst-2')"}},
        {{"subscriptionId", "s"},
         {"changeType", "created"},
         {"tenantId", FakeGraph::kTenant},
         {"resource", "appCatalogs/teamsApps('app-1')/installations('inst-3')"}}}}};
  REQUIRE(must(f.store->acceptNotification(batch.dump(), {})).has_value());

  REQUIRE(f.planner.runOnce());
  auto rows = must(f.store->installationsOfApp(FakeGraph::kTenant, "app-1"));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].installationId == "inst-1");
  auto plans = auditOf(*f.store, "plan", "planned");
  REQUIRE(plans.size() == 1);
  CHECK(plans[0].detail.rfind("graph notification with 2 items: 1 deleted installations removed",
                              0) == 0);
  CHECK(f.g.net.requestCount() == 0);  // no Graph call for notifications
}

TEST_CASE("a Graph call cancelled by shutdown releases the event without a retry record",
          "[daemon][planner]") {
  PlannerFixture f;
  f.accept("msg_1", publishEvent("app-1", "2.0.0"));
  Error cancelled = Error::transient("the Graph call was cancelled");
  cancelled.code = graph::kCancelledCode;
  f.g.net.fail(cancelled);  // the catalog GET
  REQUIRE(f.planner.runOnce());
  CHECK(auditOf(*f.store, "plan").empty());
  auto again = must(f.store->claimInbox(60s));  // due at once, not after a backoff
  REQUIRE(again.has_value());
}

namespace {

nlohmann::json change(const std::string& changeType, const std::string& installationId) {
  return {{"subscriptionId", "s"},
          {"changeType", changeType},
          {"tenantId", FakeGraph::kTenant},
          {"clientState", "x"},
          {"resource", "appCatalogs/teamsApps('app-1')/installations('" + installationId + "')"}};
}

nlohmann::json lifecycle(const std::string& event, const std::string& subscriptionId) {
  return {{"subscriptionId", subscriptionId},
          {"tenantId", FakeGraph::kTenant},
          {"clientState", "x"},
          {"lifecycleEvent", event}};
}

void deliver(store::Store& s, const std::vector<nlohmann::json>& items) {
  REQUIRE(must(s.acceptNotification(nlohmann::json{{"value", items}}.dump(), {})).has_value());
}

}  // namespace

TEST_CASE(
    "a created notification for an installation the inventory lacks requests a reconciliation",
    "[daemon][planner]") {
  PlannerFixture f;
  deliver(*f.store, {change("created", "inst-new"), change("updated", "inst-new2")});
  REQUIRE(f.planner.runOnce());
  auto active = must(f.store->activeReconciliation());
  REQUIRE(active.has_value());
  CHECK(active->reason.find("unknown installation") != std::string::npos);
  CHECK(f.queued().empty());
  CHECK(f.g.net.requestCount() == 0);  // the team is unknown: nothing to read yet
}

TEST_CASE("a created notification at an old version of a known installation enqueues its upgrade",
          "[daemon][planner]") {
  PlannerFixture f;
  const std::string id = f.g.graph.install("t3", "app-1", "1.0.0");
  // Known from an earlier scan at another version (e.g. removed and installed again).
  REQUIRE(
      f.store->upsertInstallations({{FakeGraph::kTenant, "t3", id, "app-1", "d", "2.0.0"}}).ok());
  deliver(*f.store, {change("created", id)});
  REQUIRE(f.planner.runOnce());
  auto jobs = f.queued();
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].spec.installationId == id);
  CHECK(jobs[0].spec.teamId == "t3");
  CHECK(jobs[0].spec.fromVersion == "1.0.0");
  CHECK(jobs[0].spec.targetVersion == "2.0.0");
  auto row = must(f.store->installationById(FakeGraph::kTenant, id));
  REQUIRE(row.has_value());
  CHECK(row->version == "1.0.0");
  CHECK(f.g.graph.installationGets == 1);
}

TEST_CASE("an updated notification after our upgrade confirms it once, without reading Graph",
          "[daemon][planner]") {
  PlannerFixture f;
  const std::string id = "t1##app-1==";
  const int64_t jobId = f.upgradedByUs("t1", id);

  deliver(*f.store, {change("updated", id)});
  REQUIRE(f.planner.runOnce());
  deliver(*f.store, {change("updated", id)});  // Graph may say it twice
  REQUIRE(f.planner.runOnce());
  auto confirmed = auditOf(*f.store, "upgrade-confirmed", "confirmed");
  REQUIRE(confirmed.size() == 1);
  CHECK(confirmed[0].jobId == jobId);
  CHECK(confirmed[0].toVersion == "2.0.0");
  CHECK(confirmed[0].installationId == id);
  CHECK(f.g.net.requestCount() == 0);
}

TEST_CASE("an updated notification for an upgrade made elsewhere refreshes the row from Graph",
          "[daemon][planner]") {
  PlannerFixture f;
  const std::string id = f.g.graph.install("t2", "app-1", "2.0.0");
  REQUIRE(
      f.store->upsertInstallations({{FakeGraph::kTenant, "t2", id, "app-1", "d", "1.0.0"}}).ok());
  deliver(*f.store, {change("updated", id)});
  REQUIRE(f.planner.runOnce());
  CHECK(must(f.store->installationById(FakeGraph::kTenant, id))->version == "2.0.0");
  CHECK(f.queued().empty());
  CHECK(auditOf(*f.store, "upgrade-confirmed").empty());  // not our upgrade
}

TEST_CASE("a deleted notification removes the row and cancels its queued job",
          "[daemon][planner]") {
  PlannerFixture f;
  const std::string id = "t4##app-1==";
  REQUIRE(
      f.store->upsertInstallations({{FakeGraph::kTenant, "t4", id, "app-1", "d", "1.0.0"}}).ok());
  store::JobSpec spec{FakeGraph::kTenant, "t4", id, "app-1", "1.0.0", "2.0.0", std::nullopt};
  REQUIRE(must(f.store->enqueue({spec})) == 1);
  deliver(*f.store, {change("deleted", id)});
  REQUIRE(f.planner.runOnce());
  CHECK_FALSE(must(f.store->installationById(FakeGraph::kTenant, id)).has_value());
  CHECK(f.queued().empty());
}

TEST_CASE("lifecycle events go through the store to the maintenance thread", "[daemon][planner]") {
  PlannerFixture f;
  for (const char* id : {"sub-a", "sub-b"}) {
    store::SubscriptionRecord r;
    r.id = id;
    r.resource = "/appCatalogs/teamsApps/app-1/installations";
    r.clientState = "x";
    r.expiration = f.g.clock.now() + 24h;
    r.teamsAppId = "app-1";
    REQUIRE(f.store->putSubscription(r).ok());
  }

  SECTION("reauthorizationRequired marks the subscription due for renewal") {
    deliver(*f.store, {lifecycle("reauthorizationRequired", "sub-a")});
    REQUIRE(f.planner.runOnce());
    CHECK(must(f.store->subscription("sub-a"))->expiration == WallTime{});
    CHECK(must(f.store->subscription("sub-b"))->expiration == f.g.clock.now() + 24h);
    CHECK_FALSE(must(f.store->activeReconciliation()).has_value());
  }
  SECTION("subscriptionRemoved drops the record and requests a reconciliation") {
    deliver(*f.store, {lifecycle("subscriptionRemoved", "sub-a")});
    REQUIRE(f.planner.runOnce());
    CHECK_FALSE(must(f.store->subscription("sub-a")).has_value());
    auto active = must(f.store->activeReconciliation());
    REQUIRE(active.has_value());
    CHECK(active->reason == "subscriptionRemoved");
  }
  SECTION("missed requests a reconciliation") {
    deliver(*f.store, {lifecycle("missed", "sub-b")});
    REQUIRE(f.planner.runOnce());
    auto active = must(f.store->activeReconciliation());
    REQUIRE(active.has_value());
    CHECK(active->reason == "missed");
    CHECK(must(f.store->subscriptions()).size() == 2);
  }
  CHECK(f.g.net.requestCount() == 0);
  CHECK(auditOf(*f.store, "plan", "planned").size() == 1);
}

TEST_CASE("a first scan reads a page's teams concurrently and plans exactly what a sequential one does",
          "[daemon][planner]") {
  PlannerFixture f;
  f.g.graph.pageSize = 5;  // one page: all five teams read together
  std::mutex graphMu, mu;
  std::condition_variable cv;
  int inFlight = 0, maxInFlight = 0;
  f.g.net.setHandler([&](const graph::HttpRequest& r) -> Result<graph::HttpResponse> {
    if (r.url.find("/installedApps") != std::string::npos) {
      std::unique_lock lock(mu);
      maxInFlight = std::max(maxInFlight, ++inFlight);
      cv.notify_all();
      // Held until four reads are in flight (bounded: a sequential scan never gets there).
      cv.wait_for(lock, std::chrono::seconds(2), [&] { return maxInFlight >= 4; });
      --inFlight;
    }
    std::lock_guard lock(graphMu);  // FakeGraph itself is not thread-safe
    return f.g.graph.handle(r);
  });
  PlannerOptions o = PlannerFixture::options();
  o.scanConcurrency = 4;
  Planner planner(o, *f.store, f.g.client, f.g.clock, f.g.random, nullLogger());
  const std::string a = f.g.graph.install("t1", "app-1", "1.0.0");
  f.g.graph.install("t3", "app-1", "2.0.0");
  const std::string c = f.g.graph.install("t5", "app-1", "1.0.0");
  f.accept("msg_1", publishEvent("app-1", "2.0.0"));

  REQUIRE(planner.runOnce());
  CHECK(maxInFlight == 4);
  std::set<std::string> planned;
  for (const auto& j : f.queued()) planned.insert(j.spec.installationId);
  CHECK(planned == std::set<std::string>{a, c});
  CHECK(must(f.store->inventoryScanned(FakeGraph::kTenant, "app-1")));
  auto plans = auditOf(*f.store, "plan", "planned");
  REQUIRE(plans.size() == 1);
  CHECK(plans[0].detail ==
        "Contoso Tasks -> 2.0.0: 3 installations found by scanning 5 teams, 2 jobs enqueued, 1 "
        "already current");
}

TEST_CASE("a flood of notifications is planned in batches: one claim and one completion "
          "transaction per batch, one reconciliation request, every item done",
          "[daemon][planner]") {
  PlannerFixture f;
  // 40 items for installations the inventory does not know: each needs a reconciliation.
  for (int i = 0; i < 40; ++i) {
    deliver(*f.store, {change("created", "unknown-" + std::to_string(i))});
  }
  REQUIRE(f.planner.runOnce());  // the first 32 (PlannerOptions::batch)
  CHECK(auditOf(*f.store, "plan", "planned").size() == 32);
  REQUIRE(f.planner.runOnce());  // the other 8
  CHECK_FALSE(f.planner.runOnce());
  CHECK(auditOf(*f.store, "plan", "planned").size() == 40);
  auto active = must(f.store->activeReconciliation());
  REQUIRE(active.has_value());
  CHECK(auditOf(*f.store, "reconcile", "requested").size() == 1);
}

TEST_CASE("an upgrade Graph reports twice within one batch is confirmed once",
          "[daemon][planner]") {
  PlannerFixture f;
  const std::string id = "t1##app-1==";
  f.upgradedByUs("t1", id);

  deliver(*f.store, {change("updated", id)});
  deliver(*f.store, {change("updated", id)});  // the same report again, planned in one batch
  REQUIRE(f.planner.runOnce());
  CHECK_FALSE(f.planner.runOnce());
  CHECK(auditOf(*f.store, "upgrade-confirmed", "confirmed").size() == 1);
  CHECK(auditOf(*f.store, "plan", "planned").size() == 2);
}

TEST_CASE("notifications for one installation within one batch read it and the catalog once",
          "[daemon][planner]") {
  PlannerFixture f;
  // Upgraded elsewhere (the inventory still says 1.0.0), then reported three times; a second
  // installation of the same app, outdated, in the same batch.
  const std::string id = f.g.graph.install("t2", "app-1", "2.0.0");
  const std::string old = f.g.graph.install("t3", "app-1", "1.0.0");
  REQUIRE(f.store
              ->upsertInstallations({{FakeGraph::kTenant, "t2", id, "app-1", "d", "1.0.0"},
                                     {FakeGraph::kTenant, "t3", old, "app-1", "d", "1.0.0"}})
              .ok());
  deliver(*f.store, {change("updated", id)});
  deliver(*f.store, {change("updated", id), change("created", old)});
  deliver(*f.store, {change("updated", id)});
  REQUIRE(f.planner.runOnce());
  CHECK(f.g.graph.installationGets == 2);  // id once, old once
  CHECK(f.g.graph.catalogGets == 1);       // app-1's latest version, once per batch
  CHECK(must(f.store->installationById(FakeGraph::kTenant, id))->version == "2.0.0");
  auto jobs = f.queued();
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].spec.installationId == old);
  auto plans = auditOf(*f.store, "plan", "planned");
  REQUIRE(plans.size() == 3);
  CHECK(plans[0].detail.find("read back already") == std::string::npos);
  CHECK(plans[1].detail.find(
            "1 read back already for an earlier item of this batch") != std::string::npos);
  CHECK(plans[2].detail.find("1 read back already") != std::string::npos);

  // The next batch reads again: a later notification may report a later change.
  deliver(*f.store, {change("updated", id)});
  REQUIRE(f.planner.runOnce());
  CHECK(f.g.graph.installationGets == 3);
  CHECK(f.g.graph.catalogGets == 2);
}
