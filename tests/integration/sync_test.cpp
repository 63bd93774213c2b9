// Issue 4 end to end: Graph subscriptions owned by the daemon (real validation handshake,
// renewal, lifecycle events, adoption after a restart), installation notifications, the
// reconciliation that recovers lost notifications, and the catalog poll. Real graph-emulator and
// `appkeeper serve` processes; short lifetimes and intervals instead of waiting.
#include <catch2/catch.hpp>
#include <set>

#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::vector<json> auditWhere(const DaemonProcess& daemon, const std::string& event,
                             const std::string& outcome = "") {
  std::vector<json> out;
  for (auto& r : daemon.audit()) {
    if (r.value("event", "") == event && (outcome.empty() || r.value("outcome", "") == outcome)) {
      out.push_back(r);
    }
  }
  return out;
}

// The emulator's live subscriptions that call this daemon back.
std::vector<json> subscriptionsOf(EmulatorProcess& emu, const DaemonProcess& daemon) {
  auto r = emu.control("GET", "/_emulator/subscriptions");
  if (r.status != 200) throw std::runtime_error("GET /_emulator/subscriptions: " + r.body);
  auto j = r.json();
  std::vector<json> out;
  for (const auto& s : j.is_object() ? j.at("value") : j) {
    if (s.value("notificationUrl", "") == daemon.url() + "/graph/notifications") out.push_back(s);
  }
  return out;
}

std::optional<json> subscriptionFor(EmulatorProcess& emu, const DaemonProcess& daemon,
                                    const std::string& appId) {
  for (auto& s : subscriptionsOf(emu, daemon)) {
    if (s.value("resource", "").find(appId) != std::string::npos) return s;
  }
  return std::nullopt;
}

std::optional<json> installationIn(EmulatorProcess& emu, const std::string& appId,
                                   const std::string& teamId) {
  for (const auto& i : emu.installations(appId)) {
    if (i.at("teamId") == teamId) return i;
  }
  return std::nullopt;
}

// A team where `appId` is not installed.
std::string teamWithout(EmulatorProcess& emu, const std::string& appId) {
  std::set<std::string> with;
  for (const auto& i : emu.installations(appId)) with.insert(i.at("teamId").get<std::string>());
  const json state = emu.control("GET", "/_emulator/state").json();  // kept alive for the loop
  for (const auto& team : state.at("teams")) {
    if (with.count(team.at("id").get<std::string>()) == 0) return team.at("id");
  }
  throw std::runtime_error("every team has app " + appId);
}

// Watches `apps` only, so each test's subscriptions and first-start upgrades stay small.
DaemonOptions watching(const std::vector<std::string>& apps) {
  DaemonOptions o;
  std::string list;
  for (const auto& a : apps) list += (list.empty() ? "" : ",") + a;
  o.extraEnv["APPKEEPER_APPS_WATCH"] = list;
  return o;
}

bool reconciledAtLeast(const DaemonProcess& daemon, size_t n) {
  return auditWhere(daemon, "reconcile", "reconciled").size() >= n;
}

}  // namespace

TEST_CASE("the daemon subscribes to each watched app through the real validation handshake",
          "[integration][sync]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "10", "--seed", "21"});
  const std::string tasks = emu.appIdByName("Contoso Tasks");
  const std::string insights = emu.appIdByName("Contoso Insights");
  DaemonProcess daemon(dir, emu, watching({tasks, insights}));
  daemon.start();

  REQUIRE(eventually([&] { return subscriptionsOf(emu, daemon).size() == 2; }, 20s));
  for (const auto& s : subscriptionsOf(emu, daemon)) {
    INFO(s.dump());
    CHECK(s.at("changeType") == "created,updated,deleted");
    CHECK(s.at("lifecycleNotificationUrl") == daemon.url() + "/graph/lifecycle");
    CHECK(s.at("hasClientState") == true);
  }
  CHECK(subscriptionFor(emu, daemon, tasks).has_value());
  CHECK(subscriptionFor(emu, daemon, insights).has_value());
  // Graph validated both URLs of both subscriptions against the running daemon.
  CHECK(emu.stats().at("subscriptions").at("validations").at("succeeded").get<int>() >= 4);
  CHECK(emu.stats().at("subscriptions").at("validations").at("failed").get<int>() == 0);
  REQUIRE(eventually([&] { return auditWhere(daemon, "subscription", "subscribed").size() == 2; },
                     10s));
  CHECK(daemon.terminate() == 0);
}

TEST_CASE("subscriptions are renewed before they expire", "[integration][sync]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "5", "--seed", "22"});
  const std::string tasks = emu.appIdByName("Contoso Tasks");
  DaemonOptions opts = watching({tasks});
  // 60 s lifetime, renewed once less than 57 s is left: a renewal every ~3 s.
  opts.extraEnv["APPKEEPER_SUBSCRIPTIONS_LIFETIME_SECONDS"] = "60";
  opts.extraEnv["APPKEEPER_SUBSCRIPTIONS_RENEW_BEFORE_SECONDS"] = "57";
  DaemonProcess daemon(dir, emu, opts);
  daemon.start();
  REQUIRE(eventually([&] { return subscriptionFor(emu, daemon, tasks).has_value(); }, 20s));
  const json first = *subscriptionFor(emu, daemon, tasks);

  REQUIRE(
      eventually([&] { return auditWhere(daemon, "subscription", "renewed").size() >= 2; }, 20s));
  const auto renewed = subscriptionFor(emu, daemon, tasks);
  REQUIRE(renewed.has_value());
  CHECK(renewed->at("id") == first.at("id"));  // the same subscription, kept alive
  CHECK(renewed->at("expirationDateTime").get<std::string>() >
        first.at("expirationDateTime").get<std::string>());
  CHECK(auditWhere(daemon, "subscription", "subscribed").size() == 1);
}

TEST_CASE("a restarted daemon adopts its subscriptions instead of creating new ones",
          "[integration][sync]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "5", "--seed", "23"});
  const std::string tasks = emu.appIdByName("Contoso Tasks");
  DaemonOptions opts = watching({tasks});
  // Renewals are the visible sign that the restarted daemon took the subscription over.
  opts.extraEnv["APPKEEPER_SUBSCRIPTIONS_LIFETIME_SECONDS"] = "60";
  opts.extraEnv["APPKEEPER_SUBSCRIPTIONS_RENEW_BEFORE_SECONDS"] = "57";
  DaemonProcess daemon(dir, emu, opts);
  daemon.start();
  // Graph lists the subscription before the daemon has stored and audited it; killing it in
  // between would test a crash during a create instead of an adoption.
  REQUIRE(eventually([&] { return auditWhere(daemon, "subscription", "subscribed").size() == 1; },
                     20s));
  const std::string id = subscriptionFor(emu, daemon, tasks)->at("id");
  daemon.kill();  // no chance to clean up

  const size_t renewalsBefore = auditWhere(daemon, "subscription", "renewed").size();
  daemon.start();
  REQUIRE(eventually(
      [&] { return auditWhere(daemon, "subscription", "renewed").size() >= renewalsBefore + 2; },
      20s));
  auto subs = subscriptionsOf(emu, daemon);
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].at("id") == id);
  CHECK(auditWhere(daemon, "subscription", "subscribed").size() == 1);
  CHECK(auditWhere(daemon, "subscription", "removed").empty());
}

TEST_CASE("lifecycle events are acted on: reauthorize, recreate, reconcile",
          "[integration][sync]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "8", "--seed", "24"});
  const std::string tasks = emu.appIdByName("Contoso Tasks");
  DaemonProcess daemon(dir, emu, watching({tasks}));
  daemon.start();
  REQUIRE(eventually([&] { return subscriptionFor(emu, daemon, tasks).has_value(); }, 20s));
  REQUIRE(eventually([&] { return reconciledAtLeast(daemon, 1); }, 30s));  // the first start
  const std::string id = subscriptionFor(emu, daemon, tasks)->at("id");
  auto trigger = [&](const std::string& event) {
    auto r =
        emu.control("POST", "/_emulator/subscriptions/" + id + "/lifecycle", {{"event", event}});
    REQUIRE(r.status == 202);
  };

  SECTION("reauthorizationRequired renews (and so reauthorizes) the subscription") {
    trigger("reauthorizationRequired");
    REQUIRE(
        eventually([&] { return !auditWhere(daemon, "subscription", "renewed").empty(); }, 15s));
    CHECK(auditWhere(daemon, "graph-lifecycle", "accepted").size() == 1);
    CHECK(subscriptionFor(emu, daemon, tasks)->at("id") == id);
  }
  SECTION("subscriptionRemoved recreates the subscription, then reconciles") {
    trigger("subscriptionRemoved");
    REQUIRE(eventually(
        [&] {
          auto s = subscriptionFor(emu, daemon, tasks);
          return s && s->at("id") != id;
        },
        15s));
    REQUIRE(eventually([&] { return reconciledAtLeast(daemon, 2); }, 30s));
    bool requested = false;
    for (const auto& r : auditWhere(daemon, "reconcile", "requested")) {
      requested =
          requested || r.value("detail", "").find("subscriptionRemoved") != std::string::npos;
    }
    CHECK(requested);
    CHECK(subscriptionsOf(emu, daemon).size() == 1);
  }
  SECTION("missed starts a reconciliation") {
    trigger("missed");
    REQUIRE(eventually([&] { return reconciledAtLeast(daemon, 2); }, 30s));
    bool requested = false;
    for (const auto& r : auditWhere(daemon, "reconcile", "requested")) {
      requested = requested || r.value("detail", "") == "missed";
    }
    CHECK(requested);
    CHECK(subscriptionFor(emu, daemon, tasks)->at("id") == id);
  }
}

TEST_CASE("an installation created at an old version is upgraded and the upgrade confirmed",
          "[integration][sync]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "20", "--seed", "25"});
  const std::string polls = emu.appIdByName("Contoso Polls");
  emu.publish(polls, "2.0.0");
  DaemonProcess daemon(dir, emu, watching({polls}));
  daemon.start();
  REQUIRE(eventually([&] { return subscriptionFor(emu, daemon, polls).has_value(); }, 20s));
  REQUIRE(eventually([&] { return reconciledAtLeast(daemon, 1); }, 30s));
  REQUIRE(eventually([&] { return installationsBehind(emu, polls, "2.0.0") == 0; }, 30s));  // first start

  const std::string team = teamWithout(emu, polls);
  auto installed = emu.control("POST", "/_emulator/installations",
                               {{"teamId", team}, {"teamsAppId", polls}, {"version", "1.0.0"}});
  REQUIRE(installed.status == 201);
  const std::string installationId = installed.json().at("installationId");

  REQUIRE(eventually(
      [&] {
        auto i = installationIn(emu, polls, team);
        return i && i->at("version") == "2.0.0";
      },
      30s));
  CHECK(installationIn(emu, polls, team)->at("upgrades") == 1);
  // The created notification reached the daemon; Graph's updated notification confirmed it.
  bool notified = false;
  for (const auto& r : auditWhere(daemon, "graph-notification", "accepted")) {
    notified = notified || r.value("installationId", "") == installationId;
  }
  CHECK(notified);
  REQUIRE(eventually(
      [&] {
        for (const auto& r : auditWhere(daemon, "upgrade-confirmed", "confirmed")) {
          if (r.value("installationId", "") == installationId) return !r.at("jobId").is_null();
        }
        return false;
      },
      20s));
}

TEST_CASE("a notification the emulator lost is recovered by the reconciliation",
          "[integration][sync]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "20", "--seed", "26"});
  const std::string polls = emu.appIdByName("Contoso Polls");
  emu.publish(polls, "2.0.0");
  DaemonProcess daemon(dir, emu, watching({polls}));
  daemon.start();
  REQUIRE(eventually([&] { return subscriptionFor(emu, daemon, polls).has_value(); }, 20s));
  REQUIRE(eventually([&] { return reconciledAtLeast(daemon, 1); }, 30s));

  REQUIRE(emu.control("PUT", "/_emulator/subscriptions/delivery", {{"dropRate", 1.0}}).status ==
          200);
  const std::string team = teamWithout(emu, polls);
  auto installed = emu.control("POST", "/_emulator/installations",
                               {{"teamId", team}, {"teamsAppId", polls}, {"version", "1.0.0"}});
  REQUIRE(installed.status == 201);
  const std::string installationId = installed.json().at("installationId");

  REQUIRE(eventually(
      [&] {
        auto i = installationIn(emu, polls, team);
        return i && i->at("version") == "2.0.0";
      },
      40s));
  for (const auto& r : auditWhere(daemon, "graph-notification", "accepted")) {
    CHECK(r.value("installationId", "") != installationId);  // it never arrived
  }
  bool missed = false;
  for (const auto& r : auditWhere(daemon, "reconcile", "requested")) {
    missed = missed || r.value("detail", "").find("missed") != std::string::npos;
  }
  CHECK(missed);
  CHECK(reconciledAtLeast(daemon, 2));
}

TEST_CASE("the catalog poll finds a version no publish event announced and upgrades to it",
          "[integration][sync]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "15", "--seed", "27"});
  const std::string tasks = emu.appIdByName("Contoso Tasks");
  DaemonOptions opts = watching({tasks});
  opts.extraEnv["APPKEEPER_RECONCILE_CATALOG_POLL_SECONDS"] = "2";
  DaemonProcess daemon(dir, emu, opts);
  daemon.start();
  // The first poll (the baseline) runs before the first reconciliation starts.
  REQUIRE(eventually([&] { return reconciledAtLeast(daemon, 1); }, 30s));

  emu.publish(tasks, "9.0.0");  // and no publish event is sent
  REQUIRE(eventually([&] { return !auditWhere(daemon, "catalog-poll", "accepted").empty(); }, 20s));
  const auto polled = auditWhere(daemon, "catalog-poll", "accepted");
  REQUIRE(polled.size() == 1);
  CHECK(polled[0].at("toVersion") == "9.0.0");
  REQUIRE(eventually([&] { return installationsBehind(emu, tasks, "9.0.0") == 0; }, 40s));
  CHECK(auditWhere(daemon, "catalog-event", "accepted").empty());
  CHECK(auditWhere(daemon, "reconcile", "reconciled").size() == 1);  // not the reconciliation
}
