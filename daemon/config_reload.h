// What a SIGHUP reload changes: diffConfig() compares the running Config with one freshly read
// from the same file and sorts what differs into
// - settings applied at once ("reloaded"): [log] level, [graph] requests_per_second and
//   per_team_requests_per_second (the tenant RateLimiter), [apps] watch (subscriptions and the
//   next reconciliation follow), and the paths of [listen] tls_cert_file/tls_key_file while TLS
//   stays on; with TLS on, `reloadTls` asks the listener to re-read the pair on every reload,
//   since a renewed certificate usually keeps its file name;
// - settings that need a restart: every other key that differs, named "[section] key". Secret
//   files are compared by their contents too, and named by their *_file key: the values of
//   secrets never appear in a change.
// Pure; thread-compatible; no errors.
#pragma once

#include <string>
#include <vector>

#include "daemon/config.h"

namespace appkeeper::daemon {

struct SettingChange {
  std::string key;  // "[log] level"
  std::string from;
  std::string to;
};

struct ConfigDiff {
  std::vector<SettingChange> reloaded;    // applied without a restart, in a fixed order
  std::vector<std::string> needsRestart;  // "[workers] count", ...
  bool logLevel = false;
  bool rateLimits = false;
  bool watch = false;
  bool reloadTls = false;  // TLS on before and after: re-read the certificate and key

  // Nothing differs (reloadTls alone is not a change: the pair may be the same).
  bool empty() const { return reloaded.empty() && needsRestart.empty(); }
};

ConfigDiff diffConfig(const Config& running, const Config& loaded);

// "a.b.c -> x" style value for a watch list: the ids joined by ", ", or what an empty list
// means.
std::string describeWatch(const std::vector<std::string>& watch);

}  // namespace appkeeper::daemon
