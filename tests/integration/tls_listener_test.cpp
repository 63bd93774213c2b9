// Issue 8 end to end: `appkeeper serve` with TLS on its listener ([listen] tls_cert_file /
// tls_key_file) against the HTTPS graph-emulator, which delivers to https notification URLs and
// verifies the daemon's certificate against --notify-ca-file. Graph's validation handshake and
// change notifications arrive over TLS; SIGHUP swaps the certificate for new connections; a bad
// pair or an http:// public_url stops the daemon at start with a clear line.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "emulator/self_signed_cert.h"
#include "handlers/tls_test_client.h"
#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper;
using namespace appkeeper::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct ListenerCertificates {
  emulator::TlsMaterial first, second;  // each with its own CA
  std::string bundle;                   // both CAs: what the emulator and the probes trust
  std::string certFile, keyFile;        // the deployed pair (starts as `first`)
};

emulator::TlsMaterial makeMaterial(const std::string& commonName) {
  auto spec = emulator::loopbackCertificateSpec(std::chrono::system_clock::now());
  spec.commonName = commonName;
  auto material = emulator::generateTlsMaterial(spec);
  REQUIRE(material);
  return *material;
}

// As a renewal tool does it: new files renamed over the deployed ones.
void deploy(const ListenerCertificates& certs, const emulator::PemCertificate& pair) {
  REQUIRE(emulator::writePemFile(certs.certFile + ".new", pair.certificatePem, false));
  REQUIRE(emulator::writePemFile(certs.keyFile + ".new", pair.privateKeyPem, true));
  std::filesystem::rename(certs.certFile + ".new", certs.certFile);
  std::filesystem::rename(certs.keyFile + ".new", certs.keyFile);
}

ListenerCertificates makeCertificates(const TempDir& dir) {
  ListenerCertificates certs;
  certs.first = makeMaterial("appkeeper listener first");
  certs.second = makeMaterial("appkeeper listener second");
  certs.bundle =
      dir.write("listener-ca.pem", certs.first.ca.certificatePem + certs.second.ca.certificatePem);
  certs.certFile = dir.file("listener-cert.pem");
  certs.keyFile = dir.file("listener-key.pem");
  deploy(certs, certs.first.server);
  return certs;
}

DaemonOptions withTls(const ListenerCertificates& certs, const std::string& watchedApp) {
  DaemonOptions o;
  o.extraEnv["APPKEEPER_APPS_WATCH"] = watchedApp;
  o.tlsCertFile = certs.certFile;
  o.tlsKeyFile = certs.keyFile;
  o.listenerCaFile = certs.bundle;
  return o;
}

std::vector<json> auditWhere(const DaemonProcess& daemon, const std::string& event,
                             const std::string& outcome) {
  std::vector<json> out;
  for (auto& r : daemon.audit()) {
    if (r.value("event", "") == event && r.value("outcome", "") == outcome) out.push_back(r);
  }
  return out;
}

bool subscribed(EmulatorProcess& emu, const std::string& notificationUrl) {
  auto r = emu.control("GET", "/_emulator/subscriptions");
  if (r.status != 200) return false;
  const json j = r.json();
  for (const auto& s : j.is_object() ? j.at("value") : j) {
    if (s.value("notificationUrl", "") == notificationUrl) return true;
  }
  return false;
}

std::string teamWithout(EmulatorProcess& emu, const std::string& appId) {
  std::set<std::string> with;
  for (const auto& i : emu.installations(appId)) with.insert(i.at("teamId").get<std::string>());
  const json state = emu.control("GET", "/_emulator/state").json();
  for (const auto& team : state.at("teams")) {
    if (with.count(team.at("id").get<std::string>()) == 0) return team.at("id");
  }
  throw std::runtime_error("every team has app " + appId);
}

// Installs `appId` at 1.0.0 in a team that lacks it; true once Graph's created notification
// reached the daemon (over TLS) and the daemon upgraded that installation to `latest`.
bool notifiedInstallIsUpgraded(EmulatorProcess& emu, const DaemonProcess& daemon,
                               const std::string& appId, const std::string& latest) {
  const std::string team = teamWithout(emu, appId);
  auto installed = emu.control("POST", "/_emulator/installations",
                               {{"teamId", team}, {"teamsAppId", appId}, {"version", "1.0.0"}});
  if (installed.status != 201) throw std::runtime_error("install failed: " + installed.body);
  const std::string id = installed.json().at("installationId");
  const bool upgraded = eventually(
      [&] {
        for (const auto& i : emu.installations(appId)) {
          if (i.at("teamId") == team) return i.at("version") == latest;
        }
        return false;
      },
      40s);
  bool notified = false;
  for (const auto& r : auditWhere(daemon, "graph-notification", "accepted")) {
    notified = notified || r.value("installationId", "") == id;
  }
  INFO("installation " << id << " upgraded: " << upgraded << ", notified: " << notified);
  return upgraded && notified;
}

uint16_t portOf(const DaemonProcess& daemon) {
  return static_cast<uint16_t>(std::stoi(daemon.url().substr(daemon.url().rfind(':') + 1)));
}

// The certificate a new connection to the daemon is served, or "" when the probe failed.
std::string servedName(const DaemonProcess& daemon, const std::string& caFile) {
  try {
    return tls::getOnce("127.0.0.1", portOf(daemon), "/healthz", caFile).commonName;
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace

TEST_CASE(
    "a daemon with a TLS listener passes Graph's validation and upgrades on its notifications",
    "[integration][tls]") {
  TempDir dir;
  const ListenerCertificates certs = makeCertificates(dir);
  EmulatorProcess emu(dir, {"--teams", "20", "--seed", "81", "--notify-ca-file", certs.bundle});
  const std::string polls = emu.appIdByName("Contoso Polls");
  emu.publish(polls, "2.0.0");
  DaemonProcess daemon(dir, emu, withTls(certs, polls));
  daemon.start();  // /readyz answered over TLS, verified against the bundle
  REQUIRE(daemon.url().rfind("https://127.0.0.1:", 0) == 0);

  // The subscription advertises the https URL, and Graph validated it over TLS.
  REQUIRE(eventually([&] { return subscribed(emu, daemon.url() + "/graph/notifications"); }, 20s));
  const json validations = emu.stats().at("subscriptions").at("validations");
  CHECK(validations.at("succeeded").get<int>() >= 2);  // notification and lifecycle URLs
  CHECK(validations.at("failed").get<int>() == 0);
  CHECK(servedName(daemon, certs.bundle) == "appkeeper listener first");
  REQUIRE(eventually([&] { return installationsBehind(emu, polls, "2.0.0") == 0; }, 40s));  // first start

  CHECK(notifiedInstallIsUpgraded(emu, daemon, polls, "2.0.0"));
  CHECK(daemon.terminate() == 0);
}

TEST_CASE("SIGHUP gives new TLS connections the replaced certificate and keeps it on a bad pair",
          "[integration][tls]") {
  TempDir dir;
  const ListenerCertificates certs = makeCertificates(dir);
  EmulatorProcess emu(dir, {"--teams", "20", "--seed", "82", "--notify-ca-file", certs.bundle});
  const std::string polls = emu.appIdByName("Contoso Polls");
  emu.publish(polls, "2.0.0");
  DaemonProcess daemon(dir, emu, withTls(certs, polls));
  daemon.start();
  REQUIRE(servedName(daemon, certs.bundle) == "appkeeper listener first");
  REQUIRE(eventually([&] { return subscribed(emu, daemon.url() + "/graph/notifications"); }, 20s));

  deploy(certs, certs.second.server);
  daemon.reload();
  REQUIRE(eventually(
      [&] { return servedName(daemon, certs.bundle) == "appkeeper listener second"; }, 15s));
  REQUIRE(eventually(
      [&] {
        for (const auto& r : auditWhere(daemon, "config", "reloaded")) {
          if (r.value("detail", "").find("TLS certificate CN=appkeeper listener second") !=
              std::string::npos) {
            return true;
          }
        }
        return false;
      },
      10s));
  // Graph's deliveries (new connections) verify the new certificate too.
  REQUIRE(eventually([&] { return installationsBehind(emu, polls, "2.0.0") == 0; }, 40s));
  CHECK(notifiedInstallIsUpgraded(emu, daemon, polls, "2.0.0"));

  // A key that does not belong to the certificate: logged, and the current pair stays.
  REQUIRE(emulator::writePemFile(certs.keyFile, certs.first.server.privateKeyPem, true));
  daemon.reload();
  REQUIRE(eventually(
      [&] {
        return daemon.stderrLog().find("TLS certificate was not reloaded") != std::string::npos;
      },
      10s));
  CHECK(daemon.stderrLog().find("does not match the certificate") != std::string::npos);
  CHECK(daemon.stderrLog().find("PRIVATE KEY") == std::string::npos);  // no key material
  CHECK(servedName(daemon, certs.bundle) == "appkeeper listener second");
  CHECK(daemon.terminate() == 0);
}

TEST_CASE("a mismatched TLS pair or an http public_url with TLS stops the daemon at start",
          "[integration][tls]") {
  TempDir dir;
  const ListenerCertificates certs = makeCertificates(dir);
  EmulatorProcess emu(dir, {"--teams", "3", "--seed", "83"});
  const std::string polls = emu.appIdByName("Contoso Polls");

  SECTION("a key that does not match the certificate") {
    REQUIRE(emulator::writePemFile(certs.keyFile, certs.second.server.privateKeyPem, true));
    DaemonProcess daemon(dir, emu, withTls(certs, polls));
    std::string failure;
    try {
      daemon.start();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    INFO(failure);
    CHECK(failure.find("does not match the certificate in " + certs.certFile) != std::string::npos);
    CHECK(failure.find(certs.keyFile) != std::string::npos);
  }
  SECTION("public_url written as http://") {
    DaemonOptions options = withTls(certs, polls);
    options.extraEnv["APPKEEPER_LISTEN_PUBLIC_URL"] = "http://127.0.0.1:1";
    DaemonProcess daemon(dir, emu, options);
    int code = 0;
    daemon.runCli({"audit", "--config", daemon.configPath()}, &code);  // loads the config only
    CHECK(code == 2);
    std::string failure;
    try {
      daemon.start();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    INFO(failure);
    CHECK(failure.find("[listen] public_url is http://127.0.0.1:1 but the listener serves TLS") !=
          std::string::npos);
  }
}
