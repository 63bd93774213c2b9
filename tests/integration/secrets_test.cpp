// Issue 5, secrets: after a full run of the real daemon (emulator over TLS, a rollout with
// upgrades, a delegated sign-in, expired tokens, a SIGHUP reload, rejected notifications that
// carry the real clientState, [log] level debug then trace), every secret the run used is
// searched for - as is, base64-encoded and form-encoded - in everything appkeeper wrote or
// answered: the daemon's and the CLI's stderr, `appkeeper login`'s output, every audit record
// (`appkeeper audit export` and the database's audit table), every body the daemon answered,
// `--help` of every command, and the output of status, jobs and plan. None may be there.
//
// The access, refresh and id tokens are what the identity platform issued to appkeeper: the
// token and device-code URLs point at a recording TLS relay in this test, which forwards to the
// emulator and keeps every credential in the answers. The relay's CA and the emulator's are both
// in [graph] ca_file, so every hop is HTTPS with verification.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>
#include <SQLiteCpp/SQLiteCpp.h>
#include <openssl/evp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "emulator/self_signed_cert.h"
#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper;
using namespace appkeeper::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAdmin = "admin@contoso.example";

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// application/x-www-form-urlencoded, as a token request body carries a secret.
std::string formEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string firstLine(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

// The secrets to look for and where they were looked for.
class SecretScan {
 public:
  // `name` says what it is (never the value: the report must not print secrets either).
  void addSecret(const std::string& name, const std::string& value) {
    if (value.size() < 8) return;  // a short value would match by chance; none of ours is short
    forms_.push_back({name, value});
    forms_.push_back({name + " (base64)", base64(value)});
    const std::string form = formEncode(value);
    if (form != value) forms_.push_back({name + " (form-encoded)", form});
  }
  // Records a leak for each secret form found in `text`.
  void scan(const std::string& where, const std::string& text) {
    bytes_ += text.size();
    ++sources_;
    for (const auto& f : forms_) {
      if (text.find(f.value) != std::string::npos) leaks_.push_back(f.name + " in " + where);
    }
  }
  const std::vector<std::string>& leaks() const { return leaks_; }
  size_t secretForms() const { return forms_.size(); }
  size_t bytes() const { return bytes_; }
  size_t sources() const { return sources_; }

 private:
  struct Form {
    std::string name, value;
  };
  std::vector<Form> forms_;
  std::vector<std::string> leaks_;
  size_t bytes_ = 0, sources_ = 0;
};

// A TLS relay for the identity endpoints: forwards each request to the emulator and records
// every credential in the answers (access_token, refresh_token, id_token, device_code).
class TokenRecorder {
 public:
  TokenRecorder(const TempDir& dir, std::string upstream, std::string upstreamCa)
      : upstream_(std::move(upstream)), upstreamCa_(std::move(upstreamCa)) {
    Poco::Net::initializeSSL();
    auto made = emulator::generateTlsMaterial(
        emulator::loopbackCertificateSpec(std::chrono::system_clock::now()));
    REQUIRE(made.ok());
    caPem_ = made->ca.certificatePem;
    const std::string cert = dir.write("relay.pem", made->server.certificatePem);
    const std::string key = dir.write("relay-key.pem", made->server.privateKeyPem);
    Poco::Net::Context::Ptr context = new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE, key, cert, "", Poco::Net::Context::VERIFY_NONE);
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context);
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    server_->start();
  }
  ~TokenRecorder() { server_->stopAll(true); }
  TokenRecorder(const TokenRecorder&) = delete;
  TokenRecorder& operator=(const TokenRecorder&) = delete;

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& caPem() const { return caPem_; }
  std::map<std::string, std::set<std::string>> recorded() const {
    std::lock_guard lock(mu_);
    return recorded_;
  }

 private:
  class Relay final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Relay(TokenRecorder& owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      std::map<std::string, std::string> headers;
      if (req.has("Content-Type")) headers["Content-Type"] = req.get("Content-Type");
      HttpResult up = httpCall(req.getMethod(), owner_.upstream_ + req.getURI(), body, headers,
                               10s, owner_.upstreamCa_);
      owner_.record(up.body);
      resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(
          up.status == 0 ? 502 : up.status));
      resp.setContentType(up.headers.count("content-type") ? up.headers["content-type"]
                                                           : "application/json");
      resp.sendBuffer(up.body.data(), up.body.size());
    }

   private:
    TokenRecorder& owner_;
  };
  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(TokenRecorder& owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Relay(owner_);
    }

   private:
    TokenRecorder& owner_;
  };

  void record(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object()) return;
    std::lock_guard lock(mu_);
    for (const char* key : {"access_token", "refresh_token", "id_token", "device_code"}) {
      if (j.contains(key) && j[key].is_string()) recorded_[key].insert(j[key].get<std::string>());
    }
  }

  std::string upstream_, upstreamCa_, caPem_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, std::set<std::string>> recorded_;  // guarded by mu_
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

nlohmann::json rscPermission(const std::string& value) {
  return nlohmann::json::array({{{"permissionValue", value}, {"permissionType", "application"}}});
}

std::vector<std::pair<std::string, std::string>> subscriptionsOf(const DaemonProcess& daemon) {
  SQLite::Database db(daemon.dbPath(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db, "SELECT id, client_state FROM subscriptions");
  std::vector<std::pair<std::string, std::string>> out;
  while (q.executeStep()) out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
  return out;
}

// Every column of every audit record, as the database holds it.
std::vector<std::string> auditRows(const DaemonProcess& daemon) {
  SQLite::Database db(daemon.dbPath(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db, "SELECT * FROM audit ORDER BY id");
  std::vector<std::string> rows;
  while (q.executeStep()) {
    std::string row;
    for (int i = 0; i < q.getColumnCount(); ++i) row += q.getColumn(i).getString() + "\x1f";
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

TEST_CASE("the secret scan finds a planted secret in any of its forms", "[integration][secrets]") {
  SecretScan scan;
  scan.addSecret("planted", "s3cr3t-Zq8&x/+=");
  scan.scan("clean text", "nothing to see here: s3cr3t-Zq8 is only a prefix");
  CHECK(scan.leaks().empty());
  scan.scan("plain", "token=s3cr3t-Zq8&x/+= in a log line");
  scan.scan("base64", "Authorization: Basic " + base64("s3cr3t-Zq8&x/+="));
  scan.scan("form", "client_secret=s3cr3t-Zq8%26x%2F%2B%3D&grant_type=x");
  REQUIRE(scan.leaks().size() == 3);
  CHECK(scan.leaks()[0] == "planted in plain");
  CHECK(scan.leaks()[1] == "planted (base64) in base64");
  CHECK(scan.leaks()[2] == "planted (form-encoded) in form");
}

TEST_CASE("no secret of a full run appears in logs, audit records, answers or CLI output",
          "[integration][secrets]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "12", "--seed", "21", "--device-code-interval", "1"});
  TokenRecorder relay(dir, emu.baseUrl(), emu.caFile());
  const std::string caBundle =
      dir.write("ca-bundle.pem", readFile(emu.caFile()) + "\n" + relay.caPem());
  const std::string adminToken = "admin-token-7c2e91f04b3d58a6e1f2";
  dir.write("admin_token", adminToken + "\n");
  const std::string delegatedKeyFile = writeDelegatedKey(dir);

  DaemonOptions options;
  options.extraEnv = {
      {"APPKEEPER_GRAPH_CA_FILE", caBundle},
      {"APPKEEPER_GRAPH_TOKEN_URL", relay.url() + "/{tenant}/oauth2/v2.0/token"},
      {"APPKEEPER_DELEGATED_KEY_FILE", delegatedKeyFile},
      {"APPKEEPER_DELEGATED_DEVICE_CODE_URL", relay.url() + "/{tenant}/oauth2/v2.0/devicecode"},
      {"APPKEEPER_DELEGATED_SCOPE",
       "https://graph.microsoft.com/TeamsAppInstallation.ReadWriteAndConsentForTeam "
       "offline_access openid profile"},
      {"APPKEEPER_ADMIN_TOKEN_FILE", dir.file("admin_token")}};
  options.extraIni = "[log]\nlevel = debug\n";
  DaemonProcess daemon(dir, emu, options);
  const std::string insights = emu.appIdByName("Contoso Insights");
  const std::string tasks = emu.appIdByName("Contoso Tasks");
  emu.publish(insights, "9.0.0", rscPermission("ChannelMessage.Read.Group"));
  emu.publish(tasks, "9.0.0");
  daemon.start();

  std::vector<std::string> answers;  // every body the daemon answered
  auto call = [&](const std::string& method, const std::string& target, const std::string& body,
                  const std::map<std::string, std::string>& headers = {}) {
    HttpResult r = httpCall(method, daemon.url() + target, body, headers);
    answers.push_back(r.body);
    for (const auto& [name, value] : r.headers) answers.push_back(name + ": " + value);
    return r;
  };

  // 1. A rollout: the plain app upgrades with the app token, the RSC app waits for a sign-in.
  REQUIRE(daemon.sendPublishEvent(insights, "9.0.0", "msg_ins_9") == 202);
  REQUIRE(daemon.sendPublishEvent(tasks, "9.0.0", "msg_tasks_9") == 202);
  REQUIRE(eventually([&] { return installationsBehind(emu, tasks, "9.0.0") == 0; }, 60s));

  // 2. The delegated sign-in (device code), approved in the emulator.
  {
    ChildProcess login(buildDir() + "/daemon/appkeeper", {"login", "--config", daemon.configPath()},
                       dir.file("login.log"), options.extraEnv);
    std::string code, printed;
    for (int lines = 0; lines < 10 && code.empty(); ++lines) {
      auto line = login.readLine(20s);
      if (!line) break;
      printed += *line + "\n";
      if (line->rfind("user code: ", 0) == 0) code = line->substr(11);
    }
    INFO(printed << readFile(dir.file("login.log")));
    REQUIRE(!code.empty());
    REQUIRE(emu.control("POST", "/_emulator/devicecodes/" + code + "/approve", {{"user", kAdmin}})
                .status == 200);
    REQUIRE(login.wait(30s) == 0);
    for (int lines = 0; lines < 10; ++lines) {
      auto line = login.readLine(5s);
      if (!line) break;
      printed += *line + "\n";
    }
    dir.write("login.out", printed);
  }
  REQUIRE(eventually([&] { return installationsBehind(emu, insights, "9.0.0") == 0; }, 60s));

  // 3. Every token expires: both flows fetch new ones. Then SIGHUP to the most verbose level.
  REQUIRE(emu.control("POST", "/_emulator/tokens/expire").status / 100 == 2);
  daemon.rewriteConfig("[log]\nlevel = trace\n");
  daemon.reload();
  REQUIRE(eventually(
      [&] {
        return daemon.stderrLog().find("reloaded: [log] level debug -> trace") != std::string::npos;
      },
      10s));
  emu.publish(insights, "9.1.0", rscPermission("ChannelMessage.Read.Group"));
  emu.publish(tasks, "9.1.0");
  REQUIRE(daemon.sendPublishEvent(insights, "9.1.0", "msg_ins_91") == 202);
  REQUIRE(daemon.sendPublishEvent(tasks, "9.1.0", "msg_tasks_91") == 202);
  REQUIRE(eventually([&] { return installationsBehind(emu, tasks, "9.1.0") == 0; }, 60s));
  REQUIRE(eventually([&] { return installationsBehind(emu, insights, "9.1.0") == 0; }, 60s));

  // 4. Rejected requests that carry secrets: the real clientState for another subscription, a
  // wrong clientState, an event signed with the webhook secret but for another tenant, the
  // admin token on a route that does not take it, a near miss of the admin token.
  const auto subscriptions = subscriptionsOf(daemon);
  REQUIRE(!subscriptions.empty());
  for (const auto& [id, clientState] : subscriptions) {
    call("POST", "/graph/notifications",
         nlohmann::json{{"value",
                         {{{"subscriptionId", "not-" + id}, {"clientState", clientState}},
                          {{"subscriptionId", id}, {"clientState", clientState + "x"}},
                          {{"subscriptionId", id}, {"clientState", "wrong"}}}}}
             .dump());
    call("POST", "/graph/lifecycle",
         nlohmann::json{{"value", {{{"subscriptionId", id}, {"clientState", "x" + clientState}}}}}
             .dump());
  }
  const std::string webhookSecret = firstLine(dir.file("catalog_secret"));
  const std::string otherTenant =
      R"({"type":"teamsApp.published","timestamp":"2026-11-29T10:00:00Z","data":{"tenantId":"x",)"
      R"("teamsAppId":")" + tasks + R"(","version":"9.2.0"}})";
  const std::string ts = std::to_string(std::time(nullptr));
  call("POST", "/events/catalog", otherTenant,
       {{"webhook-id", "msg_x"}, {"webhook-timestamp", ts},
        {"webhook-signature", signWebhook(webhookSecret, "msg_x", ts, otherTenant)}});
  call("POST", "/events/catalog", otherTenant,
       {{"webhook-id", "msg_y"}, {"webhook-timestamp", ts},
        {"webhook-signature", "v1," + webhookSecret}});
  call("GET", "/healthz", "", {{"Authorization", "Bearer " + adminToken}});
  call("GET", "/metrics", "", {{"Authorization", "Bearer " + adminToken + "0"}});
  call("GET", "/metrics?token=" + adminToken, "");
  const HttpResult metrics =
      call("GET", "/metrics", "", {{"Authorization", "Bearer " + adminToken}});
  CHECK(metrics.status == 200);
  REQUIRE(daemon.terminate() == 0);

  // Every secret of the run.
  SecretScan scan;
  const auto tokens = relay.recorded();
  CHECK(tokens.count("access_token") == 1);
  CHECK(tokens.count("refresh_token") == 1);
  CHECK(tokens.count("device_code") == 1);
  size_t accessTokens = 0;
  for (const auto& [kind, values] : tokens) {
    for (const auto& v : values) scan.addSecret(kind, v);
    if (kind == "access_token") accessTokens = values.size();
  }
  CHECK(accessTokens >= 3);  // app token, delegated token, and both again after the expiry
  scan.addSecret("client secret", firstLine(dir.file("client_secret")));
  scan.addSecret("webhook secret", webhookSecret);
  scan.addSecret("webhook key (base64)", webhookSecret.substr(6));
  scan.addSecret("admin token", adminToken);
  scan.addSecret("delegated sealing key", firstLine(delegatedKeyFile));
  for (const auto& s : subscriptions) scan.addSecret("clientState", s.second);

  // Everything appkeeper wrote or answered.
  scan.scan("daemon stderr", daemon.stderrLog());
  scan.scan("login stderr", readFile(dir.file("login.log")));
  scan.scan("login stdout", readFile(dir.file("login.out")));
  size_t auditRecords = 0;
  for (const auto& row : auditRows(daemon)) {
    scan.scan("audit table", row);
    ++auditRecords;
  }
  int exitCode = -1;
  daemon.runCli({"audit", "export", "--db", daemon.dbPath(), "--output", dir.file("export.jsonl")},
                &exitCode);
  CHECK(exitCode == 0);
  const std::string exported = readFile(dir.file("export.jsonl"));
  scan.scan("audit export", exported);
  CHECK(static_cast<size_t>(std::count(exported.begin(), exported.end(), '\n')) == auditRecords);
  scan.scan("audit table output",
            daemon.runCli({"audit", "--db", daemon.dbPath(), "--limit", "0"}));
  scan.scan("audit verify", daemon.runCli({"audit", "verify", "--db", daemon.dbPath()}));
  for (const auto& body : answers) scan.scan("an answer of the daemon", body);
  const std::vector<std::vector<std::string>> outputs = {
      {"--help"}, {"--version"}, {"help", "serve"}, {"help", "audit"},
      {"serve", "--help"}, {"status", "--help"}, {"audit", "--help"}, {"jobs", "--help"},
      {"plan", "--help"}, {"login", "--help"},
      {"status", "--config", daemon.configPath()},
      {"status", "--config", daemon.configPath(), "--format", "json"},
      {"jobs", "--config", daemon.configPath()},
      {"jobs", "--db", daemon.dbPath(), "--format", "jsonl"},
      {"jobs", "--db", daemon.dbPath(), "--state", "succeeded", "--format", "jsonl"},
      {"plan", "--app", tasks, "--config", daemon.configPath()},
      {"plan", "--app", insights, "--config", daemon.configPath(), "--format", "json"},
      {"serve", "--config", dir.file("missing.ini")},      // an error path
      {"status", "--config", daemon.configPath(), "--bogus"}};  // a usage error
  for (const auto& args : outputs) {
    std::string what = "appkeeper";
    for (const auto& a : args) what += " " + a;
    scan.scan(what, daemon.runCli(args));
  }
  // The CLI's stderr, all runs above (cli.log gets every command's stderr).
  scan.scan("CLI stderr", readFile(dir.file("cli.log")));

  std::printf("secrets_test: %zu secret forms (%zu access tokens) searched in %zu sources, %zu "
              "bytes, %zu audit records, %zu daemon answers\n",
              scan.secretForms(), accessTokens, scan.sources(), scan.bytes(), auditRecords,
              answers.size());
  CHECK(auditRecords > 20);
  CHECK(scan.bytes() > 100'000);
  // The daemon did log at debug level (and ran at trace after the reload, though nothing logs
  // at trace today): a quiet log would make this test prove little.
  CHECK(daemon.stderrLog().find(" debug [") != std::string::npos);
  INFO("leaks: " << [&] {
    std::string all;
    for (const auto& l : scan.leaks()) all += "\n  " + l;
    return all;
  }());
  CHECK(scan.leaks().empty());
}
