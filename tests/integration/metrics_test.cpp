// Issue 6 end to end: GET /metrics of a real `appkeeper serve` after a real rollout against the
// emulator, checked for consistency with what the emulator saw and by Prometheus' own promtool
// (Debian package `prometheus`); the separate admin listener; the bearer token.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A loopback port free right now, for the admin listener (the daemon reads it from its config).
int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  REQUIRE(bound);
  return ntohs(addr.sin_port);
}

// The value of one series ("name{labels}" exactly as rendered), if present.
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

double valueOf(const std::string& text, const std::string& series) {
  auto v = sample(text, series);
  INFO(text);
  REQUIRE(v.has_value());
  return *v;
}

// `promtool check metrics` on the text (stdin); returns its exit code, `complaints` its output.
// No promtool is a failure: this test exists to prove the format to Prometheus' own linter.
int promtoolCheck(const TempDir& dir, const std::string& text, std::string& complaints) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    FAIL("promtool not found: install the Debian package `prometheus` (scripts/install-deps.sh)");
  }
  const std::string file = dir.file("scrape.prom");
  std::ofstream(file) << text;
  FILE* p = ::popen(("promtool check metrics < '" + file + "' 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) complaints.append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Upgrades the emulator performed (not counting no-op ones) for the app's installations.
double upgradesSeen(EmulatorProcess& emu, const std::string& appId) {
  double n = 0;
  for (const auto& inst : emu.installations(appId)) n += inst.at("upgrades").get<double>();
  return n;
}

std::string scrape(const std::string& baseUrl,
                   const std::map<std::string, std::string>& headers = {}) {
  auto r = httpCall("GET", baseUrl + "/metrics", "", headers);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == kContentType);
  return r.body;
}

}  // namespace

TEST_CASE("after a rollout /metrics agrees with what Graph saw and promtool accepts it",
          "[integration][metrics]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "40", "--seed", "17"});
  const std::string app = emu.appIdByName("Contoso Tasks");
  REQUIRE(emu.installations(app).size() > 5);
  emu.publish(app, "9.0.0");
  DaemonOptions options;
  options.extraEnv["APPKEEPER_APPS_WATCH"] = app;  // only this app's installations move
  DaemonProcess daemon(dir, emu, options);
  daemon.start();
  REQUIRE(daemon.sendPublishEvent(app, "9.0.0", "msg_metrics") == 202);
  REQUIRE(eventually([&] { return installationsBehind(emu, app, "9.0.0") == 0; }, 60s));

  // The emulator's count of upgrades is what the workers' outcomes and Graph's 2xx must match;
  // the counters move right after the store commits, so wait for them rather than race them.
  const double upgraded = upgradesSeen(emu, app);
  REQUIRE(upgraded >= static_cast<double>(emu.installations(app).size()));
  std::string text;
  const bool settled = eventually(
      [&] {
        text = scrape(daemon.url());
        return sample(text, "appkeeper_job_outcomes_total{outcome=\"upgraded\"}") == upgraded &&
               sample(text, "appkeeper_jobs{state=\"succeeded\"}") == upgraded &&
               sample(text, "appkeeper_jobs{state=\"queued\"}") == 0 &&
               sample(text, "appkeeper_reconciliation_last_completed_timestamp_seconds") > 0 &&
               text.find("appkeeper_subscription_expiry_timestamp_seconds{") != std::string::npos;
      },
      60s);
  INFO(text);
  REQUIRE(settled);
  CHECK(
      valueOf(text, "appkeeper_graph_requests_total{operation=\"upgrade\",status_class=\"2xx\"}") ==
      upgraded);
  CHECK(valueOf(text, "appkeeper_graph_request_duration_seconds_count{operation=\"upgrade\"}") >=
        upgraded);
  CHECK(valueOf(text,
                "appkeeper_inbound_requests_total{endpoint=\"/events/catalog\",code=\"202\"}") ==
        1);
  CHECK(valueOf(text, "appkeeper_inbound_request_duration_seconds_count{endpoint=\"/readyz\"}") >=
        1);
  CHECK(valueOf(text, "appkeeper_job_outcomes_total{outcome=\"failed\"}") == 0);
  CHECK(valueOf(text, "appkeeper_oldest_queued_job_age_seconds") == 0);
  CHECK(valueOf(text, "appkeeper_reconciliation_running") == 0);
  CHECK(valueOf(text, "appkeeper_reconciliation_teams_scanned") == 40);
  CHECK(valueOf(text, "appkeeper_store_up") == 1);
  CHECK(text.find("appkeeper_build_info{version=\"") != std::string::npos);
  CHECK(sample(text, "appkeeper_graph_throttled_total").has_value());
  CHECK(sample(text, "appkeeper_rate_limiter_wait_seconds_total").has_value());
  // Every subscription expires in the future (Unix seconds, not milliseconds).
  const double now = static_cast<double>(std::time(nullptr));
  std::istringstream lines(text);
  std::string line;
  int subscriptions = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("appkeeper_subscription_expiry_timestamp_seconds{", 0) != 0) continue;
    ++subscriptions;
    const double at = std::stod(line.substr(line.rfind(' ') + 1));
    CHECK(at > now);
    CHECK(at < now + 4 * 24 * 3600);
  }
  CHECK(subscriptions == 1);
  // A scan for random paths does not grow the label set.
  CHECK(httpCall("GET", daemon.url() + "/wp-login.php").status == 404);
  CHECK(httpCall("GET", daemon.url() + "/etc/passwd").status == 404);
  const std::string after = scrape(daemon.url());
  CHECK(valueOf(after, "appkeeper_inbound_requests_total{endpoint=\"other\",code=\"404\"}") == 2);
  CHECK(after.find("wp-login") == std::string::npos);

  std::string complaints;
  const int code = promtoolCheck(dir, after, complaints);
  INFO(complaints);
  CHECK(code == 0);
  CHECK(complaints.empty());
  CHECK(daemon.terminate() == 0);
}

TEST_CASE("with [admin] address /metrics moves to the admin listener only",
          "[integration][metrics]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "5", "--seed", "3"});
  const int adminPort = freePort();
  DaemonOptions options;
  options.extraEnv["APPKEEPER_ADMIN_ADDRESS"] = "127.0.0.1";
  options.extraEnv["APPKEEPER_ADMIN_PORT"] = std::to_string(adminPort);
  DaemonProcess daemon(dir, emu, options);
  daemon.start();
  const std::string admin = "http://127.0.0.1:" + std::to_string(adminPort);

  CHECK(httpCall("GET", daemon.url() + "/metrics").status == 404);
  CHECK(httpCall("GET", daemon.url() + "/healthz").status == 200);  // probes stay public
  const std::string text = scrape(admin);
  CHECK(valueOf(text, "appkeeper_store_up") == 1);
  CHECK(httpCall("GET", admin + "/healthz").status == 200);
  CHECK(httpCall("GET", admin + "/readyz").status == 200);
  CHECK(httpCall("POST", admin + "/events/catalog", "{}").status == 404);
  CHECK(httpCall("POST", admin + "/metrics", "{}").status == 405);
  // The admin listener's own requests are counted too.
  CHECK(valueOf(scrape(admin),
                "appkeeper_inbound_requests_total{endpoint=\"/metrics\",code=\"200\"}") >= 1);
  CHECK(daemon.terminate() == 0);
  CHECK(httpCall("GET", admin + "/healthz", "", {}, 2s).status == 0);  // closed on shutdown
}

TEST_CASE("with [admin] token_file /metrics needs the bearer token", "[integration][metrics]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "5", "--seed", "3"});
  const std::string token = "metrics-token-6f1d2a9c4e7b8a03";
  std::ofstream(dir.file("admin_token")) << token << "\n";
  DaemonOptions options;
  options.extraEnv["APPKEEPER_ADMIN_TOKEN_FILE"] = dir.file("admin_token");
  DaemonProcess daemon(dir, emu, options);
  daemon.start();

  auto none = httpCall("GET", daemon.url() + "/metrics");
  CHECK(none.status == 401);
  CHECK(none.headers["www-authenticate"] == "Bearer");
  CHECK(nlohmann::json::parse(none.body)["error"]["code"] == "unauthorized");
  CHECK(httpCall("GET", daemon.url() + "/metrics", "", {{"Authorization", "Bearer wrong-" + token}})
            .status == 401);
  CHECK(httpCall("GET", daemon.url() + "/metrics", "", {{"Authorization", "Basic " + token}})
            .status == 401);
  const std::string text = scrape(daemon.url(), {{"Authorization", "Bearer " + token}});
  CHECK(valueOf(text, "appkeeper_inbound_requests_total{endpoint=\"/metrics\",code=\"401\"}") == 3);
  CHECK(httpCall("GET", daemon.url() + "/healthz").status == 200);  // probes need no token
  CHECK(daemon.terminate() == 0);
  CHECK(daemon.stderrLog().find(token) == std::string::npos);
}
