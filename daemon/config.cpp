#include "daemon/config.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#include "daemon/ini_file.h"
#include "daemon/secret_file.h"
#include "handlers/base64.h"
#include "handlers/standard_webhooks.h"

namespace appkeeper::daemon {
namespace {

// A setter checks one value and stores it; it returns the reason when the value is unusable
// (the caller prefixes "config FILE: [section] key: ").
using Setter = std::function<std::optional<std::string>(Config&, const std::string&)>;

struct KeySpec {
  const char* section;
  const char* key;
  bool requiredForServe;
  Setter set;
};

std::string quoted(const std::string& v) { return "\"" + v + "\""; }

template <typename Int>
std::optional<std::string> parseInt(const std::string& v, long long min, long long max, Int& out) {
  long long n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec == std::errc::invalid_argument || ptr != v.data() + v.size()) {
    return quoted(v) + " is not a number";
  }
  if (ec == std::errc::result_out_of_range || n < min || n > max) {
    return quoted(v) + " is out of range (" + std::to_string(min) + ".." + std::to_string(max) +
           ")";
  }
  out = static_cast<Int>(n);
  return std::nullopt;
}

Setter intKey(long long min, long long max, int WorkersConfig::*field) {
  return [=](Config& c, const std::string& v) { return parseInt(v, min, max, c.workers.*field); };
}

// A whole number of the Duration's units (seconds, milliseconds) in [min, max].
template <typename Part, typename Duration>
Setter unitsKey(long long min, long long max, Part Config::*part, Duration Part::*field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    long long n = 0;
    if (auto e = parseInt(v, min, max, n)) return e;
    c.*part.*field = Duration(n);
    return std::nullopt;
  };
}

template <typename Duration>
Setter durationKey(long long min, long long max, Duration WorkersConfig::*field) {
  return unitsKey(min, max, &Config::workers, field);
}

Setter rateKey(double GraphConfig::*field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    double d = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
      return quoted(v) + " is not a number";
    }
    if (!(d > 0) || d > 1'000'000) return quoted(v) + " must be a positive number of requests";
    c.graph.*field = d;
    return std::nullopt;
  };
}

template <typename Part>
Setter stringKey(Part Config::*part, std::string Part::*field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    if (v.empty()) return std::string("is empty");
    c.*part.*field = v;
    return std::nullopt;
  };
}

template <typename Part>
Setter urlKey(Part Config::*part, std::string Part::*field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
      return quoted(v) + " is not an http:// or https:// URL";
    }
    std::string url = v;
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    c.*part.*field = url;
    return std::nullopt;
  };
}

Setter secondsKey(long long min, long long max, std::chrono::seconds& (*field)(Config&)) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    long long n = 0;
    if (auto e = parseInt(v, min, max, n)) return e;
    field(c) = std::chrono::seconds(n);
    return std::nullopt;
  };
}

// "a, b c" -> {"a", "b", "c"}: ids never contain commas or blanks.
std::optional<std::string> parseList(const std::string& v, std::vector<std::string>& out) {
  out.clear();
  std::string item;
  auto flush = [&] {
    if (!item.empty()) out.push_back(item);
    item.clear();
  };
  for (char ch : v) {
    if (ch == ',' || ch == ' ' || ch == '\t') {
      flush();
    } else {
      item.push_back(ch);
    }
  }
  flush();
  return std::nullopt;
}

const std::vector<KeySpec>& keySpecs() {
  static const std::vector<KeySpec> specs = {
      {"listen", "address", false, stringKey(&Config::listen, &ListenConfig::address)},
      {"listen", "port", false,
       [](Config& c, const std::string& v) { return parseInt(v, 0, 65535, c.listen.port); }},
      {"listen", "public_url", false, urlKey(&Config::listen, &ListenConfig::publicUrl)},
      {"listen", "tls_cert_file", false, stringKey(&Config::listen, &ListenConfig::tlsCertFile)},
      {"listen", "tls_key_file", false, stringKey(&Config::listen, &ListenConfig::tlsKeyFile)},
      {"listen", "max_in_flight", false,
       // The inbound listener has 128 threads (handlers/inbound_server.h): one stays free.
       [](Config& c, const std::string& v) { return parseInt(v, 0, 127, c.listen.maxInFlight); }},
      {"admin", "address", false, stringKey(&Config::admin, &AdminConfig::address)},
      {"admin", "port", false,
       [](Config& c, const std::string& v) { return parseInt(v, 0, 65535, c.admin.port); }},
      {"admin", "token_file", false, stringKey(&Config::admin, &AdminConfig::tokenFile)},
      {"graph", "base_url", false, urlKey(&Config::graph, &GraphConfig::baseUrl)},
      {"graph", "token_url", false, urlKey(&Config::graph, &GraphConfig::tokenUrl)},
      {"graph", "tenant_id", true, stringKey(&Config::graph, &GraphConfig::tenantId)},
      {"graph", "client_id", true, stringKey(&Config::graph, &GraphConfig::clientId)},
      {"graph", "client_secret_file", true,
       stringKey(&Config::graph, &GraphConfig::clientSecretFile)},
      {"graph", "requests_per_second", false, rateKey(&GraphConfig::requestsPerSecond)},
      {"graph", "per_team_requests_per_second", false,
       rateKey(&GraphConfig::perTeamRequestsPerSecond)},
      {"graph", "timeout_seconds", false, unitsKey(1, 600, &Config::graph, &GraphConfig::timeout)},
      {"graph", "ca_file", false, stringKey(&Config::graph, &GraphConfig::caFile)},
      {"store", "path", false, stringKey(&Config::store, &StoreConfig::path)},
      {"store", "slow_commit_warn_ms", false,
       unitsKey(1, 60000, &Config::store, &StoreConfig::slowCommitWarn)},
      {"workers", "count", false, intKey(1, 256, &WorkersConfig::count)},
      {"workers", "max_attempts", false, intKey(1, 100, &WorkersConfig::maxAttempts)},
      {"workers", "backoff_base_seconds", false, durationKey(0, 3600, &WorkersConfig::backoffBase)},
      {"workers", "backoff_cap_seconds", false, durationKey(1, 86400, &WorkersConfig::backoffCap)},
      {"workers", "lease_seconds", false, durationKey(1, 3600, &WorkersConfig::lease)},
      {"workers", "propagation_patience_hours", false,
       durationKey(1, 24 * 30, &WorkersConfig::propagationPatience)},
      {"workers", "propagation_retry_seconds", false,
       durationKey(1, 86400, &WorkersConfig::propagationRetry)},
      {"workers", "shutdown_grace_seconds", false,
       durationKey(0, 3600, &WorkersConfig::shutdownGrace)},
      {"catalog_events", "secret_file", true,
       stringKey(&Config::catalogEvents, &CatalogEventsConfig::secretFile)},
      {"apps", "watch", false,
       [](Config& c, const std::string& v) { return parseList(v, c.apps.watch); }},
      {"subscriptions", "lifetime_seconds", false,
       secondsKey(60, 4320 * 60,
                  [](Config& c) -> std::chrono::seconds& { return c.subscriptions.lifetime; })},
      {"subscriptions", "renew_before_seconds", false,
       secondsKey(1, 4320 * 60,
                  [](Config& c) -> std::chrono::seconds& { return c.subscriptions.renewBefore; })},
      {"reconcile", "interval_seconds", false,
       secondsKey(1, 30 * 86400,
                  [](Config& c) -> std::chrono::seconds& { return c.reconcile.interval; })},
      {"reconcile", "catalog_poll_seconds", false,
       secondsKey(
           1, 30 * 86400,
           [](Config& c) -> std::chrono::seconds& { return c.reconcile.catalogPollInterval; })},
      {"delegated", "device_code_url", false,
       urlKey(&Config::delegated, &DelegatedConfig::deviceCodeUrl)},
      {"delegated", "scope", false, stringKey(&Config::delegated, &DelegatedConfig::scope)},
      {"delegated", "key_file", false, stringKey(&Config::delegated, &DelegatedConfig::keyFile)},
      {"log", "level", false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
           if (v == level) {
             c.log.level = v;
             return std::nullopt;
           }
         }
         return quoted(v) + " is not a log level (trace, debug, info, warn, error, critical, off)";
       }},
      {"log", "target", false,
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v != "auto" && v != "journal" && v != "stderr") {
           return quoted(v) + " is not a log target (auto, journal, stderr)";
         }
         c.log.target = v;
         return std::nullopt;
       }},
  };
  return specs;
}

std::string directoryOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The identity endpoints are configured as URL templates: {tenant} -> the tenant id.
std::string withTenant(std::string url, const std::string& tenantId) {
  const std::string placeholder = "{tenant}";
  for (size_t at = url.find(placeholder); at != std::string::npos;
       at = url.find(placeholder, at + tenantId.size())) {
    url.replace(at, placeholder.size(), tenantId);
  }
  return url;
}

std::optional<std::string> lookup(const Environment& env, const std::string& name) {
  auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

}  // namespace

std::string GraphConfig::tokenEndpoint() const { return withTenant(tokenUrl, tenantId); }

std::string DelegatedConfig::deviceCodeEndpoint(const std::string& tenantId) const {
  return withTenant(deviceCodeUrl, tenantId);
}

std::string envVarName(std::string_view section, std::string_view key) {
  std::string name = "APPKEEPER_";
  for (std::string_view part : {section, std::string_view("_"), key}) {
    for (char c : part) {
      name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  return name;
}

Result<Config> parseConfig(std::string_view text, const std::string& path, const Environment& env,
                           ConfigLoadOptions options) {
  auto ini = IniFile::parse(text, path);
  if (!ini) return ini.error();
  const std::string prefix = "config " + path + ": ";

  for (const auto& [name, value] : ini->entries()) {
    const auto& [section, key] = name;
    bool sectionKnown = false;
    std::string known;
    for (const auto& spec : keySpecs()) {
      if (section != spec.section) continue;
      sectionKnown = true;
      if (key == spec.key) {
        known.clear();
        break;
      }
      known += (known.empty() ? "" : ", ") + std::string(spec.key);
    }
    const std::string at = "config " + path + ":" + std::to_string(value.line) + ": ";
    if (!sectionKnown) {
      return Error::invalidInput(at + "unknown section [" + section +
                                 "] (known: listen, admin, graph, store, workers, catalog_events, "
                                 "apps, subscriptions, reconcile, delegated, log)");
    }
    if (!known.empty()) {
      return Error::invalidInput(at + "unknown key [" + section + "] " + key + " (known: " + known +
                                 ")");
    }
  }

  Config config;
  config.file = path;
  for (const auto& spec : keySpecs()) {
    const std::string var = envVarName(spec.section, spec.key);
    std::optional<std::string> value;
    std::string origin;
    if (auto fromEnv = lookup(env, var)) {
      value = *fromEnv;
      origin = " (from " + var + ")";
    } else if (auto fromFile = ini->get(spec.section, spec.key)) {
      value = fromFile->value;
    }
    const std::string name = "[" + std::string(spec.section) + "] " + spec.key;
    if (!value) {
      const bool catalogKey = std::string_view(spec.section) == "catalog_events";
      if (spec.requiredForServe && options.forServe &&
          (options.needsCatalogSecret || !catalogKey)) {
        return Error::invalidInput(prefix + name + " is missing (set it in the file or in " + var +
                                   ")");
      }
      continue;
    }
    if (auto problem = spec.set(config, *value)) {
      return Error::invalidInput(prefix + name + origin + ": " + *problem);
    }
  }

  if (config.subscriptions.renewBefore >= config.subscriptions.lifetime) {
    return Error::invalidInput(prefix + "[subscriptions] renew_before_seconds (" +
                               std::to_string(config.subscriptions.renewBefore.count()) +
                               ") must be less than lifetime_seconds (" +
                               std::to_string(config.subscriptions.lifetime.count()) + ")");
  }

  if (config.listen.tlsCertFile.empty() != config.listen.tlsKeyFile.empty()) {
    return Error::invalidInput(prefix +
                               "[listen] tls_cert_file and tls_key_file go together: set both "
                               "(TLS on the listener) or neither");
  }
  // Graph calls back on public_url: with TLS on the listener an http:// URL could never answer
  // its validation handshake (and Graph refuses http:// notification URLs anyway).
  if (config.listen.tlsEnabled() && config.listen.publicUrl.rfind("http://", 0) == 0) {
    return Error::invalidInput(prefix + "[listen] public_url is " + config.listen.publicUrl +
                               " but the listener serves TLS ([listen] tls_cert_file): write it "
                               "as https://... (the name the certificate is issued for)");
  }

  if (options.forServe) {
    const std::string baseDir = directoryOf(path);
    const auto credentials = lookup(env, "CREDENTIALS_DIRECTORY");
    if (!config.admin.tokenFile.empty()) {
      auto token = readSecret(config.admin.tokenFile, baseDir, credentials);
      if (!token) {
        return Error::invalidInput(prefix + "[admin] token_file: " + token.error().message);
      }
      if (token->size() < 16) {
        return Error::invalidInput(prefix + "[admin] token_file: " + config.admin.tokenFile +
                                   ": the token is shorter than 16 characters (create one with "
                                   "`openssl rand -hex 32`)");
      }
      config.admin.token = std::move(*token);
    }
    auto clientSecret = readSecret(config.graph.clientSecretFile, baseDir, credentials);
    if (!clientSecret) {
      return Error::invalidInput(prefix +
                                 "[graph] client_secret_file: " + clientSecret.error().message);
    }
    config.graph.clientSecret = std::move(*clientSecret);
    if (config.delegated.enabled()) {
      auto key = readSecret(config.delegated.keyFile, baseDir, credentials);
      if (!key) return Error::invalidInput(prefix + "[delegated] key_file: " + key.error().message);
      auto bytes = handlers::base64Decode(*key);
      if (!bytes || bytes->size() != 32) {
        return Error::invalidInput(prefix + "[delegated] key_file: " + config.delegated.keyFile +
                                   ": must hold 32 random bytes in base64 (create one with "
                                   "`openssl rand -base64 32`)");
      }
      config.delegated.key = std::move(*bytes);
    }
    if (!options.needsCatalogSecret) return config;
    auto catalogSecret = readSecret(config.catalogEvents.secretFile, baseDir, credentials);
    if (!catalogSecret) {
      return Error::invalidInput(prefix +
                                 "[catalog_events] secret_file: " + catalogSecret.error().message);
    }
    if (auto key = handlers::WebhookKey::fromSecret(*catalogSecret); !key) {
      return Error::invalidInput(prefix + "[catalog_events] secret_file: " +
                                 config.catalogEvents.secretFile + ": " + key.error().message);
    }
    config.catalogEvents.secret = std::move(*catalogSecret);
  }
  return config;
}

Result<Config> loadConfig(const std::string& path, const Environment& env,
                          ConfigLoadOptions options) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::invalidInput("config " + path + ": cannot read the file: " +
                               (errno != 0 ? std::strerror(errno) : "cannot open it") +
                               " (give another one with --config FILE)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parseConfig(text.str(), path, env, options);
}

}  // namespace appkeeper::daemon
