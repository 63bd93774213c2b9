#include "daemon/config.h"

#include <catch2/catch.hpp>

#include "daemon/ini_file.h"
#include "daemon_test_support.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using appkeeper::daemon::testing::TempDir;

namespace {

const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// A complete config whose secrets are files in `dir`.
std::string fullConfig(const TempDir& dir) {
  dir.write("client_secret", "s3cr3t-client\n");
  dir.write("catalog_secret", std::string(kSecret) + "\n");
  return "[listen]\n"
         "address = 0.0.0.0\n"
         "port = 9090\n"
         "public_url = https://appkeeper.example.com/\n"
         "max_in_flight = 6\n"
         "[graph]\n"
         "base_url = http://127.0.0.1:4000/v1.0\n"
         "token_url = http://127.0.0.1:4000/{tenant}/oauth2/v2.0/token\n"
         "tenant_id = tenant-1\n"
         "client_id = client-1\n"
         "client_secret_file = " +
         dir.file("client_secret") +
         "\n"
         "requests_per_second = 12.5   ; below Graph's 30\n"
         "per_team_requests_per_second = 3\n"
         "timeout_seconds = 7\n"
         "ca_file = /etc/ssl/extra.pem\n"
         "[store]\n"
         "path = /tmp/x.db\n"
         "slow_commit_warn_ms = 25\n"
         "[workers]\n"
         "count = 3\n"
         "max_attempts = 5\n"
         "backoff_base_seconds = 1\n"
         "backoff_cap_seconds = 30\n"
         "lease_seconds = 15\n"
         "propagation_patience_hours = 2\n"
         "propagation_retry_seconds = 60\n"
         "shutdown_grace_seconds = 4\n"
         "[catalog_events]\n"
         "secret_file = " +
         dir.file("catalog_secret") +
         "\n"
         "[apps]\n"
         "watch = app-1, ext-2  app-3\n"
         "[subscriptions]\n"
         "lifetime_seconds = 7200\n"
         "renew_before_seconds = 3600\n"
         "[reconcile]\n"
         "interval_seconds = 600\n"
         "catalog_poll_seconds = 900\n"
         "[delegated]\n"
         "device_code_url = http://127.0.0.1:4000/{tenant}/oauth2/v2.0/devicecode\n"
         "scope = https://graph.microsoft.com/.default offline_access\n"
         "[log]\n"
         "level = debug\n";
}

// 32 bytes, base64.
const char* kDelegatedKey = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";

std::string errorOf(const Result<Config>& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::kInvalidInput);
  return r.error().message;
}

}  // namespace

TEST_CASE("every configuration key is parsed into the config struct", "[daemon][config]") {
  TempDir dir;
  auto config = parseConfig(fullConfig(dir), "/etc/appkeeper/appkeeper.ini", {});
  INFO((config ? "" : config.error().message));
  REQUIRE(config.ok());
  CHECK(config->file == "/etc/appkeeper/appkeeper.ini");
  CHECK(config->listen.address == "0.0.0.0");
  CHECK(config->listen.port == 9090);
  CHECK(config->listen.publicUrl == "https://appkeeper.example.com");
  CHECK(config->listen.maxInFlight == 6);
  CHECK(config->graph.baseUrl == "http://127.0.0.1:4000/v1.0");
  CHECK(config->graph.tokenEndpoint() == "http://127.0.0.1:4000/tenant-1/oauth2/v2.0/token");
  CHECK(config->graph.tenantId == "tenant-1");
  CHECK(config->graph.clientId == "client-1");
  CHECK(config->graph.clientSecret == "s3cr3t-client");
  CHECK(config->graph.requestsPerSecond == 12.5);
  CHECK(config->graph.perTeamRequestsPerSecond == 3);
  CHECK(config->graph.timeout == std::chrono::seconds(7));
  CHECK(config->graph.caFile == "/etc/ssl/extra.pem");
  CHECK(config->store.path == "/tmp/x.db");
  CHECK(config->store.slowCommitWarn == std::chrono::milliseconds(25));
  CHECK(config->workers.count == 3);
  CHECK(config->workers.maxAttempts == 5);
  CHECK(config->workers.backoffBase == std::chrono::seconds(1));
  CHECK(config->workers.backoffCap == std::chrono::seconds(30));
  CHECK(config->workers.lease == std::chrono::seconds(15));
  CHECK(config->workers.propagationPatience == std::chrono::hours(2));
  CHECK(config->workers.propagationRetry == std::chrono::seconds(60));
  CHECK(config->workers.shutdownGrace == std::chrono::seconds(4));
  CHECK(config->catalogEvents.secret == kSecret);
  CHECK(config->apps.watch == std::vector<std::string>{"app-1", "ext-2", "app-3"});
  CHECK(config->subscriptions.lifetime == std::chrono::seconds(7200));
  CHECK(config->subscriptions.renewBefore == std::chrono::seconds(3600));
  CHECK(config->reconcile.interval == std::chrono::seconds(600));
  CHECK(config->reconcile.catalogPollInterval == std::chrono::seconds(900));
  CHECK(config->delegated.deviceCodeEndpoint("tenant-1") ==
        "http://127.0.0.1:4000/tenant-1/oauth2/v2.0/devicecode");
  CHECK(config->delegated.scope == "https://graph.microsoft.com/.default offline_access");
  CHECK_FALSE(config->delegated.enabled());
  CHECK(config->log.level == "debug");
}

TEST_CASE("a delegated key file enables delegated upgrades and must hold 32 bytes",
          "[daemon][config]") {
  TempDir dir;
  dir.write("key", std::string(kDelegatedKey) + "\n");
  auto config = parseConfig(fullConfig(dir) + "[delegated]\nkey_file = " + dir.file("key") + "\n",
                            dir.file("appkeeper.ini"), {});
  INFO((config ? "" : config.error().message));
  REQUIRE(config.ok());
  CHECK(config->delegated.enabled());
  CHECK(config->delegated.key.size() == 32);

  dir.write("short", "c2hvcnQ=\n");
  auto bad = parseConfig(fullConfig(dir) + "[delegated]\nkey_file = " + dir.file("short") + "\n",
                         dir.file("appkeeper.ini"), {});
  auto message = errorOf(bad);
  CHECK(message.find("[delegated] key_file") != std::string::npos);
  CHECK(message.find("openssl rand -base64 32") != std::string::npos);
  CHECK(message.find("c2hvcnQ") == std::string::npos);
}

TEST_CASE("login and plan need the Graph credentials but not the catalog secret",
          "[daemon][config]") {
  TempDir dir;
  dir.write("cs", "x");
  auto config = parseConfig("[graph]\ntenant_id = t\nclient_id = c\nclient_secret_file = " +
                                dir.file("cs") + "\n",
                            "/a.ini", {}, {.forServe = true, .needsCatalogSecret = false});
  INFO((config ? "" : config.error().message));
  REQUIRE(config.ok());
  CHECK(config->graph.clientSecret == "x");
  CHECK(config->catalogEvents.secret.empty());
}

TEST_CASE("a renewal margin not below the subscription lifetime is refused", "[daemon][config]") {
  TempDir dir;
  auto config = parseConfig(fullConfig(dir), "/a.ini",
                            {{"APPKEEPER_SUBSCRIPTIONS_RENEW_BEFORE_SECONDS", "7200"}});
  CHECK(errorOf(config) ==
        "config /a.ini: [subscriptions] renew_before_seconds (7200) must be less than "
        "lifetime_seconds (7200)");
}

TEST_CASE("optional keys take their documented defaults", "[daemon][config]") {
  TempDir dir;
  dir.write("cs", "x");
  dir.write("ws", kSecret);
  auto config =
      parseConfig("[graph]\ntenant_id = t\nclient_id = c\nclient_secret_file = " + dir.file("cs") +
                      "\n[catalog_events]\nsecret_file = " + dir.file("ws") + "\n",
                  "/a.ini", {});
  REQUIRE(config.ok());
  CHECK(config->listen.address == "127.0.0.1");
  CHECK(config->listen.port == 8080);
  CHECK(config->listen.maxInFlight == 0);
  CHECK(config->graph.baseUrl == "https://graph.microsoft.com/v1.0");
  CHECK(config->graph.tokenEndpoint() == "https://login.microsoftonline.com/t/oauth2/v2.0/token");
  CHECK(config->graph.requestsPerSecond == 25);
  CHECK(config->graph.perTeamRequestsPerSecond == 4);
  CHECK(config->graph.timeout == std::chrono::seconds(30));
  CHECK(config->store.path == "/var/lib/appkeeper/appkeeper.db");
  CHECK(config->store.slowCommitWarn == std::chrono::milliseconds(100));
  CHECK(config->workers.count == 8);
  CHECK(config->workers.maxAttempts == 8);
  CHECK(config->workers.backoffBase == std::chrono::seconds(2));
  CHECK(config->workers.backoffCap == std::chrono::seconds(600));
  CHECK(config->workers.lease == std::chrono::seconds(60));
  CHECK(config->workers.propagationPatience == std::chrono::hours(48));
  CHECK(config->workers.propagationRetry == std::chrono::seconds(300));
  CHECK(config->workers.shutdownGrace == std::chrono::seconds(20));
  CHECK(config->apps.watch.empty());
  CHECK(config->subscriptions.lifetime == std::chrono::hours(71));
  CHECK(config->subscriptions.renewBefore == std::chrono::hours(24));
  CHECK(config->reconcile.interval == std::chrono::hours(24));
  CHECK(config->reconcile.catalogPollInterval == std::chrono::hours(24));
  CHECK(config->delegated.deviceCodeEndpoint("t") ==
        "https://login.microsoftonline.com/t/oauth2/v2.0/devicecode");
  CHECK_FALSE(config->delegated.enabled());
  CHECK(config->log.level == "info");
}

TEST_CASE("an APPKEEPER_<SECTION>_<KEY> variable overrides the file", "[daemon][config]") {
  TempDir dir;
  Environment env{{"APPKEEPER_WORKERS_LEASE_SECONDS", "3"},
                  {"APPKEEPER_GRAPH_REQUESTS_PER_SECOND", "40"},
                  {"APPKEEPER_CATALOG_EVENTS_SECRET_FILE", dir.file("other")},
                  {"APPKEEPER_BUILD_DIR", "/unrelated/variables/are/ignored"}};
  dir.write("other", "whsec_b3RoZXIta2V5");
  auto config = parseConfig(fullConfig(dir), "/a.ini", env);
  INFO((config ? "" : config.error().message));
  REQUIRE(config.ok());
  CHECK(config->workers.lease == std::chrono::seconds(3));
  CHECK(config->graph.requestsPerSecond == 40);
  CHECK(config->catalogEvents.secret == "whsec_b3RoZXIta2V5");
  CHECK(config->workers.count == 3);  // not overridden
  CHECK(envVarName("catalog_events", "secret_file") == "APPKEEPER_CATALOG_EVENTS_SECRET_FILE");
}

TEST_CASE("a secret given as a bare name is read from $CREDENTIALS_DIRECTORY", "[daemon][config]") {
  TempDir dir;
  TempDir credentials;
  credentials.write("client_secret", "from-systemd\n");
  credentials.write("catalog_secret", kSecret);
  const std::string text =
      "[graph]\ntenant_id = t\nclient_id = c\nclient_secret_file = client_secret\n"
      "[catalog_events]\nsecret_file = catalog_secret\n";
  auto config = parseConfig(text, "/a.ini", {{"CREDENTIALS_DIRECTORY", credentials.path()}});
  INFO((config ? "" : config.error().message));
  REQUIRE(config.ok());
  CHECK(config->graph.clientSecret == "from-systemd");
  CHECK(config->catalogEvents.secret == kSecret);

  CHECK(errorOf(parseConfig(text, "/a.ini", {})) ==
        "config /a.ini: [graph] client_secret_file: \"client_secret\" is a credential name, but "
        "$CREDENTIALS_DIRECTORY is not set (systemd LoadCredential=); give a path to the file "
        "instead");
}

TEST_CASE("a relative secret path is read from the config file's folder", "[daemon][config]") {
  TempDir dir;
  dir.write("client_secret", "rel");
  dir.write("catalog_secret", kSecret);
  auto config = parseConfig(
      "[graph]\ntenant_id = t\nclient_id = c\nclient_secret_file = ./client_secret\n"
      "[catalog_events]\nsecret_file = ./catalog_secret\n",
      dir.file("appkeeper.ini"), {});
  INFO((config ? "" : config.error().message));
  REQUIRE(config.ok());
  CHECK(config->graph.clientSecret == "rel");
}

TEST_CASE("a bad number is one line naming the key and the file", "[daemon][config]") {
  TempDir dir;
  std::string text = fullConfig(dir);
  text.replace(text.find("12.5"), 4, "abc");
  CHECK(errorOf(parseConfig(text, "/etc/appkeeper/appkeeper.ini", {})) ==
        "config /etc/appkeeper/appkeeper.ini: [graph] requests_per_second: \"abc\" is not a "
        "number");
  CHECK(errorOf(parseConfig(fullConfig(dir), "/a.ini", {{"APPKEEPER_WORKERS_COUNT", "0"}})) ==
        "config /a.ini: [workers] count (from APPKEEPER_WORKERS_COUNT): \"0\" is out of range "
        "(1..256)");
  CHECK(errorOf(parseConfig(fullConfig(dir), "/a.ini", {{"APPKEEPER_LISTEN_PORT", "8o80"}})) ==
        "config /a.ini: [listen] port (from APPKEEPER_LISTEN_PORT): \"8o80\" is not a number");
  // The listener has 128 threads: a cap of 128 would leave none for the health probes.
  CHECK(errorOf(parseConfig(fullConfig(dir), "/a.ini", {{"APPKEEPER_LISTEN_MAX_IN_FLIGHT", "128"}})) ==
        "config /a.ini: [listen] max_in_flight (from APPKEEPER_LISTEN_MAX_IN_FLIGHT): \"128\" is "
        "out of range (0..127)");
  CHECK(errorOf(parseConfig(fullConfig(dir), "/a.ini",
                            {{"APPKEEPER_STORE_SLOW_COMMIT_WARN_MS", "0"}})) ==
        "config /a.ini: [store] slow_commit_warn_ms (from APPKEEPER_STORE_SLOW_COMMIT_WARN_MS): "
        "\"0\" is out of range (1..60000)");
}

TEST_CASE("a missing required key is one line naming the key and the file", "[daemon][config]") {
  TempDir dir;
  std::string text = fullConfig(dir);
  text.erase(text.find("tenant_id"), std::string("tenant_id = tenant-1\n").size());
  CHECK(errorOf(parseConfig(text, "/a.ini", {})) ==
        "config /a.ini: [graph] tenant_id is missing (set it in the file or in "
        "APPKEEPER_GRAPH_TENANT_ID)");
}

TEST_CASE("an unreadable secret file is one line naming the key, the path and the reason",
          "[daemon][config]") {
  TempDir dir;
  std::string text = fullConfig(dir);
  text.replace(text.find(dir.file("client_secret")), dir.file("client_secret").size(),
               dir.file("nope"));
  CHECK(errorOf(parseConfig(text, "/a.ini", {})) ==
        "config /a.ini: [graph] client_secret_file: cannot read \"" + dir.file("nope") +
            "\": No such file or directory");
}

TEST_CASE("a catalog secret that is not whsec_<base64> is refused without echoing it",
          "[daemon][config]") {
  TempDir dir;
  std::string text = fullConfig(dir);
  dir.write("catalog_secret", "hunter2-not-a-webhook-secret");
  std::string message = errorOf(parseConfig(text, "/a.ini", {}));
  CHECK(message.rfind("config /a.ini: [catalog_events] secret_file: " + dir.file("catalog_secret"),
                      0) == 0);
  CHECK(message.find("hunter2") == std::string::npos);
}

TEST_CASE("unknown sections and keys are errors with the file and line", "[daemon][config]") {
  TempDir dir;
  CHECK(errorOf(parseConfig(fullConfig(dir) + "[wokers]\ncount = 3\n", "/a.ini", {})) ==
        "config /a.ini:44: unknown section [wokers] (known: listen, admin, graph, store, "
        "workers, catalog_events, apps, subscriptions, reconcile, delegated, log)");
  std::string message =
      errorOf(parseConfig("[workers]\ncuont = 3\n", "/a.ini", {}, {.forServe = false}));
  CHECK(message.rfind("config /a.ini:2: unknown key [workers] cuont (known: count, ", 0) == 0);
}

TEST_CASE("syntax errors name the file and the line", "[daemon][config]") {
  CHECK(errorOf(parseConfig("[graph]\n\n; fine\nthis line is wrong\n", "/a.ini", {})) ==
        "config /a.ini:4: expected \"[section]\" or \"key = value\", got \"this line is wrong\"");
  CHECK(errorOf(parseConfig("[graph\n", "/a.ini", {})) ==
        "config /a.ini:1: a section header must end with ']': \"[graph\"");
  CHECK(errorOf(parseConfig("port = 1\n", "/a.ini", {})) ==
        "config /a.ini:1: key \"port\" comes before any [section]");
  CHECK(errorOf(parseConfig("[store]\npath = a\npath = b\n", "/a.ini", {})) ==
        "config /a.ini:3: [store] path is set twice (first on line 2)");
}

TEST_CASE("the inspection commands need neither secrets nor the serve-only keys",
          "[daemon][config]") {
  auto config = parseConfig("[store]\npath = /data/a.db\n[graph]\nclient_secret_file = nope\n",
                            "/a.ini", {}, {.forServe = false});
  INFO((config ? "" : config.error().message));
  REQUIRE(config.ok());
  CHECK(config->store.path == "/data/a.db");
  CHECK(config->graph.clientSecret.empty());
}

TEST_CASE("a config file that cannot be read is reported with its path", "[daemon][config]") {
  auto config = loadConfig("/nonexistent/appkeeper.ini", {});
  CHECK(errorOf(config) ==
        "config /nonexistent/appkeeper.ini: cannot read the file: No such file or directory "
        "(give another one with --config FILE)");
}

TEST_CASE("the ini parser keeps values with inner ';' and '#' and strips trailing comments",
          "[daemon][config]") {
  auto ini = IniFile::parse("[A]\nurl = https://h/#x;y ; comment\nKey=v # c\n", "f");
  REQUIRE(ini.ok());
  CHECK(ini->get("a", "url")->value == "https://h/#x;y");
  CHECK(ini->get("a", "key")->value == "v");
  CHECK(ini->get("a", "key")->line == 3);
}
