#include "daemon/config_reload.h"

#include <catch2/catch.hpp>

using namespace appkeeper::daemon;

namespace {

Config base() {
  Config c;
  c.file = "/etc/appkeeper/appkeeper.ini";
  c.graph.clientSecret = "s3cret-value";
  c.catalogEvents.secret = "whsec_c2VjcmV0";
  return c;
}

std::vector<std::string> keys(const std::vector<SettingChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.key);
  return out;
}

}  // namespace

TEST_CASE("the same configuration read again changes nothing", "[daemon][config_reload]") {
  const ConfigDiff diff = diffConfig(base(), base());
  CHECK(diff.empty());
  CHECK_FALSE(diff.logLevel);
  CHECK_FALSE(diff.rateLimits);
  CHECK_FALSE(diff.watch);
  CHECK_FALSE(diff.reloadTls);
}

TEST_CASE("log level, rate limits and the watch list are reloaded with their old and new values",
          "[daemon][config_reload]") {
  Config next = base();
  next.log.level = "debug";
  next.graph.requestsPerSecond = 12.5;
  next.graph.perTeamRequestsPerSecond = 2;
  next.apps.watch = {"app-1", "app-2"};
  const ConfigDiff diff = diffConfig(base(), next);
  CHECK(diff.needsRestart.empty());
  CHECK(diff.logLevel);
  CHECK(diff.rateLimits);
  CHECK(diff.watch);
  REQUIRE(keys(diff.reloaded) ==
          std::vector<std::string>{"[graph] requests_per_second",
                                   "[graph] per_team_requests_per_second", "[apps] watch",
                                   "[log] level"});
  CHECK(diff.reloaded[0].from == "25");
  CHECK(diff.reloaded[0].to == "12.5");
  CHECK(diff.reloaded[1].to == "2");
  CHECK(diff.reloaded[2].from == "(every organization app)");
  CHECK(diff.reloaded[2].to == "app-1, app-2");
  CHECK(diff.reloaded[3].from == "info");
  CHECK(diff.reloaded[3].to == "debug");
}

TEST_CASE("everything else that differs is named as needing a restart",
          "[daemon][config_reload]") {
  Config next = base();
  next.workers.count = 16;
  next.listen.port = 9000;
  next.log.target = "journal";
  next.store.path = "/srv/appkeeper.db";
  next.reconcile.interval = std::chrono::seconds(3600);
  const ConfigDiff diff = diffConfig(base(), next);
  CHECK(diff.reloaded.empty());
  CHECK(diff.needsRestart == std::vector<std::string>{"[listen] port", "[store] path",
                                                      "[workers] count",
                                                      "[reconcile] interval_seconds",
                                                      "[log] target"});
}

TEST_CASE("a rotated secret is named by its file key and its value never appears",
          "[daemon][config_reload]") {
  Config next = base();
  next.graph.clientSecret = "n3w-secret-value";  // same file, new contents
  next.delegated.keyFile = "/etc/appkeeper/delegated.key";
  next.delegated.key = "0123456789abcdef0123456789abcdef";
  const ConfigDiff diff = diffConfig(base(), next);
  CHECK(diff.needsRestart ==
        std::vector<std::string>{"[graph] client_secret_file", "[delegated] key_file"});
  for (const auto& key : diff.needsRestart) {
    CHECK(key.find("secret-value") == std::string::npos);
    CHECK(key.find("0123456789") == std::string::npos);
  }
}

TEST_CASE("with TLS on, every reload re-reads the pair; turning TLS on or off needs a restart",
          "[daemon][config_reload]") {
  Config tls = base();
  tls.listen.tlsCertFile = "/etc/appkeeper/cert.pem";
  tls.listen.tlsKeyFile = "/etc/appkeeper/key.pem";

  const ConfigDiff same = diffConfig(tls, tls);
  CHECK(same.reloadTls);
  CHECK(same.empty());

  Config renamed = tls;
  renamed.listen.tlsCertFile = "/etc/appkeeper/cert-2027.pem";
  const ConfigDiff moved = diffConfig(tls, renamed);
  CHECK(moved.reloadTls);
  REQUIRE(keys(moved.reloaded) == std::vector<std::string>{"[listen] tls_cert_file"});
  CHECK(moved.reloaded[0].to == "/etc/appkeeper/cert-2027.pem");

  const ConfigDiff on = diffConfig(base(), tls);
  CHECK_FALSE(on.reloadTls);
  CHECK(on.needsRestart ==
        std::vector<std::string>{"[listen] tls_cert_file", "[listen] tls_key_file"});
}
