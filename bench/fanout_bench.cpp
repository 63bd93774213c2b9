// fanout_bench: issue 7 items 1, 2 and 5 in one run against one graph-emulator (HTTPS, Graph's
// shape of limits: per-tenant GET and POST budgets, 4/s per team, latency with jitter).
//
//   cold   a fresh `appkeeper serve` on a tenant where N teams each have the app one version
//          behind: its first reconciliation finds them and the workers upgrade them;
//   warm   a newer version is published and announced by a signed publish event: the planner
//          plans from the inventory the first run filled;
//   peer   (--peer) the script an admin would write (bench/peer/peer.mjs, the official Graph JS
//          SDK with its default retry middleware) upgrades the next version, once sequentially
//          and once with --peer-concurrency, appkeeper stopped meanwhile.
//
// Prints Markdown: per phase the wall time, upgrades/s ÷ the POST budget, wall ÷ the theoretical
// minimum (N / POST budget), 429s, installations left behind, GETs per upgrade; then the daemon's
// peak RSS and CPU seconds per 1,000 jobs. Usage: fanout_bench --help.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "fakes/temp_dir.h"
#include "integration/harness.h"

namespace {

using namespace appkeeper;
using namespace appkeeper::testing;
using Clock = std::chrono::steady_clock;

constexpr const char* kTenant = "11111111-1111-1111-1111-111111111111";
constexpr const char* kClientId = "22222222-2222-2222-2222-222222222222";

struct Args {
  int installations = 1000;
  int budget = 30;           // emulator GET and POST budgets per second
  int latencyMs = 40;        // fixed part
  int jitterMs = 80;         // plus uniform [0, jitter]: 80 ms ± 40 ms by default
  int workers = 0;           // 0: scaled to the budget
  double clientRps = 0;      // appkeeper's [graph] requests_per_second; 0: 0.97 × budget
  bool throttle = true;
  bool warm = true;
  bool peer = false;
  bool seeded = false;  // the emulator's seeded tenant ("Contoso Tasks"), cold phase only
  int peerConcurrency = 8;
  int timeoutSeconds = 1800;  // per phase
  std::string label;
};

void usage() {
  std::cout <<
      "fanout_bench [--installations N] [--budget R] [--latency-ms MS] [--jitter-ms MS]\n"
      "             [--workers W] [--client-rps X] [--no-throttle] [--no-warm] [--peer]\n"
      "             [--peer-concurrency K] [--timeout-s S] [--label TEXT] [--seeded]\n"
      "Defaults: 1000 installations, budgets 30/s, latency 40 ms + [0,80] ms (80 ± 40), workers\n"
      "scaled to the budget, appkeeper paced at 0.97 x budget. APPKEEPER_KEEP_TMP=1 keeps the\n"
      "run's folder (logs, database). --seeded: the emulator seeds N teams itself (a scenario\n"
      "file of 100,000 teams loads too slowly) and the fan-out is its \"Contoso Tasks\", ~80%\n"
      "of the teams behind; cold phase only.\n";
}

Args parseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(k + " needs a value");
      return argv[++i];
    };
    if (k == "--installations") a.installations = std::stoi(value());
    else if (k == "--budget") a.budget = std::stoi(value());
    else if (k == "--latency-ms") a.latencyMs = std::stoi(value());
    else if (k == "--jitter-ms") a.jitterMs = std::stoi(value());
    else if (k == "--workers") a.workers = std::stoi(value());
    else if (k == "--client-rps") a.clientRps = std::stod(value());
    else if (k == "--no-throttle") a.throttle = false;
    else if (k == "--no-warm") a.warm = false;
    else if (k == "--peer") a.peer = true;
    else if (k == "--seeded") a.seeded = true;
    else if (k == "--peer-concurrency") a.peerConcurrency = std::stoi(value());
    else if (k == "--timeout-s") a.timeoutSeconds = std::stoi(value());
    else if (k == "--label") a.label = value();
    else if (k == "--help" || k == "-h") {
      usage();
      std::exit(0);
    } else {
      throw std::runtime_error("unknown option " + k + " (see --help)");
    }
  }
  if (a.workers == 0) {
    // A job holds its worker thread for a GET and the POST (the team's window lets them go back
    // to back), plus the store: enough workers to keep the POST budget busy (Little's law:
    // in flight = rate x time per job), with a margin for waits on the budgets' slots.
    const double perJob = 2 * (a.latencyMs + a.jitterMs / 2.0) / 1000.0 + 0.05;
    a.workers = std::clamp(static_cast<int>(std::ceil(a.budget * perJob * 1.5)), 8, 256);
  }
  if (a.seeded) {
    a.warm = false;
    a.peer = false;
  }
  if (a.clientRps <= 0) a.clientRps = a.throttle ? 0.97 * a.budget : 100000;
  return a;
}

// N teams, each with "Bench App" at 1.0.0 while 1.1.0 is the latest published.
std::string scenario(int n) {
  nlohmann::json teams = nlohmann::json::array();
  nlohmann::json installs = nlohmann::json::array();
  for (int i = 1; i <= n; ++i) {
    const std::string name = "Bench Team " + std::to_string(i);
    teams.push_back({{"displayName", name}});
    installs.push_back({{"teamId", name}, {"teamsAppId", "Bench App"}, {"version", "1.0.0"}});
  }
  nlohmann::json s = {
      {"description", "fan-out benchmark"},
      {"teams", teams},
      {"apps",
       {{{"displayName", "Bench App"},
         {"externalId", "bench-app-manifest"},
         {"distributionMethod", "organization"},
         {"versions", {{{"version", "1.0.0"}}, {{"version", "1.1.0"}}}}}}},
      {"installations", installs}};
  return s.dump();
}

struct Phase {
  std::string name;
  double wallSeconds = 0;
  long long upgrades = 0;
  long long noop = 0;
  long long throttled = 0;
  long long left = 0;
  long long gets = 0;
  long long maxPost = 0;
  double load = 0;
  std::string note;
};

long long countGets(const nlohmann::json& stats) {
  long long n = 0;
  for (const auto& [route, byStatus] : stats.at("requests").items()) {
    if (route.rfind("GET ", 0) != 0) continue;
    for (const auto& [status, count] : byStatus.items()) {
      if (status == "200") n += count.get<long long>();
    }
  }
  return n;
}

long long leftBehind(EmulatorProcess& emulator, const std::string& appId,
                     const std::string& version) {
  long long left = 0;
  for (const auto& i : emulator.installations(appId)) {
    if (i.value("version", "") != version) ++left;
  }
  return left;
}

void resetStats(EmulatorProcess& emulator) {
  if (emulator.control("DELETE", "/_emulator/stats").status / 100 != 2) {
    throw std::runtime_error("DELETE /_emulator/stats failed");
  }
}

// Polls the emulator until `expected` upgrades were counted (or the deadline); fills `phase`.
void waitForUpgrades(EmulatorProcess& emulator, long long expected, Clock::time_point started,
                     int timeoutSeconds, Phase& phase) {
  const auto deadline = started + std::chrono::seconds(timeoutSeconds);
  nlohmann::json stats;
  while (true) {
    stats = emulator.stats();
    if (stats.value("upgrades", 0LL) >= expected || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a real process
  }
  phase.wallSeconds = std::chrono::duration<double>(Clock::now() - started).count();
  phase.load = bench::loadAverage1();
  phase.upgrades = stats.value("upgrades", 0LL);
  phase.noop = stats.value("noopUpgrades", 0LL);
  phase.throttled = stats.value("throttled", 0LL);
  phase.gets = countGets(stats);
  phase.maxPost = stats["maxPerSecond"].value("post", 0LL);
  if (phase.upgrades < expected) phase.note = "timed out";
}

void publish(EmulatorProcess& emulator, const std::string& appId, const std::string& version) {
  emulator.publish(appId, version);
}

std::string runCommand(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + cmd);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

Phase runPeer(EmulatorProcess& emulator, const TempDir& dir, const std::string& appId,
              const std::string& version, int concurrency) {
  publish(emulator, appId, version);
  resetStats(emulator);
  const std::string peerDir = APPKEEPER_BENCH_PEER_DIR;
  if (!std::filesystem::exists(peerDir + "/node_modules/@microsoft/microsoft-graph-client")) {
    runCommand("cd '" + peerDir + "' && npm ci --silent --no-audit --no-fund --prefer-offline 2>&1");
  }
  const std::string cmd = "cd '" + peerDir + "' && NODE_EXTRA_CA_CERTS='" + emulator.caFile() +
                          "' node peer.mjs --base '" + emulator.baseUrl() + "' --tenant " +
                          kTenant + " --client-id " + kClientId + " --secret-file '" +
                          dir.file("client_secret") + "' --app " + appId + " --concurrency " +
                          std::to_string(concurrency) + " 2>>'" + dir.file("peer.log") + "'";
  const auto started = Clock::now();
  const std::string out = runCommand(cmd);
  Phase phase;
  phase.name = concurrency == 1 ? "peer: Graph JS SDK, sequential"
                                : "peer: Graph JS SDK, " + std::to_string(concurrency) + " at once";
  phase.wallSeconds = std::chrono::duration<double>(Clock::now() - started).count();
  phase.load = bench::loadAverage1();
  auto stats = emulator.stats();
  phase.upgrades = stats.value("upgrades", 0LL);
  phase.noop = stats.value("noopUpgrades", 0LL);
  phase.throttled = stats.value("throttled", 0LL);
  phase.gets = countGets(stats);
  phase.maxPost = stats["maxPerSecond"].value("post", 0LL);
  phase.left = leftBehind(emulator, appId, version);
  try {
    auto line = out.substr(out.rfind('{'));
    auto j = nlohmann::json::parse(line);
    phase.wallSeconds = j.value("wallMs", 0.0) / 1000.0;  // the script's own: no node start-up
    phase.note = std::to_string(j.value("failed", 0)) + " failed after the SDK's retries";
    if (!j.value("firstError", std::string()).empty()) {
      phase.note += " (first: " + j.value("firstError", std::string()) + ")";
    }
  } catch (const std::exception&) {
    phase.note = "peer.mjs printed no result (see peer.log): " + out.substr(0, 200);
  }
  return phase;
}

std::string fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    ::setenv("APPKEEPER_BUILD_DIR", APPKEEPER_BENCH_BUILD_DIR, 0);
    ::signal(SIGPIPE, SIG_IGN);
    const Args a = parseArgs(argc, argv);
    TempDir dir;
    std::vector<std::string> emulatorArgs{"--seed", "7", "--threads", "512"};
    if (a.seeded) {
      emulatorArgs.insert(emulatorArgs.end(), {"--teams", std::to_string(a.installations)});
    } else {
      std::ofstream(dir.file("scenario.json")) << scenario(a.installations);
      emulatorArgs.insert(emulatorArgs.end(), {"--scenario", dir.file("scenario.json")});
    }
    emulatorArgs.insert(emulatorArgs.end(), {
        "--latency-ms", std::to_string(a.latencyMs), "--latency-jitter-ms",
        std::to_string(a.jitterMs), "--get-rps", std::to_string(a.budget), "--post-rps",
        std::to_string(a.budget), "--team-rps", "4"});
    if (!a.throttle) emulatorArgs.push_back("--no-throttle");
    EmulatorProcess emulator(dir, emulatorArgs);
    const std::string appId = emulator.appIdByName(a.seeded ? "Contoso Tasks" : "Bench App");
    std::string target = "1.1.0";
    long long expected = a.installations;
    if (a.seeded) {
      for (const auto& app : emulator.apps()) {
        if (app.value("id", "") == appId) target = app.value("latestVersion", "");
      }
      expected = leftBehind(emulator, appId, target);
    }

    DaemonOptions options;
    options.workers = a.workers;
    options.requestsPerSecond = a.clientRps;
    options.extraIni = "[apps]\nwatch = " + appId + "\n";
    DaemonProcess daemon(dir, emulator, options);

    const std::string startLine = bench::machineLine();
    std::vector<Phase> phases;

    // cold: the first reconciliation finds every installation and queues its upgrade.
    resetStats(emulator);
    auto started = Clock::now();
    daemon.start();
    const pid_t pid = bench::findProcess(daemon.configPath());
    Phase cold;
    cold.name = "appkeeper cold: first scan + upgrades";
    waitForUpgrades(emulator, expected, started, a.timeoutSeconds, cold);
    cold.left = leftBehind(emulator, appId, target);
    phases.push_back(cold);
    const bench::ProcessCost afterCold = bench::processCost(pid);

    std::optional<bench::ProcessCost> afterWarm;
    if (a.warm) {
      // Let the daemon settle (the planner confirms the upgrades the notifications report).
      std::this_thread::sleep_for(std::chrono::seconds(2));
      const bench::ProcessCost beforeWarm = bench::processCost(pid);
      publish(emulator, appId, "1.2.0");
      resetStats(emulator);
      started = Clock::now();
      if (int s = daemon.sendPublishEvent(appId, "1.2.0", "bench-warm-1"); s / 100 != 2) {
        throw std::runtime_error("the publish event was answered " + std::to_string(s));
      }
      Phase warm;
      warm.name = "appkeeper warm: publish event, planned from the inventory";
      waitForUpgrades(emulator, a.installations, started, a.timeoutSeconds, warm);
      warm.left = leftBehind(emulator, appId, "1.2.0");
      phases.push_back(warm);
      afterWarm = bench::processCost(pid);
      afterWarm->cpuSeconds -= beforeWarm.cpuSeconds;
    }
    const bench::ProcessCost final = bench::processCost(pid);
    daemon.terminate();

    if (a.peer) {
      phases.push_back(runPeer(emulator, dir, appId, "1.3.0", 1));
      phases.push_back(runPeer(emulator, dir, appId, "1.4.0", a.peerConcurrency));
    }

    const double minimum = static_cast<double>(expected) / a.budget;
    // Per job actually done (a run that timed out still tells the cost per job).
    const double coldJobs = static_cast<double>(std::max<long long>(1, phases[0].upgrades));
    std::cout << "\n### fan-out " << (a.label.empty() ? "" : a.label + ": ") << a.installations
              << " installations, budgets " << a.budget << "/s GET and POST, 4/s per team, latency "
              << a.latencyMs << "+[0," << a.jitterMs << "] ms" << (a.throttle ? "" : ", no throttle")
              << "\n\n"
              << "Machine at start: " << startLine << ". appkeeper: " << a.workers
              << " workers, paced at " << fmt(a.clientRps, 1) << " requests/s per budget.\n\n"
              << "| phase | wall s | upgrades/s ÷ POST budget | wall ÷ minimum (" << fmt(minimum, 1)
              << " s) | 429s | left behind | GETs per upgrade | peak POST/s | no-op upgrades | "
                 "load 1m | note |\n"
              << "|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& p : phases) {
      const double rate = p.wallSeconds > 0 ? static_cast<double>(p.upgrades) / p.wallSeconds : 0;
      std::cout << "| " << p.name << " | " << fmt(p.wallSeconds, 1) << " | "
                << fmt(rate / a.budget, 2) << " | " << fmt(p.wallSeconds / minimum, 2) << " | "
                << p.throttled << " | " << p.left << " | "
                << fmt(p.upgrades > 0 ? static_cast<double>(p.gets) / static_cast<double>(p.upgrades) : 0, 2) << " | "
                << p.maxPost << " | " << p.noop << " | " << fmt(p.load, 2) << " | " << p.note
                << " |\n";
    }
    std::cout << "\nappkeeper cost (pid " << pid << "): peak RSS " << fmt(final.peakRssMb, 1)
              << " MB; CPU " << fmt(afterCold.cpuSeconds, 2) << " s for the cold phase ("
              << fmt(afterCold.cpuSeconds * 1000.0 / coldJobs, 2) << " s per 1,000 jobs)";
    if (afterWarm) {
      std::cout << ", " << fmt(afterWarm->cpuSeconds, 2) << " s for the warm phase ("
                << fmt(afterWarm->cpuSeconds * 1000.0 / a.installations, 2)
                << " s per 1,000 jobs)";
    }
    std::cout << ".\nCOST " << a.installations << " " << fmt(final.peakRssMb, 1) << " "
              << fmt(afterCold.cpuSeconds * 1000.0 / coldJobs, 3) << " "
              << (afterWarm ? fmt(afterWarm->cpuSeconds * 1000.0 / a.installations, 3) : "-")
              << " " << fmt(phases[0].wallSeconds, 1) << "\n"
              << "Machine at end: " << bench::machineLine() << "\n";
    bool ok = true;
    for (const auto& p : phases) {
      if (p.name.rfind("appkeeper", 0) == 0 && p.left != 0) ok = false;
    }
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "fanout_bench: " << e.what() << "\n";
    return 2;
  }
}
