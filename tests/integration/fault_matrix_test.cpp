// The fault matrix (issue 5): for each fault the emulator can inject, a fan-out of a couple of
// hundred installations under that fault completes with every installation upgraded exactly
// once and an audit record for every upgrade attempt the emulator saw.
//
// One TEST_CASE per fault (each its own ctest entry, so they run in parallel), all through
// runFaultCase(). The daemon runs with a 2 s Graph timeout (hangs last 2.5 s) and 1-2 s worker backoff so a case
// takes seconds, and the emulator's throttle is far above the daemon's pace so only the
// injected faults fail requests.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kTarget = "9.0.0";

struct FaultCase {
  const char* name;
  // PUT /_emulator/faults body, set once the daemon is ready and before the publish event.
  json faults;
  // Runs while the rollout is in flight (token expiry, an outage window); may be empty.
  std::function<void(EmulatorProcess&, const std::string& appId, size_t total)> during;
  // [workers] max_attempts: the shipped default unless a case needs a small budget to show
  // that its fault does not use attempts up.
  int maxAttempts = 8;
  // appkeeper's pace ([graph] requests_per_second). A case whose fault must land mid-run
  // (`during`) runs slower: at 400/s the whole rollout (one page of teams since the scan asks
  // for 999 per page) can end between two polls of the test, before the fault is set.
  double requestsPerSecond = 400;
};

json rule(const char* route, const char* kind, double probability) {
  return {{"route", route}, {"kind", kind}, {"probability", probability}};
}

// Probability rules on every route the rollout uses: the token endpoint, the catalog read,
// the installation read, the upgrade POST (and the daemon's start-up reconciliation).
json everywhere(const char* kind, double probability, int retryAfterSeconds = 1) {
  return {{"rules", json::array({rule("*", kind, probability)})},
          {"retryAfterSeconds", retryAfterSeconds},
          {"hangMs", 2500}};
}

json postsAndReads(const char* kind, double probability) {
  return {{"rules", json::array({rule("POST upgrade", kind, probability),
                                 rule("GET installedApp", kind, probability)})},
          {"retryAfterSeconds", 1},
          {"hangMs", 2500}};
}

size_t upgradedCount(EmulatorProcess& emu, const std::string& app, size_t total) {
  return total - installationsBehind(emu, app, kTarget);
}

int64_t tokenRequests(EmulatorProcess& emu, const std::string& outcome) {
  const json stats = emu.stats();  // named: the loop below must not outlive a temporary
  for (const auto& [route, byOutcome] : stats.at("requests").items()) {
    if (route.find("/oauth2/v2.0/token") == std::string::npos) continue;
    return byOutcome.value(outcome, int64_t{0});
  }
  return 0;
}

void runFaultCase(const FaultCase& fc, uint64_t seed) {
  const auto started = std::chrono::steady_clock::now();
  TempDir dir;
  // ~200 installations of Contoso Tasks (90% of teams); budgets far above the daemon's pace.
  EmulatorProcess emu(dir, {"--teams", "220", "--seed", std::to_string(seed), "--get-rps",
                            "100000", "--post-rps", "100000", "--team-rps", "1000"});
  const std::string app = emu.appIdByName("Contoso Tasks");
  const size_t total = emu.installations(app).size();
  REQUIRE(total >= 150);
  emu.publish(app, kTarget);

  DaemonOptions opts;
  opts.workers = 8;
  opts.requestsPerSecond = fc.requestsPerSecond;
  // Only this app: the other seeded apps' outdated installations would add their own jobs.
  opts.extraIni =
      "[workers]\nmax_attempts = " + std::to_string(fc.maxAttempts) +
      "\nbackoff_base_seconds = 1\nbackoff_cap_seconds = 2\nlease_seconds = 10\n"
      "[apps]\nwatch = " + app + "\n";
  // The harness writes [graph] itself; the timeout goes through the environment.
  opts.extraEnv.emplace("APPKEEPER_GRAPH_TIMEOUT_SECONDS", "2");
  DaemonProcess daemon(dir, emu, opts);
  daemon.start();

  auto set = emu.control("PUT", "/_emulator/faults", fc.faults);
  INFO(set.body);
  REQUIRE(set.status == 200);
  REQUIRE(daemon.sendPublishEvent(app, kTarget, std::string("msg_") + fc.name) == 202);
  const auto published = std::chrono::steady_clock::now();
  if (fc.during) fc.during(emu, app, total);

  const bool done = eventually([&] { return installationsBehind(emu, app, kTarget) == 0; }, 75s);
  const auto finished = std::chrono::steady_clock::now();
  const json faultsAtEnd = emu.control("GET", "/_emulator/faults").json();
  REQUIRE(emu.control("DELETE", "/_emulator/faults").status == 204);
  INFO("faults: " << faultsAtEnd.dump());
  INFO("daemon log tail: " << daemon.stderrLog().substr(
           daemon.stderrLog().size() > 3000 ? daemon.stderrLog().size() - 3000 : 0));
  REQUIRE(done);

  // The audit lags the emulator by one store transaction per job.
  std::vector<json> audits;
  REQUIRE(eventually(
      [&] {
        audits = upgradeAudits(daemon, app);
        size_t upgraded = 0;
        for (const auto& r : audits) upgraded += r.value("outcome", "") == "upgraded";
        return upgraded == total;
      },
      60s));
  std::set<std::string> upgradedIds;
  size_t postAttempts = 0, failed = 0, retrying = 0;
  for (const auto& r : audits) {
    const std::string outcome = r.value("outcome", "");
    if (outcome == "upgraded") upgradedIds.insert(r.value("installationId", ""));
    failed += outcome == "failed";
    retrying += outcome == "retrying";
    postAttempts += auditedPostAttempt(r);
  }
  CHECK(upgradedIds.size() == total);
  CHECK(failed == 0);

  // Exactly one upgrade changed each installation. A second POST to an installation (counted
  // by the emulator as a no-op upgrade) is allowed only for a POST whose answer appkeeper never
  // saw (a timeout or reset, audited with HTTP status 0): the emulator may have applied it
  // while appkeeper, not knowing, tried again. The emulator's own faults fire before the route
  // runs, so those calls had no effect; only a slow machine makes such a case.
  std::map<std::string, int64_t> unknownOutcome;
  for (const auto& r : audits) {
    if (auditedPostAttempt(r) && r.value("httpStatus", 0) == 0) {
      ++unknownOutcome[r.value("installationId", "")];
    }
  }
  size_t duplicates = 0;
  for (const auto& inst : emu.installations(app)) {
    INFO(inst.dump());
    CHECK(inst.at("upgrades") == 1);
    const auto noop = inst.at("noopUpgrades").get<int64_t>();
    const auto it = unknownOutcome.find(inst.at("installationId").get<std::string>());
    CHECK(noop <= (it == unknownOutcome.end() ? 0 : it->second));
    duplicates += static_cast<size_t>(noop);
  }

  // Every upgrade POST the emulator saw is one job run, recorded once. A 401 is the exception:
  // the client refreshes its token and sends the same POST again within that one run.
  const auto posts = upgradePostsByOutcome(emu.stats());
  const int64_t postsSeen = sumOf(posts);
  const int64_t postsAfterAuth = postsSeen - (posts.count("401") ? posts.at("401") : 0);
  std::string byOutcome;
  for (const auto& [outcome, n] : posts) byOutcome += outcome + "=" + std::to_string(n) + " ";
  INFO("upgrade POSTs by outcome: " << byOutcome);
  CHECK(static_cast<int64_t>(postAttempts) >= postsAfterAuth);

  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  const auto rollout = ms(finished - published);
  const auto took = ms(std::chrono::steady_clock::now() - started);
  std::cout << "[fault-matrix] " << fc.name << ": " << total << " installations, "
            << "duplicates " << duplicates << ", upgrade POSTs " << postsSeen << " (" << byOutcome
            << "), audited POST attempts " << postAttempts << ", retrying " << retrying
            << ", faults fired " << faultsAtEnd.dump() << ", rollout " << rollout << " ms, case "
            << took << " ms\n";
  CHECK(daemon.terminate() == 0);
}

}  // namespace

TEST_CASE("fault matrix: 429 with Retry-After loses nothing and upgrades each installation once",
          "[integration][faults]") {
  runFaultCase({"429", postsAndReads("429", 0.015), nullptr}, 101);
}

TEST_CASE("fault matrix: 429 without Retry-After loses nothing and upgrades each once",
          "[integration][faults]") {
  runFaultCase({"429-no-retry-after", postsAndReads("429-no-retry-after", 0.05), nullptr}, 102);
}

TEST_CASE("fault matrix: 500 loses nothing and upgrades each installation once",
          "[integration][faults]") {
  runFaultCase({"500", everywhere("500", 0.1), nullptr}, 103);
}

TEST_CASE("fault matrix: 502 loses nothing and upgrades each installation once",
          "[integration][faults]") {
  runFaultCase({"502", everywhere("502", 0.1), nullptr}, 104);
}

TEST_CASE("fault matrix: 503 with Retry-After loses nothing and upgrades each installation once",
          "[integration][faults]") {
  // Retry-After 0: no header, so the 503s exercise the backoff rather than 1 s waits each.
  runFaultCase({"503", everywhere("503", 0.1, 0), nullptr}, 105);
}

TEST_CASE("fault matrix: 504 loses nothing and upgrades each installation once",
          "[integration][faults]") {
  runFaultCase({"504", everywhere("504", 0.1), nullptr}, 106);
}

TEST_CASE("fault matrix: a transient 400 loses nothing and upgrades each installation once",
          "[integration][faults]") {
  runFaultCase({"transient-400", postsAndReads("400", 0.1), nullptr}, 107);
}

TEST_CASE("fault matrix: a response hung past the client timeout loses nothing",
          "[integration][faults]") {
  runFaultCase({"hang", everywhere("hang", 0.02), nullptr}, 108);
}

TEST_CASE("fault matrix: a connection reset loses nothing and upgrades each installation once",
          "[integration][faults]") {
  runFaultCase({"drop", everywhere("drop", 0.1), nullptr}, 109);
}

TEST_CASE("fault matrix: a truncated body loses nothing and upgrades each installation once",
          "[integration][faults]") {
  runFaultCase({"truncate", everywhere("truncate", 0.1), nullptr}, 110);
}

TEST_CASE("fault matrix: a non-JSON body loses nothing and upgrades each installation once",
          "[integration][faults]") {
  runFaultCase({"nonjson", everywhere("nonjson", 0.1), nullptr}, 111);
}

TEST_CASE("fault matrix: the token endpoint down mid-run loses nothing", "[integration][faults]") {
  // Mid-run, every token is expired and the token endpoint fails every request (503 or a reset)
  // until the daemon has run into it 60 times, several seconds, far more than the 2 attempts
  // each job may use here; then it recovers. No job may fail: the outage is the tenant's.
  auto during = [](EmulatorProcess& emu, const std::string& app, size_t total) {
    REQUIRE(eventually([&] { return upgradedCount(emu, app, total) >= total / 4; }, 30s));
    REQUIRE(emu.control("PUT", "/_emulator/faults",
                        {{"rules", json::array({rule("POST token", "503", 0.5),
                                                rule("POST token", "drop", 1.0)})},
                         {"retryAfterSeconds", 0}})
                .status == 200);
    REQUIRE(emu.control("POST", "/_emulator/tokens/expire").status == 200);
    const bool hit = eventually(
        [&] { return tokenRequests(emu, "503") + tokenRequests(emu, "drop") >= 60; }, 30s);
    INFO("emulator stats: " << emu.stats().dump());
    REQUIRE(hit);
    CHECK(upgradedCount(emu, app, total) < total);  // the outage really was mid-run
    REQUIRE(emu.control("DELETE", "/_emulator/faults").status == 204);
  };
  runFaultCase({"token-endpoint-down", {{"rules", json::array()}}, during, /*maxAttempts=*/2,
                /*requestsPerSecond=*/100},
               112);
}

TEST_CASE("fault matrix: tokens expired mid-run are fetched again and nothing is lost",
          "[integration][faults]") {
  auto during = [](EmulatorProcess& emu, const std::string& app, size_t total) {
    // Three expiries spread over the run; each makes every in-flight token answer 401.
    for (size_t quarter = 1; quarter <= 3; ++quarter) {
      REQUIRE(eventually([&] { return upgradedCount(emu, app, total) >= total * quarter / 4; },
                         30s));
      REQUIRE(emu.control("POST", "/_emulator/tokens/expire").status == 200);
    }
  };
  runFaultCase({"token-expired", {{"rules", json::array()}}, during, /*maxAttempts=*/8,
                /*requestsPerSecond=*/100},
               113);
}
