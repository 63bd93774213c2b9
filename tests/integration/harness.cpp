#include "integration/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "emulator/http_test_client.h"

namespace appkeeper::testing {
namespace fs = std::filesystem;

namespace {

constexpr const char* kTenant = "11111111-1111-1111-1111-111111111111";
constexpr const char* kClientId = "22222222-2222-2222-2222-222222222222";
constexpr const char* kClientSecret = "integration-secret-Zq8&x";

std::string base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

std::string base64Decode(const std::string& in) {
  std::string out(3 * in.size() / 4 + 3, '\0');
  int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
  if (len < 0) throw std::runtime_error("bad base64");
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = (in.size() > 1 && in[in.size() - 2] == '=') ? 2 : 1;
  out.resize(static_cast<size_t>(len) - pad);
  return out;
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a free port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
}

}  // namespace

HttpResult httpCall(const std::string& method, const std::string& url, const std::string& body,
                    const std::map<std::string, std::string>& headers,
                    std::chrono::milliseconds timeout, const std::string& caFile) {
  HttpResult result;
  try {
    Poco::URI uri(url);
    std::unique_ptr<Poco::Net::HTTPClientSession> owned;
    if (uri.getScheme() == "https") {
      owned = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                               emulator::testing::clientTls(caFile));
    } else {
      owned = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    Poco::Net::HTTPClientSession& session = *owned;
    session.setTimeout(Poco::Timespan(timeout.count() * 1000));
    Poco::Net::HTTPRequest req(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
    bool hasType = false;
    for (const auto& [k, v] : headers) {
      req.set(k, v);
      if (Poco::icompare(k, "content-type") == 0) hasType = true;
    }
    if (!body.empty() && !hasType) req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    Poco::StreamCopier::copyToString(in, result.body);
    result.status = static_cast<int>(resp.getStatus());
    for (const auto& [k, v] : resp) result.headers[Poco::toLower(k)] = v;
  } catch (const std::exception& e) {
    result.status = 0;
    result.body = e.what();
  }
  return result;
}

std::string writeDelegatedKey(const TempDir& dir) {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string text(48, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), key, sizeof key);
  text.resize(static_cast<size_t>(n));
  const std::string path = dir.file("delegated.key");
  std::ofstream(path) << text << '\n';
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return path;
}

std::string buildDir() {
  const char* d = std::getenv("APPKEEPER_BUILD_DIR");
  if (!d) throw std::runtime_error("APPKEEPER_BUILD_DIR is not set (run the tests through ctest)");
  return d;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling real processes
  }
}

EmulatorProcess::EmulatorProcess(const TempDir& dir, const std::vector<std::string>& args,
                                 EmulatorScheme scheme) {
  std::vector<std::string> all{"--port", "0", "--tenant", kTenant, "--client-id", kClientId,
                               "--client-secret", kClientSecret};
  if (scheme == EmulatorScheme::kHttps) {
    caFile_ = dir.file("emulator-ca.pem");
    all.insert(all.end(), {"--tls", "--tls-ca-out", caFile_});
  }
  all.insert(all.end(), args.begin(), args.end());
  process_ = std::make_unique<ChildProcess>(buildDir() + "/emulator/graph-emulator", all,
                                            dir.file("emulator.log"));
  auto line = process_->readLine(std::chrono::seconds(20));
  const std::string prefix = "listening on ";
  if (!line || line->rfind(prefix, 0) != 0) {
    throw std::runtime_error("graph-emulator did not start: " + line.value_or("(no output)") +
                             "\n" + readFile(dir.file("emulator.log")));
  }
  baseUrl_ = line->substr(prefix.size());
}

HttpResult EmulatorProcess::control(const std::string& method, const std::string& path,
                                    const nlohmann::json& body) {
  return httpCall(method, baseUrl_ + path, body.is_null() ? "" : body.dump(), {},
                  std::chrono::seconds(10), caFile_);
}

nlohmann::json EmulatorProcess::apps() {
  auto r = control("GET", "/_emulator/apps");
  if (r.status != 200) throw std::runtime_error("GET /_emulator/apps: " + r.body);
  auto j = r.json();
  return j.is_object() && j.contains("value") ? j["value"] : j;
}

std::string EmulatorProcess::appIdByName(const std::string& displayName) {
  for (const auto& app : apps()) {
    if (app.value("displayName", "") == displayName) return app.at("id").get<std::string>();
  }
  throw std::runtime_error("no app named " + displayName + " in the emulator");
}

nlohmann::json EmulatorProcess::installations(const std::string& teamsAppId) {
  auto r = control("GET", "/_emulator/installations?teamsAppId=" + teamsAppId);
  if (r.status != 200) throw std::runtime_error("GET /_emulator/installations: " + r.body);
  return r.json();
}

void EmulatorProcess::publish(const std::string& teamsAppId, const std::string& version,
                              const nlohmann::json& rsc) {
  auto r = control("POST", "/_emulator/apps/" + teamsAppId + "/versions",
                   {{"version", version}, {"resourceSpecificPermissions", rsc}});
  if (r.status / 100 != 2) throw std::runtime_error("publish failed: " + r.body);
}

nlohmann::json EmulatorProcess::stats() { return control("GET", "/_emulator/stats").json(); }

DaemonProcess::DaemonProcess(const TempDir& dir, const EmulatorProcess& emulator,
                             DaemonOptions options)
    : dir_(dir),
      emulatorUrl_(emulator.baseUrl()),
      emulatorCaFile_(emulator.caFile()),
      options_(std::move(options)) {
  port_ = freePort();
  url_ = std::string(options_.tlsCertFile.empty() ? "http" : "https") + "://127.0.0.1:" +
         std::to_string(port_);
  configPath_ = dir.file("appkeeper.ini");
  dbPath_ = dir.file("appkeeper.db");
  unsigned char key[32];
  std::random_device rd;
  for (auto& b : key) b = static_cast<unsigned char>(rd());
  secret_ = "whsec_" + base64(key, sizeof key);
  writeFile(dir.file("client_secret"), kClientSecret);
  writeFile(dir.file("catalog_secret"), secret_ + "\n");
  std::ostringstream ini;
  ini << "[listen]\naddress = 127.0.0.1\nport = " << port_ << "\npublic_url = " << url_ << "\n"
      << (options_.tlsCertFile.empty() ? "" : "tls_cert_file = " + options_.tlsCertFile + "\n")
      << (options_.tlsKeyFile.empty() ? "" : "tls_key_file = " + options_.tlsKeyFile + "\n")
      << "[graph]\nbase_url = " << emulatorUrl_ << "/v1.0\n"
      << "token_url = " << emulatorUrl_ << "/{tenant}/oauth2/v2.0/token\n"
      << "tenant_id = " << kTenant << "\nclient_id = " << kClientId << "\n"
      << "client_secret_file = " << dir.file("client_secret") << "\n"
      << "requests_per_second = " << options_.requestsPerSecond << "\n"
      << (emulatorCaFile_.empty() ? "" : "ca_file = " + emulatorCaFile_ + "\n")
      << "[store]\npath = " << dbPath_ << "\n"
      << "[workers]\ncount = " << options_.workers << "\n"
      << "[catalog_events]\nsecret_file = " << dir.file("catalog_secret") << "\n";
  baseIni_ = ini.str();
  writeFile(configPath_, baseIni_ + options_.extraIni);
}

void DaemonProcess::rewriteConfig(const std::string& extraIni) {
  // Into a new file, then renamed: the daemon never reads a half-written config.
  writeFile(configPath_ + ".new", baseIni_ + extraIni);
  fs::rename(configPath_ + ".new", configPath_);
}

void DaemonProcess::reload() {
  if (!process_) throw std::runtime_error("reload: the daemon is not running");
  process_->signal(SIGHUP);
}

void DaemonProcess::start() {
  process_ = std::make_unique<ChildProcess>(buildDir() + "/daemon/appkeeper",
                                            std::vector<std::string>{"serve", "--config", configPath_},
                                            dir_.file("appkeeper.log"), options_.extraEnv);
  auto readyz = [&] {
    return httpCall("GET", url_ + "/readyz", "", {}, std::chrono::seconds(10),
                    options_.listenerCaFile)
               .status == 200;
  };
  bool ready = eventually([&] { return !process_->running() || readyz(); },
                          std::chrono::seconds(20));
  if (!ready || !process_->running()) {
    throw std::runtime_error("appkeeper serve did not become ready:\n" + stderrLog());
  }
}

void DaemonProcess::launch() {
  process_.reset();
  process_ = std::make_unique<ChildProcess>(buildDir() + "/daemon/appkeeper",
                                            std::vector<std::string>{"serve", "--config", configPath_},
                                            dir_.file("appkeeper.log"), options_.extraEnv);
}

bool DaemonProcess::waitReady(std::chrono::milliseconds timeout) {
  if (!process_) return false;
  auto readyz = [&] {
    return httpCall("GET", url_ + "/readyz", "", {}, std::chrono::seconds(10),
                    options_.listenerCaFile)
               .status == 200;
  };
  eventually([&] { return !process_->running() || readyz(); }, timeout);
  return process_->running() && readyz();
}

bool DaemonProcess::running() { return process_ && process_->running(); }

void DaemonProcess::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(10));
}

std::optional<int> DaemonProcess::terminate() {
  process_->signal(SIGTERM);
  return process_->wait(std::chrono::seconds(60));
}

std::string DaemonProcess::stderrLog() const { return readFile(dir_.file("appkeeper.log")); }

int DaemonProcess::sendPublishEvent(const std::string& teamsAppId, const std::string& version,
                                    const std::string& webhookId) {
  nlohmann::json event = {{"type", "teamsApp.published"},
                          {"timestamp", "2026-11-29T10:00:00Z"},
                          {"data", {{"tenantId", kTenant}, {"teamsAppId", teamsAppId}, {"version", version}}}};
  std::string body = event.dump();
  std::string ts = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  auto r = httpCall("POST", url_ + "/events/catalog", body,
                    {{"Content-Type", "application/json"},
                     {"webhook-id", webhookId},
                     {"webhook-timestamp", ts},
                     {"webhook-signature", signWebhook(secret_, webhookId, ts, body)}},
                    std::chrono::seconds(10), options_.listenerCaFile);
  return r.status;
}

HttpResult DaemonProcess::publishEvent(const std::string& teamsAppId, const std::string& version,
                                       const std::string& webhookId,
                                       std::chrono::milliseconds timeout) const {
  nlohmann::json event = {{"type", "teamsApp.published"},
                          {"timestamp", "2026-11-29T10:00:00Z"},
                          {"data", {{"tenantId", kTenant}, {"teamsAppId", teamsAppId}, {"version", version}}}};
  const std::string body = event.dump();
  const std::string ts = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  return httpCall("POST", url_ + "/events/catalog", body,
                  {{"Content-Type", "application/json"},
                   {"webhook-id", webhookId},
                   {"webhook-timestamp", ts},
                   {"webhook-signature", signWebhook(secret_, webhookId, ts, body)}},
                  timeout);
}

HttpResult DaemonProcess::notifyUnknownSubscription(const std::string& subscriptionId,
                                                    std::chrono::milliseconds timeout) const {
  nlohmann::json body = {
      {"value",
       {{{"subscriptionId", subscriptionId},
         {"clientState", "not-a-known-state"},
         {"changeType", "updated"},
         {"resource", "appCatalogs/teamsApps/00000000-0000-0000-0000-000000000001"},
         {"tenantId", kTenant}}}}};
  return httpCall("POST", url_ + "/graph/notifications", body.dump(),
                  {{"Content-Type", "application/json"}}, timeout);
}

int DaemonProcess::pid() const { return process_ ? static_cast<int>(process_->pid()) : -1; }

std::string DaemonProcess::runCli(const std::vector<std::string>& args, int* exitCode) const {
  std::string cmd;
  if (!options_.extraEnv.empty()) {
    cmd = "env";
    for (const auto& [name, value] : options_.extraEnv) cmd += " '" + name + "=" + value + "'";
    cmd += " ";
  }
  cmd += buildDir() + "/daemon/appkeeper";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>>" + dir_.file("cli.log");
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (exitCode) *exitCode = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::vector<nlohmann::json> DaemonProcess::audit(const std::vector<std::string>& args) const {
  std::vector<std::string> all{"audit", "--db", dbPath_, "--format", "jsonl"};
  all.insert(all.end(), args.begin(), args.end());
  int code = 0;
  std::string out = runCli(all, &code);
  if (code != 0) throw std::runtime_error("appkeeper audit failed: " + readFile(dir_.file("cli.log")));
  std::vector<nlohmann::json> records;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) records.push_back(nlohmann::json::parse(line));
  }
  return records;
}

std::string signWebhook(const std::string& whsecSecret, const std::string& id,
                        const std::string& timestamp, const std::string& body) {
  std::string key = base64Decode(whsecSecret.substr(whsecSecret.find('_') + 1));
  std::string content = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macLen = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &macLen);
  return "v1," + base64(mac, macLen);
}

}  // namespace appkeeper::testing
