#include "daemon/cli_args.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "daemon/commands.h"
#include "daemon/config.h"

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
  CHECK(usageError({}) == "no command given: use serve, audit or jobs (see: appkeeper --help)");
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
