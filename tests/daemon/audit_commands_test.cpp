// `appkeeper audit verify` and `appkeeper audit export`, run in-process through runApp on a real
// database file in a temp dir; AtomicFile, which export --output writes through.
#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon/atomic_file.h"
#include "daemon/cli_args.h"
#include "daemon/commands.h"
#include "daemon/time_text.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "store/store.h"

using namespace appkeeper;
using namespace appkeeper::daemon;

namespace {

const WallTime kNow = fromUnixMillis(1'800'000'000'000);

struct Run {
  int code;
  std::string out, err;
};

Run run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = runApp(args, {}, out, err);
  return {code, out.str(), err.str()};
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> filesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A database with three audit records one minute apart, the second about a job and with
// permissions, and the records as the store reads them back.
struct AuditDb {
  appkeeper::testing::TempDir dir;
  appkeeper::testing::FakeClock clock{kNow};
  std::string path = dir.file("appkeeper.db");
  std::vector<store::AuditRecord> records;

  AuditDb() {
    auto opened = store::Store::open(path, clock);
    REQUIRE(opened.ok());
    auto& db = **opened;
    REQUIRE(db.enqueue({{"tenant-1", "team-1", "inst-1", "app-1", "1.0.0", "2.0.0", {}}}).ok());
    const int64_t jobId = db.listJobs(std::nullopt, 1).value().front().id;
    for (int i = 1; i <= 3; ++i) {
      store::AuditRecord r;
      r.event = "upgrade";
      r.tenantId = "tenant-1";
      r.teamId = "team-" + std::to_string(i);
      r.installationId = "inst-" + std::to_string(i);
      r.teamsAppId = "app-1";
      r.fromVersion = "1.0.0";
      r.toVersion = "2.0.0";
      r.outcome = i == 2 ? "failed" : "upgraded";
      r.httpStatus = i == 2 ? 403 : 204;
      r.requestId = "req-" + std::to_string(i);
      r.attempt = i;
      r.detail = "record \"" + std::to_string(i) + "\"\nwith a line break";
      if (i == 2) {
        r.jobId = jobId;
        r.permissions = {{"TeamSettings.Read.Group", "application"}};
      }
      REQUIRE(db.appendAudit(r).ok());
      clock.advance(std::chrono::minutes(1));
    }
    records = db.queryAudit({}).value();
    REQUIRE(records.size() == 3);
  }

  void tamper(const std::string& sql) const {
    SQLite::Database raw(path, SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;");
    raw.exec(sql);
  }
};

}  // namespace

TEST_CASE("audit verify and audit export are subcommands with their own options", "[daemon][cli]") {
  auto verify = parseCommandLine({"audit", "verify", "--db", "/d.db"}, kNow);
  REQUIRE(verify.ok());
  CHECK(verify->command == Command::kAudit);
  CHECK(verify->audit.action == AuditAction::kVerify);
  CHECK(verify->store.dbPath == "/d.db");

  auto exported =
      parseCommandLine({"audit", "export", "--since", "2h", "--output=/tmp/a.jsonl"}, kNow);
  REQUIRE(exported.ok());
  CHECK(exported->audit.action == AuditAction::kExport);
  CHECK(exported->audit.since == kNow - std::chrono::hours(2));
  CHECK(exported->audit.output == "/tmp/a.jsonl");
  CHECK(exported->audit.limit == 0);  // export writes everything

  auto list = parseCommandLine({"audit"}, kNow);
  REQUIRE(list.ok());
  CHECK(list->audit.action == AuditAction::kList);

  auto help = parseCommandLine({"audit", "verify", "--help"}, kNow);
  REQUIRE(help.ok());
  CHECK(help->command == Command::kHelp);
  CHECK(help->helpFor == Command::kAudit);

  const auto usage = [](const std::vector<std::string>& args) {
    auto cl = parseCommandLine(args, kNow);
    REQUIRE_FALSE(cl.ok());
    return cl.error().message;
  };
  CHECK(usage({"audit", "verify", "--since", "1h"}) ==
        "unknown option \"--since\" for audit verify (see: appkeeper audit verify --help)");
  CHECK(usage({"audit", "export", "--format", "table"}) ==
        "unknown option \"--format\" for audit export (see: appkeeper audit export --help)");
  CHECK(usage({"audit", "export", "--output", ""}) ==
        "--output needs a value (see: appkeeper audit export --help)");
  CHECK(usage({"audit", "export", "--db", "a.db", "--config", "b.ini"}) ==
        "give --config or --db, not both (see: appkeeper audit export --help)");
}

TEST_CASE("the help names audit verify and audit export", "[daemon][cli]") {
  Run overview = run({"--help"});
  CHECK(overview.out.find("appkeeper audit verify [--config FILE | --db PATH]") !=
        std::string::npos);
  CHECK(overview.out.find("appkeeper audit export") != std::string::npos);
  Run audit = run({"audit", "verify", "--help"});
  CHECK(audit.code == 0);
  CHECK(audit.out.rfind("Usage: appkeeper audit", 0) == 0);
  CHECK(audit.out.find("appkeeper audit export [--config FILE | --db PATH] [--since AGE|TIME]") !=
        std::string::npos);
  CHECK(audit.out.find("hash mismatch, broken link, gap in ids") != std::string::npos);
}

TEST_CASE("audit verify of an intact log prints the count and the last hash and exits 0",
          "[daemon][cli]") {
  AuditDb db;
  Run r = run({"audit", "verify", "--db", db.path});
  CHECK(r.code == 0);
  CHECK(r.out == "audit chain ok: 3 records, last hash " + db.records.back().hash + "\n");
  CHECK(r.err.empty());
}

TEST_CASE("audit verify of a fresh database says the chain is ok and empty", "[daemon][cli]") {
  appkeeper::testing::TempDir dir;
  appkeeper::testing::FakeClock clock;
  { REQUIRE(store::Store::open(dir.file("a.db"), clock).ok()); }
  Run r = run({"audit", "verify", "--db", dir.file("a.db")});
  CHECK(r.code == 0);
  CHECK(r.out == "audit chain ok: 0 records\n");
}

TEST_CASE("audit verify of a changed record names it, its time and event, and exits 1",
          "[daemon][cli]") {
  AuditDb db;
  db.tamper("UPDATE audit SET outcome = 'upgraded', http_status = 204 WHERE id = 2");
  Run r = run({"audit", "verify", "--db", db.path});
  CHECK(r.code == 1);
  CHECK(r.out.rfind("audit chain broken at record 2 (" + formatRfc3339(db.records[1].time) +
                        ", upgrade): hash mismatch: ",
                    0) == 0);
  CHECK(r.out.find("1 record verified before it (last good record 1, hash " + db.records[0].hash +
                   ")") != std::string::npos);
}

TEST_CASE("audit verify of a log with a deleted record names the gap and exits 1",
          "[daemon][cli]") {
  AuditDb db;
  db.tamper("DELETE FROM audit WHERE id = 2");
  Run r = run({"audit", "verify", "--db", db.path});
  CHECK(r.code == 1);
  CHECK(r.out.rfind("audit chain broken at record 3 (", 0) == 0);
  CHECK(r.out.find("gap in ids: ids jump from 1 to 3") != std::string::npos);
}

TEST_CASE("audit verify of a missing database exits 1 without creating it", "[daemon][cli]") {
  appkeeper::testing::TempDir dir;
  Run r = run({"audit", "verify", "--db", dir.file("none.db")});
  CHECK(r.code == 1);
  CHECK(r.err.rfind("appkeeper: cannot open the database ", 0) == 0);
  CHECK(filesIn(dir.path()).empty());
}

TEST_CASE("audit export writes one JSON object per record, in id order, with every field",
          "[daemon][cli]") {
  AuditDb db;
  Run r = run({"audit", "export", "--db", db.path});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  std::istringstream lines(r.out);
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    REQUIRE(n < db.records.size());
    const store::AuditRecord& want = db.records[n++];
    const auto j = nlohmann::json::parse(line);  // each line on its own
    CHECK(j["id"] == want.id);
    CHECK(parseRfc3339(j["time"].get<std::string>()) == want.time);
    CHECK(j["event"] == want.event);
    CHECK(j["tenantId"] == want.tenantId);
    CHECK(j["teamId"] == want.teamId);
    CHECK(j["installationId"] == want.installationId);
    CHECK(j["teamsAppId"] == want.teamsAppId);
    CHECK(j["fromVersion"] == want.fromVersion);
    CHECK(j["toVersion"] == want.toVersion);
    CHECK(j["outcome"] == want.outcome);
    CHECK(j["httpStatus"] == want.httpStatus);
    CHECK(j["requestId"] == want.requestId);
    CHECK(j["attempt"] == want.attempt);
    CHECK(j["detail"] == want.detail);
    CHECK(j["permissions"].size() == want.permissions.size());
    for (size_t i = 0; i < want.permissions.size(); ++i) {
      CHECK(j["permissions"][i]["permissionValue"] == want.permissions[i].value);
      CHECK(j["permissions"][i]["permissionType"] == want.permissions[i].type);
    }
    CHECK((want.jobId ? j["jobId"] == *want.jobId : j["jobId"].is_null()));
    CHECK(j["prevHash"] == want.prevHash);
    CHECK(j["hash"] == want.hash);
  }
  CHECK(n == 3);
}

TEST_CASE("audit export --since starts at that time", "[daemon][cli]") {
  AuditDb db;
  Run r = run({"audit", "export", "--db", db.path, "--since", formatRfc3339(db.records[1].time)});
  REQUIRE(r.code == 0);
  std::istringstream lines(r.out);
  std::string line;
  std::vector<int64_t> ids;
  while (std::getline(lines, line)) ids.push_back(nlohmann::json::parse(line)["id"].get<int64_t>());
  CHECK(ids == std::vector<int64_t>{2, 3});
}

TEST_CASE("audit export --output replaces the file with the same lines and leaves no temp file",
          "[daemon][cli]") {
  AuditDb db;
  const std::string outDir = db.dir.file("out");
  std::filesystem::create_directory(outDir);
  const std::string target = outDir + "/audit.jsonl";
  std::ofstream(target) << "an older export\n";
  Run r = run({"audit", "export", "--db", db.path, "--output", target});
  REQUIRE(r.code == 0);
  CHECK(r.out == "exported 3 audit records to " + target + "\n");
  CHECK(readFile(target) == run({"audit", "export", "--db", db.path}).out);
  CHECK(filesIn(outDir) == std::vector<std::string>{"audit.jsonl"});
}

TEST_CASE("audit export into a missing directory exits 1 and writes nothing", "[daemon][cli]") {
  AuditDb db;
  Run r = run({"audit", "export", "--db", db.path, "--output", db.dir.file("no/such/a.jsonl")});
  CHECK(r.code == 1);
  CHECK(r.err.rfind("appkeeper: cannot export the audit log: cannot create a temporary file", 0) ==
        0);
  CHECK_FALSE(std::filesystem::exists(db.dir.file("no")));
}

TEST_CASE("an AtomicFile that is not committed leaves the target as it was and no temp file",
          "[daemon]") {
  appkeeper::testing::TempDir dir;
  const std::string target = dir.write("target.txt", "old\n");
  {
    auto file = AtomicFile::create(target);
    REQUIRE(file.ok());
    (*file)->stream() << "half of the new content";
    CHECK(filesIn(dir.path()).size() == 2);  // the temp file exists while writing
  }
  CHECK(readFile(target) == "old\n");
  CHECK(filesIn(dir.path()) == std::vector<std::string>{"target.txt"});

  auto file = AtomicFile::create(target);
  REQUIRE(file.ok());
  (*file)->stream() << "new\n";
  REQUIRE((*file)->commit().ok());
  CHECK(readFile(target) == "new\n");
  CHECK(filesIn(dir.path()) == std::vector<std::string>{"target.txt"});
  CHECK((*file)->commit().error().kind == ErrorKind::kInternal);  // once only
}
