// The upgrade worker against a real Store (temp file), fake time and FakeGraph behind the
// GraphClient: every outcome, its audit record and the HTTP it sent.
#include "daemon/upgrade_worker.h"

#include <catch2/catch.hpp>

#include "daemon/consent.h"
#include "daemon_test_support.h"
#include "graph/delegated_tokens.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using namespace appkeeper::daemon::testing;

namespace {

// A delegated TokenSource whose answers the test scripts; counts the calls.
class ScriptedTokenSource final : public graph::TokenSource {
 public:
  Result<std::string> token(bool) override {
    ++calls;
    if (!errors.empty()) {
      Error e = errors.front();
      errors.pop_front();
      return e;
    }
    return std::string("delegated-token");
  }
  std::deque<Error> errors;
  int calls = 0;
};

Error loginRequired(const std::string& what) {
  Error e = Error::permanent(what + "; run `appkeeper login`");
  e.code = graph::kLoginRequiredCode;
  return e;
}

struct WorkerFixture {
  TempDir dir;
  GraphHarness g;
  std::unique_ptr<store::Store> store;
  ScriptedTokenSource delegatedTokens;
  std::unique_ptr<UpgradeWorker> worker;
  std::string installation;

  explicit WorkerFixture(bool withDelegatedToken = false, int maxAttempts = 8)
      : store(must(store::Store::open(dir.file("appkeeper.db"), g.clock))) {
    WorkerOptions o;
    o.owner = "host:1:w1";
    o.lease = 60s;
    o.retry = {maxAttempts, 2s, 600s};
    o.propagationRetry = 300s;
    o.propagationPatience = 48h;
    worker = std::make_unique<UpgradeWorker>(o, *store, g.client, g.clock, g.random, nullLogger(),
                                             withDelegatedToken ? &delegatedTokens : nullptr);
    g.graph.addTeams(1);
    g.graph.addApp("app-1", "Contoso Tasks");
    g.graph.addVersion("app-1", "1.0.0");
    installation = g.graph.install("t1", "app-1", "1.0.0");
  }
  void enqueue(const std::string& target) {
    store::JobSpec spec;
    spec.tenantId = FakeGraph::kTenant;
    spec.teamId = "t1";
    spec.installationId = installation;
    spec.teamsAppId = "app-1";
    spec.fromVersion = "1.0.0";
    spec.targetVersion = target;
    REQUIRE(must(store->enqueue({spec})) == 1);
  }
  // Installs app-1 1.0.0 in each of `teams` and queues its upgrade to 2.0.0.
  void enqueueOutdated(const std::vector<std::string>& teams) {
    std::vector<store::JobSpec> specs;
    for (const auto& team : teams) {
      store::JobSpec s;
      s.tenantId = FakeGraph::kTenant;
      s.teamId = team;
      s.installationId = g.graph.install(team, "app-1", "1.0.0");
      s.teamsAppId = "app-1";
      s.fromVersion = "1.0.0";
      s.targetVersion = "2.0.0";
      specs.push_back(s);
    }
    REQUIRE(must(store->enqueue(specs)) == specs.size());
  }
  store::JobState state() {
    auto jobs = must(store->listJobs(std::nullopt, 0));
    REQUIRE(jobs.size() == 1);
    return jobs[0].state;
  }
  std::vector<store::AuditRecord> upgradeAudit() { return auditOf(*store, "upgrade"); }
};

}  // namespace

TEST_CASE("a job for an app without RSC upgrades with a POST that has no body",
          "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addVersion("app-1", "2.0.0");
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());

  REQUIRE(f.g.graph.upgrades.size() == 1);
  CHECK(f.g.graph.upgrades[0].teamId == "t1");
  CHECK(f.g.graph.upgrades[0].installationId == f.installation);
  CHECK(f.g.graph.upgrades[0].body.empty());
  CHECK(f.g.graph.upgrades[0].authorization == "Bearer app-token");
  CHECK(f.g.graph.versionIn(f.installation) == "2.0.0");
  CHECK(f.state() == store::JobState::kSucceeded);
  auto audit = f.upgradeAudit();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].outcome == "upgraded");
  CHECK(audit[0].fromVersion == "1.0.0");
  CHECK(audit[0].toVersion == "2.0.0");
  CHECK(audit[0].httpStatus == 204);
  CHECK_FALSE(audit[0].requestId.empty());
  CHECK(audit[0].permissions.empty());
  CHECK(audit[0].installationId == f.installation);
  // The inventory learns the new version.
  auto rows = must(f.store->installationsOfApp(FakeGraph::kTenant, "app-1"));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].version == "2.0.0");
  CHECK_FALSE(f.worker->runOnce());
}

TEST_CASE("an installation already at the target is skipped without calling upgrade",
          "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addVersion("app-1", "2.0.0");
  f.enqueue("1.0.0");  // e.g. planned before a manual upgrade
  REQUIRE(f.worker->runOnce());
  CHECK(f.g.graph.upgrades.empty());
  CHECK(f.state() == store::JobState::kSkipped);
  auto audit = f.upgradeAudit();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].outcome == "skipped");
  CHECK(audit[0].detail == "already current (installed 1.0.0, target 1.0.0)");
}

TEST_CASE("a target version not visible yet waits, and fails once patience runs out",
          "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addVersion("app-1", "2.0.0", {}, "submitted");
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kQueued);
  auto waiting = auditOf(*f.store, "upgrade", "waiting");
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].detail ==
        "version 2.0.0 is not visible as published yet (latest published: 1.0.0); checking "
        "again in 300.0 s");
  CHECK_FALSE(f.worker->runOnce());  // not due before propagation_retry
  CHECK(must(f.store->nextJobDue()) == f.g.clock.now() + 300s);

  f.g.clock.advance(300s);
  REQUIRE(f.worker->runOnce());
  CHECK(auditOf(*f.store, "upgrade", "waiting").size() == 2);
  const int catalogGets = f.g.graph.catalogGets;
  CHECK(catalogGets == 2);  // rechecked, not served from the stale cache

  f.g.clock.advance(48h);
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kFailed);
  auto failed = auditOf(*f.store, "upgrade", "failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].detail == "version 2.0.0 never became visible within 48 h");
  CHECK(f.g.graph.upgrades.empty());
}

TEST_CASE("a waiting job upgrades once its version becomes visible", "[daemon][worker]") {
  WorkerFixture f;
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());
  CHECK(auditOf(*f.store, "upgrade", "waiting").size() == 1);
  f.g.graph.addVersion("app-1", "2.0.0");
  f.g.clock.advance(300s);
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kSucceeded);
  CHECK(f.g.graph.upgrades.size() == 1);
}

TEST_CASE("an app that needs RSC is marked needs-delegated-consent without calling upgrade",
          "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addVersion("app-1", "2.0.0", {app("ChannelMessage.Read.Group")});
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());
  CHECK(f.g.graph.upgrades.empty());
  CHECK(f.state() == store::JobState::kBlocked);
  auto audit = f.upgradeAudit();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].outcome == "needs-delegated-consent");
  CHECK(audit[0].detail.find("ChannelMessage.Read.Group") != std::string::npos);
  CHECK(audit[0].detail.find("configure [delegated] key_file and run `appkeeper login`") !=
        std::string::npos);
  CHECK_FALSE(f.worker->runOnce());  // blocked is not claimable: no retry loop
}

TEST_CASE("a 403 AccessDenied to the upgrade of an RSC app also means needs-delegated-consent",
          "[daemon][worker]") {
  WorkerFixture f(/*withDelegatedToken=*/true);
  f.g.graph.addVersion("app-1", "2.0.0", {app("ChannelMessage.Read.Group")});
  f.g.graph.upgradeFaults.push_back(FakeGraph::error(403, "Forbidden", "AccessDenied"));
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());
  CHECK(f.g.graph.upgrades.size() == 1);
  CHECK(f.state() == store::JobState::kBlocked);
  auto audit = f.upgradeAudit();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].outcome == "needs-delegated-consent");
  CHECK(audit[0].httpStatus == 403);
}

TEST_CASE("with a delegated token an RSC app is upgraded with the full consent body",
          "[daemon][worker]") {
  WorkerFixture f(/*withDelegatedToken=*/true);
  f.g.graph.addVersion("app-1", "2.0.0",
                       {delegated("ChannelMeeting.ReadBasic.Group"), app("Channel.Create.Group")});
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());
  REQUIRE(f.g.graph.upgrades.size() == 1);
  CHECK(f.g.graph.upgrades[0].authorization == "Bearer delegated-token");
  CHECK(nlohmann::json::parse(f.g.graph.upgrades[0].body) ==
        nlohmann::json::parse(R"({"consentedPermissionSet":{"resourceSpecificPermissions":[
          {"permissionValue":"Channel.Create.Group","permissionType":"application"},
          {"permissionValue":"ChannelMeeting.ReadBasic.Group","permissionType":"delegated"}]}})"));
  auto audit = f.upgradeAudit();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].outcome == "upgraded");
  CHECK(audit[0].permissions.size() == 2);
}

TEST_CASE("with a delegated token a delegated-only RSC app is upgraded without a body",
          "[daemon][worker]") {
  WorkerFixture f(/*withDelegatedToken=*/true);
  f.g.graph.addVersion("app-1", "2.0.0", {delegated("ChannelMeeting.ReadBasic.Group")});
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());
  REQUIRE(f.g.graph.upgrades.size() == 1);
  CHECK(f.g.graph.upgrades[0].body.empty());
  CHECK(f.state() == store::JobState::kSucceeded);
}

TEST_CASE("the consent body is the full set with application permissions, omitted otherwise",
          "[daemon][worker]") {
  auto mixed = consentFor({app("B.Group"), delegated("A.Group"), app("B.Group")});
  REQUIRE(mixed.has_value());
  CHECK(*mixed == std::vector<RscPermission>{delegated("A.Group"), app("B.Group")});
  CHECK_FALSE(consentFor({delegated("A.Group"), delegated("C.Group")}).has_value());
  CHECK_FALSE(consentFor({}).has_value());
}

TEST_CASE("a 503 is retried with backoff and then succeeds", "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addVersion("app-1", "2.0.0");
  f.g.graph.upgradeFaults.push_back(FakeGraph::error(503, "ServiceUnavailable"));
  f.enqueue("2.0.0");
  f.g.random.script = {1'500};  // the jitter drawn for the first retry
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kQueued);
  auto retrying = auditOf(*f.store, "upgrade", "retrying");
  REQUIRE(retrying.size() == 1);
  CHECK(retrying[0].httpStatus == 503);
  CHECK(retrying[0].requestId == "err-503");
  CHECK(retrying[0].attempt == 1);
  CHECK(retrying[0].detail.find("ServiceUnavailable") != std::string::npos);
  CHECK(retrying[0].detail.find("retry in 1.5 s") != std::string::npos);
  CHECK(must(f.store->nextJobDue()) == f.g.clock.now() + 1500ms);
  CHECK_FALSE(f.worker->runOnce());

  f.g.clock.advance(1500ms);
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kSucceeded);
  CHECK(f.g.graph.upgrades.size() == 2);
  CHECK(auditOf(*f.store, "upgrade", "upgraded").size() == 1);
}

TEST_CASE("a 404 from the upgrade fails the job at once", "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addVersion("app-1", "2.0.0");
  f.g.graph.upgradeFaults.push_back(FakeGraph::error(404, "NotFound"));
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kFailed);
  auto audit = f.upgradeAudit();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].outcome == "failed");
  CHECK(audit[0].httpStatus == 404);
  CHECK(audit[0].detail.rfind("upgrading: Graph answered 404 NotFound", 0) == 0);
}

TEST_CASE("a consent-mismatch 400 fails at once; a bare 400 is retried", "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addVersion("app-1", "2.0.0");
  f.g.graph.upgradeFaults.push_back(FakeGraph::error(400, "BadRequest"));
  f.g.graph.upgradeFaults.push_back(FakeGraph::error(400, "BadRequest", "InvalidRequest"));
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kQueued);
  f.g.clock.advance(2s);
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kFailed);
  CHECK(auditOf(*f.store, "upgrade", "failed")[0].detail.find("InvalidRequest") !=
        std::string::npos);
}

TEST_CASE("transient failures end in failed after max_attempts", "[daemon][worker]") {
  WorkerFixture f(false, /*maxAttempts=*/3);
  f.g.graph.addVersion("app-1", "2.0.0");
  for (int i = 0; i < 3; ++i)
    f.g.graph.upgradeFaults.push_back(FakeGraph::error(502, "BadGateway"));
  f.enqueue("2.0.0");
  // Full jitter at its maximum (empty script): 2 s, then 4 s.
  REQUIRE(f.worker->runOnce());
  f.g.clock.advance(2s);
  REQUIRE(f.worker->runOnce());
  f.g.clock.advance(4s);
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kFailed);
  CHECK(f.g.graph.upgrades.size() == 3);
  CHECK(auditOf(*f.store, "upgrade", "retrying").size() == 2);
  auto failed = auditOf(*f.store, "upgrade", "failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].detail.find("(gave up after 3 attempts)") != std::string::npos);
  CHECK_FALSE(f.worker->runOnce());
}

TEST_CASE("throttling (429) waits Retry-After and does not use up attempts", "[daemon][worker]") {
  WorkerFixture f(false, /*maxAttempts=*/2);
  f.g.graph.addVersion("app-1", "2.0.0");
  for (int i = 0; i < 3; ++i) {
    f.g.graph.upgradeFaults.push_back(FakeGraph::error(429, "TooManyRequests", "", "5"));
  }
  f.enqueue("2.0.0");
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.worker->runOnce());
    CHECK(f.state() == store::JobState::kQueued);
    f.g.clock.advance(5s);
  }
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kSucceeded);
  CHECK(auditOf(*f.store, "upgrade", "retrying").size() == 3);
}

TEST_CASE("an installation that no longer exists is skipped and leaves the inventory",
          "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addVersion("app-1", "2.0.0");
  REQUIRE(
      f.store
          ->upsertInstallations({{FakeGraph::kTenant, "t1", f.installation, "app-1", "d", "1.0.0"}})
          .ok());
  f.g.graph.installationGetFaults.push_back(FakeGraph::error(404, "NotFound"));
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());
  CHECK(f.g.graph.upgrades.empty());
  CHECK(f.state() == store::JobState::kSkipped);
  CHECK(must(f.store->installationsOfApp(FakeGraph::kTenant, "app-1")).empty());
}

TEST_CASE("a shutdown during a Graph call releases the job without counting the attempt",
          "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addVersion("app-1", "2.0.0");
  f.enqueue("2.0.0");
  Error cancelled = Error::transient("cancelled");
  cancelled.code = graph::kCancelledCode;
  f.g.net.fail(cancelled);  // the catalog GET
  REQUIRE(f.worker->runOnce());
  auto jobs = must(f.store->listJobs(std::nullopt, 0));
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].state == store::JobState::kQueued);
  CHECK(jobs[0].attempt == 0);
  CHECK(f.upgradeAudit().empty());
}

// Regression: the worker's catalog cache, fetched just before a publish, made that publish's
// jobs wait propagation_retry (300 s) although the version was visible.
TEST_CASE("a job enqueued after the worker cached the previous version upgrades at once",
          "[daemon][worker]") {
  WorkerFixture f;
  f.enqueue("1.0.0");  // reads the catalog: 1.0.0 is the latest
  REQUIRE(f.worker->runOnce());
  REQUIRE(f.g.graph.catalogGets == 1);
  f.g.clock.advance(100ms);
  f.g.graph.addVersion("app-1", "2.0.0");
  f.g.clock.advance(100ms);
  f.enqueue("2.0.0");
  f.g.clock.advance(100ms);
  REQUIRE(f.worker->runOnce());
  CHECK(auditOf(*f.store, "upgrade", "waiting").empty());
  CHECK(f.g.graph.upgrades.size() == 1);
  CHECK(f.g.graph.catalogGets == 2);
}

TEST_CASE("workers sharing the process's catalog cache read the catalog once",
          "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addTeams(3);
  f.g.graph.addVersion("app-1", "2.0.0");
  CatalogCache shared(f.g.client, f.g.clock);
  std::vector<std::unique_ptr<UpgradeWorker>> workers;
  for (const char* owner : {"host:1:w2", "host:1:w3"}) {
    WorkerOptions o;
    o.owner = owner;
    o.sharedCatalog = &shared;
    workers.push_back(std::make_unique<UpgradeWorker>(o, *f.store, f.g.client, f.g.clock,
                                                      f.g.random, nullLogger()));
  }
  f.enqueueOutdated({"t2", "t3"});
  f.g.clock.advance(10ms);
  for (auto& w : workers) REQUIRE(w->runOnce());
  CHECK(f.g.graph.catalogGets == 1);
  CHECK(f.g.graph.upgrades.size() == 2);
}

TEST_CASE("a burst of jobs for one app reads the catalog once", "[daemon][worker]") {
  WorkerFixture f;
  f.g.graph.addTeams(3);
  f.g.graph.addVersion("app-1", "2.0.0");
  f.enqueueOutdated({"t2", "t3"});
  REQUIRE(f.worker->runOnce());
  REQUIRE(f.worker->runOnce());
  CHECK(f.g.graph.catalogGets == 1);
  CHECK(f.g.graph.upgrades.size() == 2);
}

TEST_CASE("a delegated sign-in that is missing or revoked blocks only the RSC jobs",
          "[daemon][worker]") {
  WorkerFixture f(/*withDelegatedToken=*/true);
  f.g.graph.addVersion("app-1", "2.0.0", {app("ChannelMessage.Read.Group")});
  f.g.graph.addApp("app-2", "Contoso Tasks");
  f.g.graph.addVersion("app-2", "1.0.0");
  f.g.graph.addVersion("app-2", "2.0.0");
  const std::string other = f.g.graph.install("t1", "app-2", "1.0.0");
  f.delegatedTokens.errors.push_back(
      loginRequired("the delegated sign-in stopped working (invalid_grant)"));
  f.enqueue("2.0.0");
  store::JobSpec plain{FakeGraph::kTenant, "t1", other, "app-2", "1.0.0", "2.0.0", std::nullopt};
  REQUIRE(must(f.store->enqueue({plain})) == 1);

  REQUIRE(f.worker->runOnce());
  REQUIRE(f.worker->runOnce());
  CHECK_FALSE(f.worker->runOnce());  // the blocked one is not retried in a loop

  CHECK(f.delegatedTokens.calls == 1);
  REQUIRE(f.g.graph.upgrades.size() == 1);  // only the app without RSC reached Graph
  CHECK(f.g.graph.upgrades[0].installationId == other);
  CHECK(f.g.graph.upgrades[0].authorization == "Bearer app-token");
  auto blocked = auditOf(*f.store, "upgrade", "needs-delegated-consent");
  REQUIRE(blocked.size() == 1);
  CHECK(blocked[0].installationId == f.installation);
  CHECK(blocked[0].detail.find("invalid_grant") != std::string::npos);
  CHECK(blocked[0].detail.find("run `appkeeper login`") != std::string::npos);
  CHECK(auditOf(*f.store, "upgrade", "upgraded").size() == 1);
  CHECK(must(f.store->listJobs(store::JobState::kBlocked, 0)).size() == 1);

  // After `appkeeper login` released it, the job upgrades with the delegated token.
  REQUIRE(must(f.store->unblockAllJobs("delegated sign-in by admin")) == 1);
  REQUIRE(f.worker->runOnce());
  REQUIRE(f.g.graph.upgrades.size() == 2);
  CHECK(f.g.graph.upgrades[1].authorization == "Bearer delegated-token");
  CHECK(f.g.graph.versionIn(f.installation) == "2.0.0");
  CHECK(auditOf(*f.store, "upgrade", "upgraded").size() == 2);
}

TEST_CASE("a transient delegated token error waits and is retried without using up an attempt",
          "[daemon][worker]") {
  WorkerFixture f(/*withDelegatedToken=*/true);
  f.g.graph.addVersion("app-1", "2.0.0", {app("ChannelMessage.Read.Group")});
  f.delegatedTokens.errors.push_back(Error::transient("the token endpoint answered 503"));
  f.enqueue("2.0.0");
  f.g.random.script = {1'000};
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kQueued);
  CHECK(auditOf(*f.store, "upgrade", "retrying").empty());
  auto waiting = auditOf(*f.store, "upgrade", "waiting");
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].detail.find("503") != std::string::npos);
  CHECK(waiting[0].detail.find("not counted as an attempt") != std::string::npos);
  CHECK(f.g.graph.upgrades.empty());

  f.g.clock.advance(1s);
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kSucceeded);
  REQUIRE(f.g.graph.upgrades.size() == 1);
  CHECK(f.g.graph.upgrades[0].authorization == "Bearer delegated-token");
}

TEST_CASE("an app without RSC never asks the delegated token source", "[daemon][worker]") {
  WorkerFixture f(/*withDelegatedToken=*/true);
  f.g.graph.addVersion("app-1", "2.0.0");
  f.delegatedTokens.errors.push_back(loginRequired("no delegated sign-in is stored"));
  f.enqueue("2.0.0");
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kSucceeded);
  CHECK(f.delegatedTokens.calls == 0);
}

TEST_CASE("a token endpoint outage longer than max_attempts fails no job", "[daemon][worker]") {
  WorkerFixture f(/*withDelegatedToken=*/true, /*maxAttempts=*/2);
  f.g.graph.addVersion("app-1", "2.0.0", {app("ChannelMessage.Read.Group")});
  for (int i = 0; i < 5; ++i) {
    f.delegatedTokens.errors.push_back(Error::transient("the token endpoint is unavailable"));
  }
  f.enqueue("2.0.0");
  for (int i = 0; i < 5; ++i) {
    REQUIRE(f.worker->runOnce());
    CHECK(f.state() == store::JobState::kQueued);
    f.g.clock.advance(3s);  // past the 2 s backoff ceiling of a first attempt
  }
  REQUIRE(f.worker->runOnce());
  CHECK(f.state() == store::JobState::kSucceeded);
  CHECK(auditOf(*f.store, "upgrade", "waiting").size() == 5);
  CHECK(auditOf(*f.store, "upgrade", "failed").empty());
}
