// Delegated consent end to end: `appkeeper serve` and `appkeeper login` (device code) against the
// emulator, which refuses app-only upgrades of apps that need RSC (Decision 3).

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAdmin = "admin@contoso.example";

nlohmann::json rscPermission(const std::string& value) {
  return nlohmann::json::array({{{"permissionValue", value}, {"permissionType", "application"}}});
}

DaemonOptions delegatedOptions(const TempDir& dir, const EmulatorProcess& emu) {
  DaemonOptions o;
  o.extraEnv = {
      {"APPKEEPER_DELEGATED_KEY_FILE", writeDelegatedKey(dir)},
      {"APPKEEPER_DELEGATED_DEVICE_CODE_URL", emu.baseUrl() + "/{tenant}/oauth2/v2.0/devicecode"},
      // openid: the id_token names who signed in (status shows it).
      {"APPKEEPER_DELEGATED_SCOPE",
       "https://graph.microsoft.com/TeamsAppInstallation.ReadWriteAndConsentForTeam "
       "offline_access openid profile"}};
  return o;
}

// `appkeeper login` as its own process, with the daemon's config and environment.
class LoginProcess {
 public:
  LoginProcess(const TempDir& dir, const DaemonProcess& daemon, const DaemonOptions& options)
      : process_(buildDir() + "/daemon/appkeeper",
                 std::vector<std::string>{"login", "--config", daemon.configPath()},
                 dir.file("login.log"), options.extraEnv),
        log_(dir.file("login.log")) {}

  // Reads the prompt up to the "user code: X" line.
  std::string userCode() {
    for (int lines = 0; lines < 10; ++lines) {
      auto line = process_.readLine(20s);
      if (!line) break;
      prompt_ += *line + "\n";
      const std::string prefix = "user code: ";
      if (line->rfind(prefix, 0) == 0) return line->substr(prefix.size());
    }
    FAIL("no user code from appkeeper login:\n" << prompt_ << readFile(log_));
    return {};
  }
  std::optional<int> wait() { return process_.wait(30s); }
  std::string rest() {
    std::string out;
    for (int lines = 0; lines < 10; ++lines) {
      auto line = process_.readLine(10s);  // the process has exited: EOF ends this early
      if (!line) break;
      out += *line + "\n";
    }
    return out;
  }
  const std::string& prompt() const { return prompt_; }
  std::string stderrText() const { return readFile(log_); }

 private:
  ChildProcess process_;
  std::string log_;
  std::string prompt_;
};

std::set<std::string> installationsWith(const DaemonProcess& daemon, const std::string& app,
                                        const std::string& outcome, const std::string& version) {
  std::set<std::string> out;
  for (const auto& r : daemon.audit({"--app", app})) {
    if (r.value("event", "") == "upgrade" && r.value("outcome", "") == outcome &&
        r.value("toVersion", "") == version) {
      out.insert(r.value("installationId", ""));
    }
  }
  return out;
}

size_t countEvents(const DaemonProcess& daemon, const std::string& event,
                   const std::string& outcome) {
  size_t n = 0;
  for (const auto& r : daemon.audit({"--outcome", outcome})) n += r.value("event", "") == event;
  return n;
}

int64_t blockedJobs(const DaemonProcess& daemon) {
  std::istringstream out(daemon.runCli({"jobs", "--db", daemon.dbPath(), "--format", "jsonl"}));
  std::string line;
  while (std::getline(out, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.value("state", "") == "blocked") return j.at("count").get<int64_t>();
  }
  return 0;
}

}  // namespace

TEST_CASE(
    "RSC upgrades pause without a sign-in, resume after appkeeper login, pause again "
    "when the sign-in is revoked, while other apps keep upgrading",
    "[integration][delegated]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "30", "--seed", "9", "--device-code-interval", "1"});
  const std::string insights = emu.appIdByName("Contoso Insights");
  const std::string tasks = emu.appIdByName("Contoso Tasks");
  const size_t total = emu.installations(insights).size();
  REQUIRE(total > 0);
  const DaemonOptions options = delegatedOptions(dir, emu);
  DaemonProcess daemon(dir, emu, options);
  emu.publish(insights, "9.0.0", rscPermission("ChannelMessage.Read.Group"));
  emu.publish(tasks, "9.0.0");
  daemon.start();
  REQUIRE(daemon.sendPublishEvent(insights, "9.0.0", "msg_ins_9") == 202);
  REQUIRE(daemon.sendPublishEvent(tasks, "9.0.0", "msg_tasks_9") == 202);

  // 1. No sign-in yet: every Insights job is blocked, audited; Tasks upgrades regardless.
  REQUIRE(eventually([&] { return installationsBehind(emu, tasks, "9.0.0") == 0; }, 60s));
  REQUIRE(eventually(
      [&] {
        return installationsWith(daemon, insights, "needs-delegated-consent", "9.0.0").size() ==
               total;
      },
      60s));
  CHECK(installationsBehind(emu, insights, "9.0.0") == total);
  for (const auto& r : daemon.audit({"--app", insights, "--outcome", "needs-delegated-consent"})) {
    CHECK(r.at("detail").get<std::string>().find("appkeeper login") != std::string::npos);
  }
  CHECK(daemon.stderrLog().find("`appkeeper login`") != std::string::npos);
  std::string status = daemon.runCli({"status", "--config", daemon.configPath()});
  CHECK(status.find("Delegated sign-in: none") != std::string::npos);

  // 2. appkeeper login: the admin approves the code; blocked jobs are released and upgraded.
  // (The startup reconciliation may have blocked Contoso Notes jobs too: delegated-only RSC.)
  const int64_t blocked = blockedJobs(daemon);
  REQUIRE(blocked >= static_cast<int64_t>(total));
  LoginProcess login(dir, daemon, options);
  const std::string code = login.userCode();
  CHECK(login.prompt().find(code) != std::string::npos);
  auto approved =
      emu.control("POST", "/_emulator/devicecodes/" + code + "/approve", {{"user", kAdmin}});
  REQUIRE(approved.status == 200);
  const auto exitCode = login.wait();
  INFO(login.stderrText());
  REQUIRE(exitCode == 0);
  const std::string done = login.rest();
  INFO("login printed: " << done);
  // The startup reconciliation may block more jobs between the count above and the sign-in
  // (a slow sanitizer build shows it), so the login releases at least `blocked`.
  const std::string signedIn = "signed in as " + std::string(kAdmin) + "; ";
  const auto at = done.find(signedIn);
  REQUIRE(at != std::string::npos);
  const std::string afterSignIn = done.substr(at + signedIn.size());
  CHECK(afterSignIn.find(" blocked upgrades released") != std::string::npos);
  CHECK(std::strtoll(afterSignIn.c_str(), nullptr, 10) >= blocked);
  REQUIRE(eventually([&] { return installationsBehind(emu, insights, "9.0.0") == 0; }, 60s));
  REQUIRE(eventually(
      [&] { return installationsWith(daemon, insights, "upgraded", "9.0.0").size() == total; },
      20s));
  for (const auto& inst : emu.installations(insights)) CHECK(inst.at("upgrades") == 1);
  CHECK(countEvents(daemon, "login", "signed-in") == 1);
  status = daemon.runCli({"status", "--config", daemon.configPath()});
  CHECK(status.find("Delegated sign-in: signed in as " + std::string(kAdmin)) != std::string::npos);

  // 3. The refresh token is revoked (and access tokens expire): RSC jobs pause again, audited,
  // status asks for a login, and a plain app still upgrades.
  REQUIRE(emu.control("POST", "/_emulator/refresh-tokens/revoke").status / 100 == 2);
  REQUIRE(emu.control("POST", "/_emulator/tokens/expire").status / 100 == 2);
  emu.publish(insights, "9.1.0", rscPermission("ChannelMessage.Read.Group"));
  emu.publish(tasks, "9.1.0");
  REQUIRE(daemon.sendPublishEvent(insights, "9.1.0", "msg_ins_91") == 202);
  REQUIRE(daemon.sendPublishEvent(tasks, "9.1.0", "msg_tasks_91") == 202);
  REQUIRE(eventually([&] { return installationsBehind(emu, tasks, "9.1.0") == 0; }, 60s));
  REQUIRE(eventually(
      [&] {
        return installationsWith(daemon, insights, "needs-delegated-consent", "9.1.0").size() ==
               total;
      },
      60s));
  CHECK(installationsBehind(emu, insights, "9.1.0") == total);
  CHECK(countEvents(daemon, "login", "login-required") >= 1);
  status = daemon.runCli({"status", "--config", daemon.configPath()});
  CHECK(status.find("Delegated sign-in: login needed (invalid_grant") != std::string::npos);
  CHECK(daemon.terminate() == 0);
}

TEST_CASE("a declined sign-in makes appkeeper login exit 1 with a clear message",
          "[integration][delegated]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "2", "--seed", "3", "--device-code-interval", "1"});
  const DaemonOptions options = delegatedOptions(dir, emu);
  DaemonProcess daemon(dir, emu, options);
  LoginProcess login(dir, daemon, options);
  const std::string code = login.userCode();
  REQUIRE(emu.control("POST", "/_emulator/devicecodes/" + code + "/decline").status == 200);
  CHECK(login.wait() == 1);
  CHECK(login.stderrText().find("appkeeper: the sign-in was declined") != std::string::npos);
  int statusCode = -1;
  const std::string status =
      daemon.runCli({"status", "--config", daemon.configPath()}, &statusCode);
  CHECK(statusCode == 0);
  CHECK(status.find("Delegated sign-in: none") != std::string::npos);
}
