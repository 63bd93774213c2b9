// The real graph-emulator process on 127.0.0.1 port 0, driven over HTTP like a client would.
#include <signal.h>

#include <Poco/Net/SSLException.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "emulator/self_signed_cert.h"
#include "emulator/url_codec.h"
#include "http_test_client.h"
#include "integration/child_process.h"
#include "fakes/temp_dir.h"

using namespace appkeeper::emulator::testing;
using appkeeper::emulator::percentEncode;
using appkeeper::testing::ChildProcess;
using appkeeper::testing::TempDir;
using appkeeper::testing::readFile;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kProcessTenant = "11111111-1111-1111-1111-111111111111";

std::string emulatorPath() {
  const char* dir = std::getenv("APPKEEPER_BUILD_DIR");
  if (!dir)
    throw std::runtime_error("APPKEEPER_BUILD_DIR is not set (run the tests through ctest)");
  return std::string(dir) + "/emulator/graph-emulator";
}


// `caFile` non-empty: the emulator was started with --tls-ca-out caFile, and calls trust it.
struct Emulator {
  Emulator(const TempDir& dir, std::vector<std::string> args, std::string trust = "")
      : log(dir.file("emulator.log")), caFile(std::move(trust)) {
    args.insert(args.begin(), {"--port", "0"});
    process = std::make_unique<ChildProcess>(emulatorPath(), args, log);
    auto line = process->readLine(20s);
    INFO(readFile(log));
    REQUIRE(line);
    const std::string prefix = std::string("listening on ") +
                               (caFile.empty() ? "http" : "https") + "://127.0.0.1:";
    REQUIRE(line->rfind(prefix, 0) == 0);
    base = line->substr(std::string("listening on ").size());
  }
  HttpAnswer get(const std::string& url, const std::map<std::string, std::string>& headers = {}) {
    return call("GET", url, "", headers, 10s, caFile);
  }
  std::string token() {
    auto r =
        call("POST", base + "/" + kProcessTenant + "/oauth2/v2.0/token",
             "grant_type=client_credentials&client_id=22222222-2222-2222-2222-222222222222"
             "&client_secret=emulator-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
             {{"Content-Type", "application/x-www-form-urlencoded"}}, 10s, caFile);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json()["access_token"];
  }
  std::string log;
  std::string caFile;
  std::unique_ptr<ChildProcess> process;
  std::string base;
};

}  // namespace

TEST_CASE("graph-emulator serves a token, paged teams, an upgrade and its control API",
          "[emulator][integration]") {
  TempDir dir;
  Emulator emu(dir, {"--teams", "40", "--seed", "3", "--page-size", "7"});
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + emu.token()}};

  std::set<std::string> teams;
  std::string url = emu.base + "/v1.0/teams?$select=id,displayName";
  for (int page = 0; page < 20 && !url.empty(); ++page) {
    auto r = call("GET", url, "", auth);
    REQUIRE(r.status == 200);
    CHECK(r.headers["content-type"] == "application/json; charset=utf-8");
    CHECK(r.contentLength == static_cast<long long>(r.body.size()));
    auto j = r.json();
    for (const auto& t : j["value"]) teams.insert(t["id"].get<std::string>());
    url = j.value("@odata.nextLink", "");
  }
  CHECK(teams.size() == 40);

  json apps = call("GET", emu.base + "/_emulator/apps").json()["value"];
  std::string tasks, latest;
  for (const auto& a : apps) {
    if (a["displayName"] == "Contoso Tasks") {
      tasks = a["id"];
      latest = a["latestVersion"];
    }
  }
  REQUIRE_FALSE(tasks.empty());
  json installations =
      call("GET", emu.base + "/_emulator/installations?teamsAppId=" + tasks).json();
  json target;
  for (const auto& i : installations) {
    if (i["version"] != latest) target = i;
  }
  REQUIRE(target.is_object());
  const std::string installedApp = emu.base + "/v1.0/teams/" + target["teamId"].get<std::string>() +
                                   "/installedApps/" +
                                   percentEncode(target["installationId"].get<std::string>());
  auto before = call("GET", installedApp + "?$expand=teamsAppDefinition", "", auth);
  REQUIRE(before.status == 200);
  CHECK(before.json()["teamsAppDefinition"]["version"] == target["version"]);
  auto upgraded = call("POST", installedApp + "/upgrade", "{}", auth);
  CHECK(upgraded.status == 204);
  CHECK_FALSE(upgraded.headers["request-id"].empty());

  json after = call("GET", emu.base + "/_emulator/installations?teamsAppId=" + tasks).json();
  for (const auto& i : after) {
    if (i["installationId"] != target["installationId"]) continue;
    CHECK(i["version"] == latest);
    CHECK(i["upgrades"] == 1);
  }
  json stats = call("GET", emu.base + "/_emulator/stats").json();
  CHECK(stats["requests"]["POST /teams/{id}/installedApps/{id}/upgrade"]["204"] == 1);
  CHECK(stats["requests"]["GET /teams"]["200"] == 6);
  CHECK(stats["upgrades"] == 1);

  emu.process->signal(SIGTERM);
  CHECK(emu.process->wait(10s) == 0);
}

TEST_CASE("graph-emulator refuses a bad command line with exit code 2", "[emulator][integration]") {
  TempDir dir;
  ChildProcess bad(emulatorPath(), {"--bogus"}, dir.file("err.log"));
  CHECK(bad.wait(10s) == 2);
  CHECK(readFile(dir.file("err.log")).find("unknown option '--bogus'") != std::string::npos);

  ChildProcess help(emulatorPath(), {"--help"}, dir.file("help.log"));
  auto first = help.readLine(10s);
  REQUIRE(first);
  CHECK(first->rfind("Usage: graph-emulator", 0) == 0);
  CHECK(help.wait(10s) == 0);
}

TEST_CASE("the state file keeps the tenant across a clean restart", "[emulator][integration]") {
  TempDir dir;
  const std::string state = dir.file("state.json");
  std::string appId;
  {
    Emulator emu(dir, {"--teams", "12", "--state", state});
    const json apps = call("GET", emu.base + "/_emulator/apps").json()["value"];
    for (const auto& a : apps) {
      if (a["displayName"] == "Contoso Tasks") appId = a["id"];
    }
    REQUIRE(call("POST", emu.base + "/_emulator/apps/" + appId + "/versions",
                 json{{"version", "9.9.9"}}.dump())
                .status == 201);
    emu.process->signal(SIGTERM);
    REQUIRE(emu.process->wait(10s) == 0);
  }
  REQUIRE(std::filesystem::exists(state));
  // Another seed would make other ids: the state file wins over seeding.
  Emulator again(dir, {"--teams", "12", "--seed", "99", "--state", state});
  bool found = false;
  const json apps = call("GET", again.base + "/_emulator/apps").json()["value"];
  for (const auto& a : apps) {
    if (a["id"] == appId) found = a["latestVersion"] == "9.9.9";
  }
  CHECK(found);
}

TEST_CASE("with --tls the emulator serves HTTPS with a certificate it made and pages over https",
          "[emulator][integration][tls]") {
  TempDir dir;
  const std::string ca = dir.file("emulator-ca.pem");
  Emulator emu(dir, {"--tls", "--tls-ca-out", ca, "--teams", "12", "--page-size", "5"}, ca);
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + emu.token()}};

  auto first = emu.get(emu.base + "/v1.0/teams", auth);
  REQUIRE(first.status == 200);
  const std::string next = first.json().value("@odata.nextLink", "");
  // Absolute links follow the scheme the client used, so HTTPS-only clients can follow them.
  CHECK(next.rfind(emu.base + "/v1.0/teams?", 0) == 0);
  CHECK(first.json()["@odata.context"].get<std::string>().rfind(emu.base + "/v1.0/$metadata#", 0) ==
        0);
  CHECK(emu.get(next, auth).status == 200);

  // The file holds the CA only (what clients trust), not a key.
  const std::string pem = readFile(ca);
  CHECK(pem.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(pem.find("PRIVATE KEY") == std::string::npos);
}

TEST_CASE("a client that does not trust the emulator's CA cannot talk to it over TLS",
          "[emulator][integration][tls]") {
  TempDir dir;
  const std::string ca = dir.file("emulator-ca.pem");
  Emulator emu(dir, {"--tls", "--tls-ca-out", ca, "--teams", "1"}, ca);
  // Another CA with the same names and another key.
  auto other = appkeeper::emulator::generateTlsMaterial(
      appkeeper::emulator::loopbackCertificateSpec(std::chrono::system_clock::now()));
  REQUIRE(other);
  const std::string otherCa = dir.write("other-ca.pem", other->ca.certificatePem);
  CHECK_THROWS_AS(call("GET", emu.base + "/_emulator/stats", "", {}, 10s, otherCa),
                  Poco::Net::SSLException);
  CHECK(emu.get(emu.base + "/_emulator/stats").status == 200);
}

TEST_CASE("the emulator serves the chain from --tls-cert and --tls-key, and --tls-ca-out gets "
          "its last certificate",
          "[emulator][integration][tls]") {
  TempDir dir;
  auto material =
      appkeeper::emulator::generateTlsMaterial(appkeeper::emulator::loopbackCertificateSpec(
          std::chrono::system_clock::now()));
  REQUIRE(material);
  const std::string chain =
      dir.write("chain.pem", material->server.certificatePem + material->ca.certificatePem);
  const std::string key = dir.write("key.pem", material->server.privateKeyPem);
  const std::string ca = dir.file("ca-out.pem");
  Emulator emu(dir, {"--tls-cert", chain, "--tls-key", key, "--tls-ca-out", ca, "--teams", "1"},
               ca);
  CHECK(readFile(ca) == material->ca.certificatePem);
  CHECK(emu.get(emu.base + "/_emulator/stats").status == 200);
}

TEST_CASE("unusable TLS files stop the emulator with exit code 2 and a message naming them",
          "[emulator][integration][tls]") {
  TempDir dir;
  ChildProcess missingKey(emulatorPath(),
                          {"--tls-cert", dir.file("nope.pem"), "--tls-key", dir.file("nope.key")},
                          dir.file("cert.log"));
  CHECK(missingKey.wait(10s) == 2);
  CHECK(readFile(dir.file("cert.log")).find(dir.file("nope.pem")) != std::string::npos);

  ChildProcess badCa(emulatorPath(), {"--notify-ca-file", dir.file("missing-ca.pem")},
                     dir.file("ca.log"));
  CHECK(badCa.wait(10s) == 2);
  CHECK(readFile(dir.file("ca.log")).find("--notify-ca-file") != std::string::npos);
}
