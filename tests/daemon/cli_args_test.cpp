#include "daemon/cli_args.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon/commands.h"
#include "daemon/config.h"
#include "fakes/temp_dir.h"
#include "store/store.h"

using namespace appkeeper;
using namespace appkeeper::daemon;

namespace {

const WallTime kNow = fromUnixMillis(1'800'000'000'000);

CommandLine parseOk(const std::vector<std::string>& args) {
  auto cl = parseCommandLine(args, kNow);
  INFO((cl ? "" : cl.error().message));
  REQUIRE(cl.ok());
  return *cl;
}

std::string usageError(const std::vector<std::string>& args) {
  auto cl = parseCommandLine(args, kNow);
  REQUIRE_FALSE(cl.ok());
  CHECK(cl.error().kind == ErrorKind::kInvalidInput);
  return cl.error().message;
}

struct Run {
  int code;
  std::string out, err;
};

Run run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = runApp(args, {}, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("help flags, help COMMAND and COMMAND --help print help and exit 0", "[daemon][cli]") {
  CHECK(parseOk({"--help"}).command == Command::kHelp);
  CHECK_FALSE(parseOk({"-h"}).helpFor.has_value());
  CHECK(parseOk({"help", "jobs"}).helpFor == Command::kJobs);
  auto cl = parseOk({"audit", "--app", "x", "--help"});
  CHECK(cl.command == Command::kHelp);
  CHECK(cl.helpFor == Command::kAudit);

  Run overview = run({"--help"});
  CHECK(overview.code == 0);
  CHECK(overview.out.find("appkeeper serve [--config FILE]") != std::string::npos);
  CHECK(overview.err.empty());
  Run audit = run({"audit", "--help"});
  CHECK(audit.code == 0);
  CHECK(audit.out.rfind("Usage: appkeeper audit", 0) == 0);
  CHECK(run({"serve", "--help"}).out.rfind("Usage: appkeeper serve", 0) == 0);
  CHECK(run({"jobs", "--help"}).out.rfind("Usage: appkeeper jobs", 0) == 0);
  CHECK(run({"--version"}).out.rfind("appkeeper ", 0) == 0);
}

TEST_CASE("an unknown option, command or a missing value is a usage error, exit code 2",
          "[daemon][cli]") {
  CHECK(usageError({"audit", "--bogus"}) ==
        "unknown option \"--bogus\" for audit (see: appkeeper audit --help)");
  CHECK(usageError({"frobnicate"}) == "unknown command \"frobnicate\" (see: appkeeper --help)");
  CHECK(usageError({}) ==
        "no command given: use serve, status, audit, jobs, plan or login (see: appkeeper --help)");
  CHECK(usageError({"jobs", "--state"}) == "--state needs a value (see: appkeeper jobs --help)");
  CHECK(usageError({"serve", "--db", "x"}) ==
        "unknown option \"--db\" for serve (see: appkeeper serve --help)");
  CHECK(usageError({"audit", "stray"}) ==
        "unexpected argument \"stray\" for audit (see: appkeeper audit --help)");

  Run r = run({"audit", "--bogus"});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "appkeeper: unknown option \"--bogus\" for audit (see: appkeeper audit --help)\n");
}

TEST_CASE("option values are checked while parsing", "[daemon][cli]") {
  CHECK(usageError({"audit", "--format", "xml"}) ==
        "--format \"xml\": use table or jsonl (see: appkeeper audit --help)");
  CHECK(usageError({"audit", "--limit", "-3"}).rfind("--limit \"-3\"", 0) == 0);
  CHECK(usageError({"audit", "--outcome", "upgrade"})
            .rfind("--outcome \"upgrade\": use one of upgraded, ", 0) == 0);
  CHECK(usageError({"audit", "--since", "yesterday"}).rfind("--since \"yesterday\"", 0) == 0);
  CHECK(usageError({"jobs", "--state", "done"}).rfind("--state \"done\"", 0) == 0);
  CHECK(usageError({"jobs", "--db", "a.db", "--config", "b.ini"}) ==
        "give --config or --db, not both (see: appkeeper jobs --help)");
}

TEST_CASE("serve takes --config and defaults to /etc/appkeeper/appkeeper.ini", "[daemon][cli]") {
  CHECK(parseOk({"serve"}).store.configPath == kDefaultConfigPath);
  auto cl = parseOk({"serve", "--config", "/tmp/a.ini"});
  CHECK(cl.command == Command::kServe);
  CHECK(cl.store.configPath == "/tmp/a.ini");
  CHECK(parseOk({"serve", "--config=/tmp/b.ini"}).store.configPath == "/tmp/b.ini");
}

TEST_CASE("audit options are parsed into filters", "[daemon][cli]") {
  auto cl = parseOk({"audit", "--db", "/d.db", "--format", "jsonl", "--app", "A", "--team", "T",
                     "--outcome", "needs-delegated-consent", "--since", "2h", "--limit", "7"});
  CHECK(cl.command == Command::kAudit);
  CHECK(cl.store.dbPath == "/d.db");
  CHECK(cl.audit.format == OutputFormat::kJsonl);
  CHECK(cl.audit.app == "A");
  CHECK(cl.audit.team == "T");
  CHECK(cl.audit.outcome == "needs-delegated-consent");
  CHECK(cl.audit.since == kNow - std::chrono::hours(2));
  CHECK(cl.audit.limit == 7);
}

TEST_CASE("the table shows the newest 50 audit records unless told otherwise; jsonl shows all",
          "[daemon][cli]") {
  CHECK(parseOk({"audit"}).audit.limit == 50);
  CHECK(parseOk({"audit", "--format", "jsonl"}).audit.limit == 0);
  CHECK(parseOk({"audit", "--limit", "0"}).audit.limit == 0);
  CHECK(parseOk({"jobs", "--state", "failed"}).jobs.limit == 100);
  CHECK(parseOk({"jobs", "--format=jsonl", "--state=queued"}).jobs.limit == 0);
  CHECK(parseOk({"jobs", "--state", "blocked"}).jobs.state == store::JobState::kBlocked);
}

TEST_CASE("a config error in audit or jobs exits 2, an unreadable database exits 1",
          "[daemon][cli]") {
  Run config = run({"jobs", "--config", "/nonexistent/appkeeper.ini"});
  CHECK(config.code == 2);
  CHECK(config.err.rfind("appkeeper: config /nonexistent/appkeeper.ini: cannot read the file", 0) ==
        0);
  Run db = run({"audit", "--db", "/nonexistent/appkeeper.db"});
  CHECK(db.code == 1);
  CHECK(db.err.rfind("appkeeper: cannot open the database /nonexistent/appkeeper.db read-only: ",
                     0) == 0);
}

TEST_CASE("plan needs --app and takes --config and --format table|json", "[daemon][cli]") {
  auto cl = parseOk({"plan", "--app", "app-1", "--config", "/tmp/a.ini", "--format", "json"});
  CHECK(cl.command == Command::kPlan);
  CHECK(cl.plan.app == "app-1");
  CHECK(cl.plan.format == ReportFormat::kJson);
  CHECK(cl.store.configPath == "/tmp/a.ini");
  CHECK(parseOk({"plan", "--app=x"}).plan.format == ReportFormat::kTable);
  CHECK(usageError({"plan"}) ==
        "plan needs --app ID (the catalog id or externalId of the app) (see: appkeeper plan "
        "--help)");
  CHECK(usageError({"plan", "--app", "x", "--format", "jsonl"}) ==
        "--format \"jsonl\": use table or json (see: appkeeper plan --help)");
  CHECK(usageError({"plan", "--app", "x", "--db", "a.db"}) ==
        "unknown option \"--db\" for plan (see: appkeeper plan --help)");
}

TEST_CASE("status takes --config or --db and --format table|json", "[daemon][cli]") {
  auto cl = parseOk({"status", "--db", "/d.db", "--format", "json"});
  CHECK(cl.command == Command::kStatus);
  CHECK(cl.store.dbPath == "/d.db");
  CHECK(cl.status.format == ReportFormat::kJson);
  CHECK(parseOk({"status"}).status.format == ReportFormat::kTable);
  CHECK(usageError({"status", "--db", "a.db", "--config", "b.ini"}) ==
        "give --config or --db, not both (see: appkeeper status --help)");
}

TEST_CASE("login takes only --config", "[daemon][cli]") {
  auto cl = parseOk({"login", "--config", "/tmp/a.ini"});
  CHECK(cl.command == Command::kLogin);
  CHECK(cl.store.configPath == "/tmp/a.ini");
  CHECK(usageError({"login", "--db", "x"}) ==
        "unknown option \"--db\" for login (see: appkeeper login --help)");
}

TEST_CASE("the help covers status, plan and login", "[daemon][cli]") {
  Run overview = run({"--help"});
  CHECK(overview.out.find("appkeeper plan  --app ID") != std::string::npos);
  CHECK(overview.out.find("appkeeper login [--config FILE]") != std::string::npos);
  CHECK(overview.out.find("appkeeper status [--config FILE | --db PATH]") != std::string::npos);
  CHECK(run({"plan", "--help"}).out.rfind("Usage: appkeeper plan --app ID", 0) == 0);
  CHECK(run({"help", "login"}).out.rfind("Usage: appkeeper login", 0) == 0);
  CHECK(run({"status", "--help"}).out.find("delegated sign-in") != std::string::npos);
}

TEST_CASE("login without [delegated] key_file exits 2 saying how to create the key",
          "[daemon][cli]") {
  appkeeper::testing::TempDir dir;
  std::ofstream(dir.file("client_secret")) << "secret\n";
  std::ofstream(dir.file("appkeeper.ini"))
      << "[graph]\ntenant_id = t\nclient_id = c\nclient_secret_file = " << dir.file("client_secret")
      << "\n[store]\npath = " << dir.file("appkeeper.db") << "\n";
  Run r = run({"login", "--config", dir.file("appkeeper.ini")});
  CHECK(r.code == 2);
  CHECK(r.err.find("openssl rand -base64 32") != std::string::npos);
  CHECK(r.err.find("[delegated] key_file") != std::string::npos);

  // A key file that is named but missing is a configuration error too, with the same hint.
  Environment env{{"APPKEEPER_DELEGATED_KEY_FILE", dir.file("missing.key")}};
  std::ostringstream out, err;
  CHECK(runApp({"login", "--config", dir.file("appkeeper.ini")}, env, out, err) == 2);
  CHECK(err.str().find("openssl rand -base64 32") != std::string::npos);
}

TEST_CASE("status of a fresh database prints a summary and exits 0", "[daemon][cli]") {
  appkeeper::testing::TempDir dir;
  SystemClock clock;
  { REQUIRE(store::Store::open(dir.file("a.db"), clock).ok()); }
  Run r = run({"status", "--db", dir.file("a.db")});
  CHECK(r.code == 0);
  CHECK(r.out.find("Subscriptions: none\nJobs: none\n") == 0);
  CHECK(r.out.find("Delegated sign-in: none") != std::string::npos);
  Run j = run({"status", "--db", dir.file("a.db"), "--format", "json"});
  CHECK(j.code == 0);
  CHECK(nlohmann::json::parse(j.out)["delegatedLogin"]["state"] == "none");
}
