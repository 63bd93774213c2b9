#include "daemon/config_reload.h"

#include <functional>
#include <sstream>

namespace appkeeper::daemon {
namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// One key that needs a restart when it differs.
struct RestartKey {
  const char* name;
  std::function<bool(const Config&, const Config&)> same;
};

template <typename Part, typename Field>
std::function<bool(const Config&, const Config&)> field(Part Config::*part, Field Part::*member) {
  return [part, member](const Config& a, const Config& b) {
    return a.*part.*member == b.*part.*member;
  };
}

// A secret file: the same path and the same contents (the secret is compared, never shown).
template <typename Part>
std::function<bool(const Config&, const Config&)> secretFile(Part Config::*part,
                                                             std::string Part::*path,
                                                             std::string Part::*secret) {
  return [part, path, secret](const Config& a, const Config& b) {
    return a.*part.*path == b.*part.*path && a.*part.*secret == b.*part.*secret;
  };
}

const std::vector<RestartKey>& restartKeys() {
  static const std::vector<RestartKey> keys = {
      {"[listen] address", field(&Config::listen, &ListenConfig::address)},
      {"[listen] port", field(&Config::listen, &ListenConfig::port)},
      {"[listen] public_url", field(&Config::listen, &ListenConfig::publicUrl)},
      {"[listen] max_in_flight", field(&Config::listen, &ListenConfig::maxInFlight)},
      {"[admin] address", field(&Config::admin, &AdminConfig::address)},
      {"[admin] port", field(&Config::admin, &AdminConfig::port)},
      {"[admin] token_file",
       secretFile(&Config::admin, &AdminConfig::tokenFile, &AdminConfig::token)},
      {"[graph] base_url", field(&Config::graph, &GraphConfig::baseUrl)},
      {"[graph] token_url", field(&Config::graph, &GraphConfig::tokenUrl)},
      {"[graph] tenant_id", field(&Config::graph, &GraphConfig::tenantId)},
      {"[graph] client_id", field(&Config::graph, &GraphConfig::clientId)},
      {"[graph] client_secret_file",
       secretFile(&Config::graph, &GraphConfig::clientSecretFile, &GraphConfig::clientSecret)},
      {"[graph] timeout_seconds", field(&Config::graph, &GraphConfig::timeout)},
      {"[graph] ca_file", field(&Config::graph, &GraphConfig::caFile)},
      {"[store] path", field(&Config::store, &StoreConfig::path)},
      {"[store] slow_commit_warn_ms", field(&Config::store, &StoreConfig::slowCommitWarn)},
      {"[workers] count", field(&Config::workers, &WorkersConfig::count)},
      {"[workers] max_attempts", field(&Config::workers, &WorkersConfig::maxAttempts)},
      {"[workers] backoff_base_seconds", field(&Config::workers, &WorkersConfig::backoffBase)},
      {"[workers] backoff_cap_seconds", field(&Config::workers, &WorkersConfig::backoffCap)},
      {"[workers] lease_seconds", field(&Config::workers, &WorkersConfig::lease)},
      {"[workers] propagation_patience_hours",
       field(&Config::workers, &WorkersConfig::propagationPatience)},
      {"[workers] propagation_retry_seconds",
       field(&Config::workers, &WorkersConfig::propagationRetry)},
      {"[workers] shutdown_grace_seconds", field(&Config::workers, &WorkersConfig::shutdownGrace)},
      {"[catalog_events] secret_file",
       secretFile(&Config::catalogEvents, &CatalogEventsConfig::secretFile,
                  &CatalogEventsConfig::secret)},
      {"[subscriptions] lifetime_seconds",
       field(&Config::subscriptions, &SubscriptionsConfig::lifetime)},
      {"[subscriptions] renew_before_seconds",
       field(&Config::subscriptions, &SubscriptionsConfig::renewBefore)},
      {"[reconcile] interval_seconds", field(&Config::reconcile, &ReconcileConfig::interval)},
      {"[reconcile] catalog_poll_seconds",
       field(&Config::reconcile, &ReconcileConfig::catalogPollInterval)},
      {"[delegated] device_code_url", field(&Config::delegated, &DelegatedConfig::deviceCodeUrl)},
      {"[delegated] scope", field(&Config::delegated, &DelegatedConfig::scope)},
      {"[delegated] key_file",
       secretFile(&Config::delegated, &DelegatedConfig::keyFile, &DelegatedConfig::key)},
      {"[log] target", field(&Config::log, &LogConfig::target)},
  };
  return keys;
}

}  // namespace

std::string describeWatch(const std::vector<std::string>& watch) {
  if (watch.empty()) return "(every organization app)";
  std::string out;
  for (const auto& id : watch) out += (out.empty() ? "" : ", ") + id;
  return out;
}

ConfigDiff diffConfig(const Config& running, const Config& loaded) {
  ConfigDiff diff;
  auto reloaded = [&](const char* key, std::string from, std::string to) {
    diff.reloaded.push_back(SettingChange{key, std::move(from), std::move(to)});
  };

  const ListenConfig& was = running.listen;
  const ListenConfig& now = loaded.listen;
  if (was.tlsEnabled() != now.tlsEnabled()) {
    // Plain HTTP <-> TLS is a different listener: only a start builds it.
    if (was.tlsCertFile != now.tlsCertFile) diff.needsRestart.push_back("[listen] tls_cert_file");
    if (was.tlsKeyFile != now.tlsKeyFile) diff.needsRestart.push_back("[listen] tls_key_file");
  } else if (now.tlsEnabled()) {
    diff.reloadTls = true;
    if (was.tlsCertFile != now.tlsCertFile) {
      reloaded("[listen] tls_cert_file", was.tlsCertFile, now.tlsCertFile);
    }
    if (was.tlsKeyFile != now.tlsKeyFile) {
      reloaded("[listen] tls_key_file", was.tlsKeyFile, now.tlsKeyFile);
    }
  }
  const GraphConfig& g0 = running.graph;
  const GraphConfig& g1 = loaded.graph;
  if (g0.requestsPerSecond != g1.requestsPerSecond) {
    reloaded("[graph] requests_per_second", number(g0.requestsPerSecond),
             number(g1.requestsPerSecond));
    diff.rateLimits = true;
  }
  if (g0.perTeamRequestsPerSecond != g1.perTeamRequestsPerSecond) {
    reloaded("[graph] per_team_requests_per_second", number(g0.perTeamRequestsPerSecond),
             number(g1.perTeamRequestsPerSecond));
    diff.rateLimits = true;
  }
  if (running.apps.watch != loaded.apps.watch) {
    reloaded("[apps] watch", describeWatch(running.apps.watch), describeWatch(loaded.apps.watch));
    diff.watch = true;
  }
  if (running.log.level != loaded.log.level) {
    reloaded("[log] level", running.log.level, loaded.log.level);
    diff.logLevel = true;
  }
  for (const auto& key : restartKeys()) {
    if (!key.same(running, loaded)) diff.needsRestart.push_back(key.name);
  }
  return diff;
}

}  // namespace appkeeper::daemon
