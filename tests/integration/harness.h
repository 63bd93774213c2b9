// The integration harness: the real graph-emulator and appkeeper processes on loopback ports the
// OS picks, driven over HTTP and through appkeeper's own CLI. Every wait is a bounded poll of a
// real process (there is nothing to inject a clock into across a process boundary).
//
// The emulator speaks HTTPS by default (--tls with a CA it makes and writes to the test's dir),
// and the daemon trusts that CA through [graph] ca_file, so the tests run appkeeper's production
// path: TLS with certificate and host-name verification. EmulatorScheme::kHttp is for a test that
// really needs plain http.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "integration/child_process.h"
#include "nlohmann/json.hpp"
#include "fakes/temp_dir.h"

namespace appkeeper::testing {

struct HttpResult {
  int status = 0;  // 0 when the request failed at the transport level
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// https:// URLs are verified (chain and host name) against `caFile` only.
HttpResult httpCall(const std::string& method, const std::string& url, const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(10),
                    const std::string& caFile = "");


std::string buildDir();  // $APPKEEPER_BUILD_DIR, set by ctest

// 32 random bytes, base64, in a 0600 file `delegated.key` in `dir`: a [delegated] key_file.
std::string writeDelegatedKey(const TempDir& dir);

// Polls `done` every 50 ms until it returns true or `timeout` passes; returns its last answer.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout);

enum class EmulatorScheme { kHttps, kHttp };

class EmulatorProcess {
 public:
  EmulatorProcess(const TempDir& dir, const std::vector<std::string>& args,
                  EmulatorScheme scheme = EmulatorScheme::kHttps);
  const std::string& baseUrl() const { return baseUrl_; }  // https://127.0.0.1:PORT
  // The CA certificate (PEM file) clients must trust; empty for kHttp.
  const std::string& caFile() const { return caFile_; }
  nlohmann::json apps();
  std::string appIdByName(const std::string& displayName);
  nlohmann::json installations(const std::string& teamsAppId);
  // Publishes `version` (published at once) with the given RSC permissions.
  void publish(const std::string& teamsAppId, const std::string& version,
               const nlohmann::json& rsc = nlohmann::json::array());
  nlohmann::json stats();
  HttpResult control(const std::string& method, const std::string& path,
                     const nlohmann::json& body = nullptr);

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string baseUrl_;
  std::string caFile_;
};

struct DaemonOptions {
  int workers = 4;
  double requestsPerSecond = 200;
  // APPKEEPER_<SECTION>_<KEY> overrides, for `serve` and for runCli alike.
  std::map<std::string, std::string> extraEnv;
  // Appended to the generated INI file (sections the harness does not write: [apps], [log]...).
  std::string extraIni;
  // TLS on the daemon's listener ([listen] tls_cert_file / tls_key_file, PEM files; issue 8):
  // url() and public_url become https://, and the harness's own requests to the daemon (/readyz,
  // publish events) verify it against listenerCaFile. Empty: plain http.
  std::string tlsCertFile;
  std::string tlsKeyFile;
  std::string listenerCaFile;
};

// appkeeper serve against an emulator, with its own config, secrets and database in `dir`.
class DaemonProcess {
 public:
  DaemonProcess(const TempDir& dir, const EmulatorProcess& emulator, DaemonOptions options = {});
  void start();  // starts and waits for /readyz
  void kill();   // SIGKILL, reaped
  // Starts `serve` without waiting for /readyz, for a test that kills it during start-up. A
  // process still running from an earlier start is killed (SIGKILL) and reaped first.
  void launch();
  // After launch(): polls /readyz until 200 (true), the process exits or `timeout` passes.
  bool waitReady(std::chrono::milliseconds timeout);
  // The process from the last start()/launch() has not exited (false before any start).
  bool running();
  std::optional<int> terminate();  // SIGTERM, returns the exit code
  // Writes the config file again: the generated part with `extraIni` instead of the options'.
  void rewriteConfig(const std::string& extraIni);
  void reload();  // SIGHUP: `serve` reads the config file again
  const std::string& url() const { return url_; }
  const std::string& dbPath() const { return dbPath_; }
  const std::string& configPath() const { return configPath_; }
  std::string stderrLog() const;
  // A signed teamsApp.published event; returns the HTTP status.
  int sendPublishEvent(const std::string& teamsAppId, const std::string& version,
                       const std::string& webhookId);
  // The same event with the whole answer (status, Retry-After...) and a chosen timeout.
  // Safe to call from several threads at once.
  HttpResult publishEvent(const std::string& teamsAppId, const std::string& version,
                          const std::string& webhookId,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // A Graph change notification for a subscription appkeeper does not know: answered 202 and
  // kept as a "rejected" audit record, so it needs a store write like any delivery. Thread-safe.
  HttpResult notifyUnknownSubscription(const std::string& subscriptionId,
                                       std::chrono::milliseconds timeout) const;
  // The running `serve` process id (for /proc and prlimit), -1 when it is not running.
  int pid() const;
  // `appkeeper audit --db ... --format jsonl [args]`, parsed.
  std::vector<nlohmann::json> audit(const std::vector<std::string>& args = {}) const;
  // `appkeeper ARGS` with extraEnv; stdout returned, stderr appended to cli.log in the dir.
  std::string runCli(const std::vector<std::string>& args, int* exitCode = nullptr) const;

 private:
  const TempDir& dir_;
  std::string emulatorUrl_;
  std::string emulatorCaFile_;
  DaemonOptions options_;
  std::string configPath_, dbPath_, url_, secret_;
  std::string baseIni_;  // the generated config, without extraIni
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// Standard Webhooks v1 signature made with OpenSSL directly: an implementation independent of
// appkeeper's own verifier.
std::string signWebhook(const std::string& whsecSecret, const std::string& id,
                        const std::string& timestamp, const std::string& body);

}  // namespace appkeeper::testing
