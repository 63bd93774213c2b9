// Config: appkeeper's configuration, a plain struct parsed once at start-up from the INI file
// (`--config FILE`, default /etc/appkeeper/appkeeper.ini) with every key overridable by the
// environment variable APPKEEPER_<SECTION>_<KEY> (upper case). Each component receives only its
// part. daemon/appkeeper.ini.sample documents every key and default.
//
// Secrets are loaded from files named in the config (see secret_file.h) and kept only in the
// fields marked "secret"; never log them.
//
// Errors: kInvalidInput with ONE line naming the file and the key, e.g.
//   config /etc/appkeeper/appkeeper.ini: [graph] requests_per_second: "abc" is not a number
// (syntax errors carry the line: "config FILE:12: ..."). main prints it and exits with 2.
// Nothing here reads the process environment: it is passed in. Pure; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace appkeeper::daemon {

inline constexpr const char* kDefaultConfigPath = "/etc/appkeeper/appkeeper.ini";

using Environment = std::map<std::string, std::string>;

struct ListenConfig {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  std::string publicUrl;  // where Graph calls back (subscriptions)
  // Optional TLS for the listener (issue 8), for deployments without a reverse proxy: both set
  // or both empty. PEM files; the pair is re-read on SIGHUP.
  std::string tlsCertFile;
  std::string tlsKeyFile;
  // Store-writing requests served at once (0..127); more are shed with 503 + Retry-After so the
  // health probes keep a thread (the listener has 128). 0: automatic (three quarters, 96).
  int maxInFlight = 0;

  bool tlsEnabled() const { return !tlsCertFile.empty(); }
};

// Admin endpoints (/metrics; the health probes stay public, they reveal nothing): served on the
// main listener unless `address` is set, then on their own listener (e.g. a management network or
// loopback only). With token_file, /metrics requires "Authorization: Bearer <token>".
struct AdminConfig {
  std::string address;  // empty: the main listener serves /metrics
  uint16_t port = 9090;  // 0: the OS picks (tests)
  std::string tokenFile;
  std::string token;  // secret

  bool separateListener() const { return !address.empty(); }
};

struct GraphConfig {
  std::string baseUrl = "https://graph.microsoft.com/v1.0";
  std::string tokenUrl = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token";
  std::string tenantId;
  std::string clientId;
  std::string clientSecretFile;
  std::string clientSecret;       // secret
  double requestsPerSecond = 25;  // per tenant, for each budget (GET, POST)
  double perTeamRequestsPerSecond = 4;
  std::chrono::seconds timeout{30};
  std::string caFile;  // extra trust anchor for HTTPS; empty: system store only

  // token_url with {tenant} replaced by tenant_id.
  std::string tokenEndpoint() const;
};

struct StoreConfig {
  std::string path = "/var/lib/appkeeper/appkeeper.db";
  // An inbound commit this slow or slower is logged as a warning (a disk slow to sync).
  std::chrono::milliseconds slowCommitWarn{100};
};

struct WorkersConfig {
  int count = 8;
  int maxAttempts = 8;
  std::chrono::seconds backoffBase{2};
  std::chrono::seconds backoffCap{600};
  std::chrono::seconds lease{60};
  std::chrono::hours propagationPatience{48};
  std::chrono::seconds propagationRetry{300};
  std::chrono::seconds shutdownGrace{20};
};

struct CatalogEventsConfig {
  std::string secretFile;
  std::string secret;  // secret: "whsec_<base64>"
};

// Which catalog apps appkeeper keeps current and subscribes to (issue 4).
struct AppsConfig {
  // Catalog ids or externalIds; empty: every app with distributionMethod "organization".
  std::vector<std::string> watch;
};

// Graph change-notification subscriptions on /appCatalogs/teamsApps/{id}/installations. They
// are kept only when [listen] public_url is set (Graph must be able to call back).
struct SubscriptionsConfig {
  // Requested lifetime of each subscription; Graph allows at most 4,320 minutes (72 h) for
  // Teams resources, so the default leaves an hour's margin.
  std::chrono::seconds lifetime{71 * 3600};
  // A subscription is renewed (PATCH expirationDateTime) once less than this is left.
  std::chrono::seconds renewBefore{24 * 3600};
};

// The full reconciliation (inventory vs Graph) and the catalog poll (Teams' polling rule: once
// a day).
struct ReconcileConfig {
  std::chrono::seconds interval{24 * 3600};
  std::chrono::seconds catalogPollInterval{24 * 3600};
};

// Delegated consent for apps that need RSC (Decision 3): `appkeeper login` (device code) stores
// a refresh token sealed with the key in key_file. Empty key_file: delegated upgrades are off.
struct DelegatedConfig {
  std::string deviceCodeUrl = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode";
  std::string scope =
      "https://graph.microsoft.com/TeamsAppInstallation.ReadWriteAndConsentForTeam "
      "offline_access openid profile";
  std::string keyFile;
  std::string key;  // secret: 32 bytes (the file holds them base64-encoded)

  bool enabled() const { return !keyFile.empty(); }
  // device_code_url with {tenant} replaced by the tenant id.
  std::string deviceCodeEndpoint(const std::string& tenantId) const;
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  // auto: the journal (structured fields) when stderr is connected to it (JOURNAL_STREAM, as
  // systemd sets it), else stderr; journal or stderr force one.
  std::string target = "auto";
};

struct Config {
  std::string file;  // where it was read from, for messages
  ListenConfig listen;
  AdminConfig admin;
  GraphConfig graph;
  StoreConfig store;
  WorkersConfig workers;
  CatalogEventsConfig catalogEvents;
  AppsConfig apps;
  SubscriptionsConfig subscriptions;
  ReconcileConfig reconcile;
  DelegatedConfig delegated;
  LogConfig log;
};

struct ConfigLoadOptions {
  // The inspection commands (audit, jobs) need only [store]: they skip reading secrets so they
  // work for an admin who cannot read the daemon's credentials, and skip the keys only `serve`
  // needs.
  bool forServe = true;
  // `appkeeper login` and `appkeeper plan` talk to Graph / the identity platform but receive no
  // events: they need the [graph] credentials and the delegated key, not the catalog secret.
  bool needsCatalogSecret = true;
};

// Reads and parses `path`. `env` supplies APPKEEPER_* overrides and CREDENTIALS_DIRECTORY.
Result<Config> loadConfig(const std::string& path, const Environment& env,
                          ConfigLoadOptions options = {});

// The same from text already read (`path` labels messages and anchors relative secret paths).
Result<Config> parseConfig(std::string_view text, const std::string& path, const Environment& env,
                           ConfigLoadOptions options = {});

// APPKEEPER_<SECTION>_<KEY> for a key, e.g. ("graph", "requests_per_second") ->
// APPKEEPER_GRAPH_REQUESTS_PER_SECOND.
std::string envVarName(std::string_view section, std::string_view key);

}  // namespace appkeeper::daemon
