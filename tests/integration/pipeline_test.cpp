// End to end: the real graph-emulator and `appkeeper serve` processes on loopback.
#include <catch2/catch.hpp>

#include <set>

#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper::testing;
using namespace std::chrono_literals;

namespace {

// Installations of `appId` not at `version`.
std::vector<nlohmann::json> auditWhere(const DaemonProcess& daemon, const std::string& event,
                                       const std::string& outcome, const std::string& appId) {
  std::vector<nlohmann::json> out;
  for (auto& r : daemon.audit({"--app", appId})) {
    if (r.value("event", "") == event && r.value("outcome", "") == outcome) out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("a publish event upgrades every outdated installation exactly once, each audited",
          "[integration][pipeline]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "60", "--seed", "7", "--page-size", "7"});
  const std::string app = emu.appIdByName("Contoso Tasks");
  const auto before = emu.installations(app);
  REQUIRE(before.size() > 10);
  emu.publish(app, "9.0.0");

  DaemonProcess daemon(dir, emu);
  daemon.start();
  REQUIRE(daemon.sendPublishEvent(app, "9.0.0", "msg_first") == 202);

  REQUIRE(eventually([&] { return installationsBehind(emu, app, "9.0.0") == 0; }, 60s));
  for (const auto& inst : emu.installations(app)) {
    INFO(inst.dump());
    CHECK(inst.at("upgrades") == 1);
    CHECK(inst.at("noopUpgrades") == 0);
  }
  REQUIRE(eventually([&] { return auditWhere(daemon, "upgrade", "upgraded", app).size() == before.size(); }, 20s));
  std::set<std::string> audited;
  for (const auto& r : auditWhere(daemon, "upgrade", "upgraded", app)) {
    CHECK(r.at("toVersion") == "9.0.0");
    CHECK(r.at("httpStatus") == 204);
    CHECK_FALSE(r.at("requestId").get<std::string>().empty());
    audited.insert(r.at("installationId").get<std::string>());
  }
  CHECK(audited.size() == before.size());
  CHECK(auditWhere(daemon, "catalog-event", "accepted", app).size() == 1);
  CHECK(daemon.terminate() == 0);
}

TEST_CASE("repeated and duplicate publish events cause no extra upgrades",
          "[integration][pipeline]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "30", "--seed", "11"});
  const std::string app = emu.appIdByName("Contoso Tasks");
  emu.publish(app, "9.0.0");
  DaemonProcess daemon(dir, emu);
  daemon.start();

  REQUIRE(daemon.sendPublishEvent(app, "9.0.0", "msg_a") == 202);
  CHECK(daemon.sendPublishEvent(app, "9.0.0", "msg_a") == 200);  // same webhook-id: acknowledged
  CHECK(daemon.sendPublishEvent(app, "9.0.0", "msg_b") == 202);  // same content, new id
  REQUIRE(eventually([&] { return installationsBehind(emu, app, "9.0.0") == 0; }, 60s));
  // Let the second plan run to completion before counting.
  REQUIRE(eventually([&] {
    auto out = daemon.runCli({"jobs", "--db", daemon.dbPath(), "--format", "jsonl", "--state", "queued"});
    return out.find('{') == std::string::npos;
  }, 20s));
  for (const auto& inst : emu.installations(app)) {
    INFO(inst.dump());
    CHECK(inst.at("upgrades") == 1);
    CHECK(inst.at("noopUpgrades") == 0);
  }
  CHECK(auditWhere(daemon, "catalog-event", "duplicate", app).size() == 1);
}

TEST_CASE("a daemon killed with SIGKILL mid-run finishes the rest after a restart",
          "[integration][pipeline][crash]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "200", "--seed", "5", "--latency-ms", "20",
                            "--latency-jitter-ms", "10"});
  const std::string app = emu.appIdByName("Contoso Tasks");
  const size_t total = emu.installations(app).size();
  emu.publish(app, "9.0.0");
  DaemonOptions opts;
  opts.requestsPerSecond = 40;
  opts.extraEnv.emplace("APPKEEPER_WORKERS_LEASE_SECONDS", "3");
  DaemonProcess daemon(dir, emu, opts);
  daemon.start();
  REQUIRE(daemon.sendPublishEvent(app, "9.0.0", "msg_crash") == 202);

  REQUIRE(eventually([&] { return installationsBehind(emu, app, "9.0.0") < total * 2 / 3; }, 60s));
  daemon.kill();
  const size_t leftAtKill = installationsBehind(emu, app, "9.0.0");
  INFO("left behind at the kill: " << leftAtKill << " of " << total);
  REQUIRE(leftAtKill > 0);

  daemon.start();
  REQUIRE(eventually([&] { return installationsBehind(emu, app, "9.0.0") == 0; }, 90s));
  for (const auto& inst : emu.installations(app)) {
    INFO(inst.dump());
    // The worker re-reads the installation before upgrading, so an upgrade that landed just
    // before the kill is seen as current and skipped, not sent again.
    CHECK(inst.at("upgrades") == 1);
  }
  REQUIRE(eventually([&] {
    std::set<std::string> done;
    for (auto& r : daemon.audit({"--app", app})) {
      if (r.value("event", "") != "upgrade") continue;
      auto o = r.value("outcome", "");
      if (o == "upgraded" || o == "skipped") done.insert(r.value("installationId", ""));
    }
    return done.size() == total;
  }, 30s));
  int code = 0;
  daemon.runCli({"jobs", "--db", daemon.dbPath()}, &code);
  CHECK(code == 0);
}

TEST_CASE("throttling by Graph slows the run but loses nothing", "[integration][pipeline]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "80", "--seed", "3", "--get-rps", "15", "--post-rps", "10"});
  const std::string app = emu.appIdByName("Contoso Tasks");
  emu.publish(app, "9.0.0");
  DaemonOptions opts;
  opts.requestsPerSecond = 100;  // deliberately above the emulator's budgets
  opts.workers = 8;
  DaemonProcess daemon(dir, emu, opts);
  daemon.start();
  REQUIRE(daemon.sendPublishEvent(app, "9.0.0", "msg_throttle") == 202);
  REQUIRE(eventually([&] { return installationsBehind(emu, app, "9.0.0") == 0; }, 120s));
  CHECK(emu.stats().at("throttled").get<int>() > 0);
  for (const auto& inst : emu.installations(app)) CHECK(inst.at("upgrades") == 1);
  CHECK(auditWhere(daemon, "upgrade", "failed", app).empty());
}

TEST_CASE("an app that requires RSC ends in the audited needs-delegated-consent state",
          "[integration][pipeline]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "30", "--seed", "9"});
  const std::string app = emu.appIdByName("Contoso Insights");
  const size_t total = emu.installations(app).size();
  REQUIRE(total > 0);
  emu.publish(app, "9.0.0", {{{"permissionValue", "ChannelMessage.Read.Group"}, {"permissionType", "application"}}});
  DaemonProcess daemon(dir, emu);
  daemon.start();
  REQUIRE(daemon.sendPublishEvent(app, "9.0.0", "msg_rsc") == 202);
  REQUIRE(eventually([&] { return auditWhere(daemon, "upgrade", "needs-delegated-consent", app).size() == total; }, 60s));
  for (const auto& r : auditWhere(daemon, "upgrade", "needs-delegated-consent", app)) {
    CHECK_FALSE(r.at("detail").get<std::string>().empty());
  }
  for (const auto& inst : emu.installations(app)) CHECK(inst.at("upgrades") == 0);
  auto jobs = daemon.runCli({"jobs", "--db", daemon.dbPath()});
  CHECK(jobs.find("blocked") != std::string::npos);
}
