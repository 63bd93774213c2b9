// The reconciler against a real Store, fake time and FakeGraph (pages of 2 teams).
#include "daemon/reconciler.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>

#include "daemon_test_support.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using namespace appkeeper::daemon::testing;

namespace {

struct ReconcilerFixture {
  TempDir dir;
  GraphHarness g;
  std::unique_ptr<store::Store> store;

  // The reconciler reads teams concurrently; FakeGraph is not thread-safe, so its requests are
  // serialised here. `onTeamRead` (may be empty) sees each installed-apps GET first, inside a
  // short window where it may wait for other readers (concurrency checks).
  std::mutex graphMu;
  std::function<std::optional<graph::HttpResponse>(const graph::HttpRequest&)> onTeamRead;

  ReconcilerFixture() : store(must(store::Store::open(dir.file("appkeeper.db"), g.clock))) {
    g.net.setHandler([this](const graph::HttpRequest& r) -> Result<graph::HttpResponse> {
      if (onTeamRead && r.url.find("/installedApps") != std::string::npos) {
        if (auto answer = onTeamRead(r)) return *answer;
      }
      std::lock_guard lock(graphMu);
      return g.graph.handle(r);
    });
    g.graph.addTeams(5);
    g.graph.addApp("app-1", "Contoso Tasks", "manifest-1");
    g.graph.addVersion("app-1", "1.0.0");
    g.graph.addVersion("app-1", "2.0.0");
    g.graph.addApp("app-2", "Unwatched");
    g.graph.addVersion("app-2", "1.0.0");
    g.graph.addVersion("app-2", "3.0.0");
  }
  Reconciler make(int scanConcurrency = ReconcilerOptions{}.scanConcurrency) {
    return Reconciler(ReconcilerOptions{FakeGraph::kTenant, {"app-1"}, 500, scanConcurrency},
                      *store, g.client, g.clock, nullLogger());
  }
  // Steps until the reconciliation is done; returns the number of pages.
  int runToEnd(Reconciler& r) {
    int pages = 0;
    for (int i = 0; i < 100; ++i) {  // bounded
      auto stepped = r.step();
      REQUIRE(stepped.ok());
      if (!*stepped) break;
      ++pages;
    }
    return pages;
  }
};

}  // namespace

TEST_CASE("a reconciliation fills the inventory of watched apps and queues outdated ones",
          "[daemon][reconcile]") {
  ReconcilerFixture f;
  const auto old1 = f.g.graph.install("t1", "app-1", "1.0.0");
  f.g.graph.install("t2", "app-1", "2.0.0");
  const auto old5 = f.g.graph.install("t5", "app-1", "1.0.0");
  f.g.graph.install("t3", "app-2", "1.0.0");  // not watched: ignored
  must(f.store->requestReconciliation("first start"));
  auto r = f.make();
  CHECK(f.runToEnd(r) == 3);  // 5 teams in pages of 2

  CHECK(must(f.store->installationsOfApp(FakeGraph::kTenant, "app-1")).size() == 3);
  CHECK(must(f.store->installationsOfApp(FakeGraph::kTenant, "app-2")).empty());
  CHECK(must(f.store->inventoryScanned(FakeGraph::kTenant, "app-1")));
  auto jobs = must(f.store->listJobs(store::JobState::kQueued, 0));
  REQUIRE(jobs.size() == 2);
  std::set<std::string> queued{jobs[0].spec.installationId, jobs[1].spec.installationId};
  CHECK(queued == std::set<std::string>{old1, old5});
  CHECK(jobs[0].spec.targetVersion == "2.0.0");

  CHECK_FALSE(must(f.store->activeReconciliation()).has_value());
  auto last = must(f.store->lastReconciliation());
  REQUIRE(last.has_value());
  CHECK(last->teamsScanned == 5);
  CHECK(last->installationsFound == 3);
  auto summary = auditOf(*f.store, "reconcile", "reconciled");
  REQUIRE(summary.size() == 1);
  CHECK(summary[0].detail ==
        "5 teams scanned, 3 installations found, 3 drift corrected, 2 upgrades queued");
}

TEST_CASE("a reconciliation corrects drift: changed, vanished and new installations",
          "[daemon][reconcile]") {
  ReconcilerFixture f;
  const auto a = f.g.graph.install("t1", "app-1", "2.0.0");
  const auto b = f.g.graph.install("t2", "app-1", "2.0.0");
  const auto c = f.g.graph.install("t5", "app-1", "2.0.0");
  must(f.store->requestReconciliation("first"));
  auto r = f.make();
  f.runToEnd(r);

  f.g.graph.setVersion(a, "1.0.0");  // downgraded behind our back (a lost notification)
  f.g.graph.uninstall(b);
  f.g.graph.removeTeam("t5");  // c disappears with its team
  const auto d = f.g.graph.install("t4", "app-1", "1.0.0");
  f.g.clock.advance(1h);
  must(f.store->requestReconciliation("missed"));
  f.runToEnd(r);

  std::set<std::string> rows;
  for (const auto& i : must(f.store->installationsOfApp(FakeGraph::kTenant, "app-1"))) {
    rows.insert(i.installationId);
    if (i.installationId == a) CHECK(i.version == "1.0.0");
  }
  CHECK(rows == std::set<std::string>{a, d});
  CHECK(rows.count(c) == 0);
  auto summaries = auditOf(*f.store, "reconcile", "reconciled");
  REQUIRE(summaries.size() == 2);
  CHECK(summaries[1].detail ==
        "4 teams scanned, 2 installations found, 4 drift corrected, 2 upgrades queued");
}

TEST_CASE("a reconciliation interrupted by a restart resumes from its stored cursor",
          "[daemon][reconcile]") {
  ReconcilerFixture f;
  f.g.graph.install("t1", "app-1", "1.0.0");
  must(f.store->requestReconciliation("first"));
  {
    auto r = f.make();
    REQUIRE(must(r.step()));  // page 1 (t1, t2), then the process "dies"
  }
  const int before = f.g.graph.teamPageGets;
  auto again = f.make();
  CHECK(f.runToEnd(again) == 2);  // pages 2 and 3 only
  CHECK(f.g.graph.teamPageGets - before == 2);
  CHECK(must(f.store->lastReconciliation())->teamsScanned == 5);
}

TEST_CASE("a stored cursor Graph no longer accepts restarts the scan from the first page",
          "[daemon][reconcile]") {
  ReconcilerFixture f;
  f.g.graph.install("t5", "app-1", "1.0.0");
  const auto id = must(f.store->requestReconciliation("first"));
  REQUIRE(f.store->startReconciliation(id).ok());
  REQUIRE(f.store
              ->recordReconciliationProgress(
                  id, std::string(FakeGraph::kBase) + "/teams?$select=id&$skiptoken=stale", {})
              .ok());
  auto r = f.make();
  f.runToEnd(r);
  CHECK(must(f.store->installationsOfApp(FakeGraph::kTenant, "app-1")).size() == 1);
  CHECK_FALSE(must(f.store->activeReconciliation()).has_value());
}

TEST_CASE("a transient Graph error pauses the reconciliation without losing its place",
          "[daemon][reconcile]") {
  ReconcilerFixture f;
  must(f.store->requestReconciliation("first"));
  auto r = f.make();
  f.g.net.respond(503, R"({"error":{"code":"ServiceNotAvailable","message":"busy"}})",
                  {{"Content-Type", "application/json"}});
  CHECK_FALSE(r.step().ok());
  auto active = must(f.store->activeReconciliation());
  REQUIRE(active.has_value());
  CHECK(active->cursor.empty());
  CHECK(f.runToEnd(r) == 3);
  CHECK(must(f.store->lastReconciliation())->teamsScanned == 5);
}

TEST_CASE("a page's teams are read concurrently, never more at once than scanConcurrency",
          "[daemon][reconcile]") {
  ReconcilerFixture f;
  f.g.graph.pageSize = 5;  // one page holding all five teams
  for (const char* team : {"t1", "t2", "t3", "t4", "t5"}) f.g.graph.install(team, "app-1", "1.0.0");
  std::mutex mu;
  std::condition_variable cv;
  int inFlight = 0, maxInFlight = 0;
  f.onTeamRead = [&](const graph::HttpRequest&) -> std::optional<graph::HttpResponse> {
    std::unique_lock lock(mu);
    maxInFlight = std::max(maxInFlight, ++inFlight);
    cv.notify_all();
    // Hold this read until three are in flight (bounded: a sequential reader never gets there).
    cv.wait_for(lock, std::chrono::seconds(2), [&] { return inFlight >= 3 || maxInFlight >= 3; });
    --inFlight;
    return std::nullopt;
  };
  must(f.store->requestReconciliation("first"));
  auto r = f.make(3);
  CHECK(f.runToEnd(r) == 1);
  CHECK(maxInFlight == 3);
  auto jobs = must(f.store->listJobs(store::JobState::kQueued, 0));
  CHECK(jobs.size() == 5);
  CHECK(must(f.store->lastReconciliation())->teamsScanned == 5);
}

TEST_CASE("with scanConcurrency 1 the teams are read one after the other, in page order",
          "[daemon][reconcile]") {
  ReconcilerFixture f;
  std::vector<std::string> order;
  std::atomic<int> inFlight{0};
  int maxInFlight = 0;
  f.onTeamRead = [&](const graph::HttpRequest& r) -> std::optional<graph::HttpResponse> {
    maxInFlight = std::max(maxInFlight, ++inFlight);
    order.push_back(r.url.substr(r.url.find("/teams/") + 7, 2));
    --inFlight;
    return std::nullopt;
  };
  must(f.store->requestReconciliation("first"));
  auto r = f.make(1);
  CHECK(f.runToEnd(r) == 3);
  CHECK(maxInFlight == 1);
  CHECK(order == std::vector<std::string>{"t1", "t2", "t3", "t4", "t5"});
}

TEST_CASE("one team's transient error leaves its whole page unrecorded, and the page is redone",
          "[daemon][reconcile]") {
  ReconcilerFixture f;
  f.g.graph.pageSize = 5;
  const auto a = f.g.graph.install("t2", "app-1", "1.0.0");
  const auto b = f.g.graph.install("t4", "app-1", "1.0.0");
  std::atomic<int> faults{1};
  f.onTeamRead = [&](const graph::HttpRequest& r) -> std::optional<graph::HttpResponse> {
    if (r.url.find("/teams/t4/") != std::string::npos && faults-- > 0) {
      return FakeGraph::error(503, "ServiceNotAvailable");
    }
    return std::nullopt;
  };
  must(f.store->requestReconciliation("first"));
  auto r = f.make(4);
  CHECK_FALSE(r.step().ok());
  auto active = must(f.store->activeReconciliation());
  REQUIRE(active.has_value());
  CHECK(active->cursor.empty());
  CHECK(active->teamsScanned == 0);
  CHECK(must(f.store->listJobs(store::JobState::kQueued, 0)).empty());

  CHECK(f.runToEnd(r) == 1);
  std::set<std::string> queued;
  for (const auto& j : must(f.store->listJobs(store::JobState::kQueued, 0))) {
    queued.insert(j.spec.installationId);
  }
  CHECK(queued == std::set<std::string>{a, b});
  CHECK(must(f.store->lastReconciliation())->teamsScanned == 5);
}

TEST_CASE("the next page of teams is fetched ahead once, not again when its step comes",
          "[daemon][reconcile]") {
  ReconcilerFixture f;  // 5 teams in pages of 2: three pages
  must(f.store->requestReconciliation("first"));
  auto r = f.make();
  CHECK(f.runToEnd(r) == 3);
  CHECK(f.g.graph.teamPageGets == 3);
  CHECK(f.g.graph.installationLists == 5);
}

TEST_CASE("a team that cannot be read is skipped while its page's other teams are recorded",
          "[daemon][reconcile]") {
  ReconcilerFixture f;
  f.g.graph.pageSize = 5;
  const auto a = f.g.graph.install("t1", "app-1", "1.0.0");
  f.onTeamRead = [&](const graph::HttpRequest& r) -> std::optional<graph::HttpResponse> {
    if (r.url.find("/teams/t3/") != std::string::npos) return FakeGraph::error(404, "NotFound");
    return std::nullopt;
  };
  must(f.store->requestReconciliation("first"));
  auto r = f.make();
  CHECK(f.runToEnd(r) == 1);
  auto jobs = must(f.store->listJobs(store::JobState::kQueued, 0));
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].spec.installationId == a);
  auto summary = auditOf(*f.store, "reconcile", "reconciled");
  REQUIRE(summary.size() == 1);
  CHECK(summary[0].detail.find("4 teams scanned") == 0);
  CHECK(summary[0].detail.find("1 teams could not be read") != std::string::npos);
}
