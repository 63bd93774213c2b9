// SIGHUP end to end (issue 6): a running `appkeeper serve` reads its config file again, applies
// the log level and the watch list at once, names what needs a restart, and keeps running on a
// file that no longer parses.
#include <catch2/catch.hpp>

#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

bool subscribedTo(EmulatorProcess& emu, const DaemonProcess& daemon, const std::string& appId) {
  auto r = emu.control("GET", "/_emulator/subscriptions");
  if (r.status != 200) return false;
  const json j = r.json();
  for (const auto& s : j.is_object() ? j.at("value") : j) {
    if (s.value("notificationUrl", "") == daemon.url() + "/graph/notifications" &&
        s.value("resource", "").find(appId) != std::string::npos) {
      return true;
    }
  }
  return false;
}

size_t auditCount(const DaemonProcess& daemon, const std::string& event,
                  const std::string& outcome) {
  size_t n = 0;
  for (const auto& r : daemon.audit()) {
    n += r.value("event", "") == event && r.value("outcome", "") == outcome;
  }
  return n;
}

bool logHas(const DaemonProcess& daemon, const std::string& text) {
  return daemon.stderrLog().find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("SIGHUP applies a new log level and watch list and logs each change",
          "[integration][reload]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "24", "--seed", "31"});
  const std::string tasks = emu.appIdByName("Contoso Tasks");
  const std::string polls = emu.appIdByName("Contoso Polls");
  const size_t pollsInstalled = emu.installations(polls).size();
  REQUIRE(pollsInstalled > 0);
  emu.publish(polls, "2.0.0");
  DaemonOptions options;
  options.extraIni = "[apps]\nwatch = " + tasks + "\n";
  DaemonProcess daemon(dir, emu, options);
  daemon.start();

  // Watching Tasks only: its subscription and first reconciliation; Polls is left alone.
  REQUIRE(eventually([&] { return subscribedTo(emu, daemon, tasks); }, 20s));
  REQUIRE(eventually([&] { return auditCount(daemon, "reconcile", "reconciled") >= 1; }, 30s));
  REQUIRE(eventually([&] { return installationsBehind(emu, tasks, "2.0.0") == 0; }, 30s));
  CHECK(installationsBehind(emu, polls, "2.0.0") == pollsInstalled);
  CHECK_FALSE(subscribedTo(emu, daemon, polls));
  CHECK_FALSE(logHas(daemon, " debug "));

  daemon.rewriteConfig("[apps]\nwatch = " + tasks + ", " + polls +
                       "\n[log]\nlevel = debug\n[reconcile]\ninterval_seconds = 7200\n");
  daemon.reload();
  REQUIRE(eventually([&] { return logHas(daemon, "reloaded: [log] level info -> debug"); }, 10s));
  INFO(daemon.stderrLog());
  CHECK(logHas(daemon, "reloaded: [apps] watch " + tasks + " -> " + tasks + ", " + polls));
  CHECK(logHas(daemon, "[reconcile] interval_seconds changed in " + daemon.configPath() +
                           " but needs a restart"));
  // The newly watched app: subscribed, reconciled, and its installations upgraded; the
  // workers' debug lines now show.
  REQUIRE(eventually([&] { return subscribedTo(emu, daemon, polls); }, 20s));
  REQUIRE(eventually([&] { return installationsBehind(emu, polls, "2.0.0") == 0; }, 60s));
  CHECK(auditCount(daemon, "reconcile", "reconciled") >= 2);
  CHECK(logHas(daemon, " debug [worker-"));
  CHECK(auditCount(daemon, "config", "reloaded") == 1);

  // A file that no longer parses: logged, and the daemon keeps serving with what it has.
  daemon.rewriteConfig("[log]\nlevel = loud\n");
  daemon.reload();
  REQUIRE(eventually(
      [&] { return logHas(daemon, "reload failed, keeping the running configuration"); }, 10s));
  CHECK(logHas(daemon, "loud"));
  CHECK(httpCall("GET", daemon.url() + "/readyz").status == 200);
  CHECK(auditCount(daemon, "config", "reloaded") == 1);
  CHECK(daemon.terminate() == 0);
}
