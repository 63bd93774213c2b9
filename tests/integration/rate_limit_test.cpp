// Rate limits (issue 5): appkeeper paced below Graph's limits is never throttled; paced above
// them, it is throttled, and every 429 pauses the whole tenant instead of letting each worker
// find out for itself (a stampede). The emulator stands in for Graph with a sliding-window
// throttle and counts the 429s it sends per second (GET /_emulator/stats throttledPerSecond).
#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>
#include <string>

#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kRateTarget = "9.0.0";

struct Rollout {
  size_t installations = 0;
  json stats;
  std::chrono::milliseconds took{0};
};

// Whether the daemon's start-up reconciliation (a scan of every team) has finished.
bool reconciled(const DaemonProcess& daemon) {
  for (const auto& r : daemon.audit()) {
    if (r.value("event", "") == "reconcile" && r.value("outcome", "") == "reconciled") return true;
  }
  return false;
}

// Publishes kRateTarget of Contoso Tasks, lets a daemon with `opts` roll it out against an emulator
// started with `emulatorArgs`, and checks that every installation was upgraded exactly once
// with no failed job. `fanOutOnly`: the publish event is sent once the start-up reconciliation
// is done, and the emulator's stats are reset just before, so they cover the fan-out alone
// (the planner then takes the installations from the inventory instead of scanning again).
Rollout rollOut(const std::vector<std::string>& emulatorArgs, DaemonOptions opts,
                bool fanOutOnly = false) {
  const auto started = std::chrono::steady_clock::now();
  TempDir dir;
  EmulatorProcess emu(dir, emulatorArgs);
  const std::string app = emu.appIdByName("Contoso Tasks");
  Rollout out;
  out.installations = emu.installations(app).size();
  REQUIRE(out.installations >= 150);
  emu.publish(app, kRateTarget);
  opts.extraIni += "[apps]\nwatch = " + app + "\n";
  DaemonProcess daemon(dir, emu, std::move(opts));
  daemon.start();
  if (fanOutOnly) {
    REQUIRE(eventually([&] { return reconciled(daemon); }, 60s));
    REQUIRE(emu.control("DELETE", "/_emulator/stats").status == 204);
  }
  REQUIRE(daemon.sendPublishEvent(app, kRateTarget, "msg_rate") == 202);
  REQUIRE(eventually([&] { return installationsBehind(emu, app, kRateTarget) == 0; }, 90s));
  out.stats = emu.stats();
  for (const auto& inst : emu.installations(app)) {
    INFO(inst.dump());
    CHECK(inst.at("upgrades") == 1);
    CHECK(inst.at("noopUpgrades") == 0);
  }
  for (const auto& r : upgradeAudits(daemon, app)) CHECK(r.value("outcome", "") != "failed");
  CHECK(daemon.terminate() == 0);
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return out;
}

}  // namespace

TEST_CASE("appkeeper paced below Graph's limits is never throttled during a large fan-out",
          "[integration][ratelimit]") {
  // Emulator: 60 GETs/s, 60 POSTs/s, 4 per team per second (sliding window, like Graph).
  // appkeeper: 45/s per budget and 3 per team: below each limit with room for the loopback
  // jitter that may bunch requests its limiter spaced evenly.
  DaemonOptions opts;
  opts.workers = 8;
  opts.requestsPerSecond = 45;
  opts.extraEnv.emplace("APPKEEPER_GRAPH_PER_TEAM_REQUESTS_PER_SECOND", "3");
  const Rollout r = rollOut({"--teams", "220", "--seed", "21", "--get-rps", "60", "--post-rps",
                             "60", "--team-rps", "4"},
                            opts);
  INFO(r.stats.dump());
  CHECK(r.stats.at("throttled") == 0);
  CHECK(r.stats.at("throttledPerSecond").empty());
  std::cout << "[rate-limit] below: " << r.installations << " installations, 429s "
            << r.stats.at("throttled") << ", busiest second " << r.stats.at("maxPerSecond").dump()
            << ", " << r.took.count() << " ms\n";
}

TEST_CASE("when Graph throttles appkeeper it pauses the whole tenant instead of stampeding",
          "[integration][ratelimit]") {
  constexpr int kWorkers = 4;
  DaemonOptions opts;
  opts.workers = kWorkers;
  // Far above the emulator's budgets, which are low enough (10/s) that even a sanitizer build,
  // whose workers manage ~14 calls/s, is throttled.
  opts.requestsPerSecond = 150;
  opts.extraEnv.emplace("APPKEEPER_GRAPH_PER_TEAM_REQUESTS_PER_SECOND", "3");
  const Rollout r = rollOut({"--teams", "220", "--seed", "22", "--get-rps", "10", "--post-rps",
                             "10", "--team-rps", "4"},
                            opts, /*fanOutOnly=*/true);
  INFO(r.stats.dump());
  REQUIRE(r.stats.at("throttled").get<int64_t>() > 0);

  // The bound, from the design (graph/graph_client.h, graph/rate_limiter.h). Every Graph call
  // reserves its send time from the one tenant-wide RateLimiter, and a 429 pauses that limiter
  // for Retry-After (the emulator never says less than 1 s) before the call returns. So a
  // thread that got a 429 sends nothing more until more than 1 s after that 429 reached the
  // emulator: each thread gets at most one 429 per second (the histogram's seconds are
  // half-open). The threads that call Graph during the fan-out are the kWorkers workers, the
  // planner (it reads back each installation a change notification names) and the maintenance
  // thread (subscriptions, catalog poll), each one call at a time. The scans (start-up
  // reconciliation, a planner's first scan) read 32 teams at once and would raise the bound to
  // ~70; they are over before the stats are reset. Hence at most kWorkers + 2 429s in any second;
  // the tenant-wide pause is what keeps the threads that have not been refused yet from
  // finding out one by one. A client that ignored Retry-After would see up to the daemon's
  // pace minus the emulator's budget: 150 - 10 = 140 per second and budget.
  constexpr int64_t kBound = kWorkers + 2;
  int64_t busiest = 0;
  std::string histogram;
  for (const auto& [second, n] : r.stats.at("throttledPerSecond").items()) {
    busiest = std::max(busiest, n.get<int64_t>());
    histogram += second + ":" + std::to_string(n.get<int64_t>()) + " ";
  }
  INFO("429s per second since the emulator started: " << histogram);
  CHECK(busiest <= kBound);
  std::cout << "[rate-limit] above: " << r.installations << " installations, 429s "
            << r.stats.at("throttled") << ", per second {" << histogram << "}, bound " << kBound
            << ", " << r.took.count() << " ms\n";
}
