// Migrations by user_version, the claim's query plan, integrity.
#include "store/schema.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <catch2/catch.hpp>

#include "store/job_sql.h"
#include "store_test_support.h"

namespace appkeeper::store::testing {
namespace {

int userVersionOf(const std::string& path) {
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  return userVersion(raw);
}

}  // namespace

TEST_CASE("a fresh database reaches the latest schema version and reopening changes nothing",
          "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("fresh.db");
  REQUIRE(Store::latestSchemaVersion() >= 1);
  {
    auto store = openOk(path, clock);
    CHECK(store->schemaVersion() == Store::latestSchemaVersion());
    must(store->enqueue({spec("a")}));
  }
  CHECK(userVersionOf(path) == Store::latestSchemaVersion());
  {
    auto store = openOk(path, clock);
    CHECK(store->schemaVersion() == Store::latestSchemaVersion());
    CHECK(must(store->listJobs(std::nullopt, 0)).size() == 1);  // data kept, nothing re-created
  }
  CHECK(userVersionOf(path) == Store::latestSchemaVersion());
}

TEST_CASE("a read-write store opens its database in WAL mode with foreign keys on", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("wal.db");
  auto store = openOk(path, clock);
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("PRAGMA journal_mode").getString() == "wal");
  // A job naming an inbox item that does not exist is refused by the foreign key.
  JobSpec orphan = spec("a");
  orphan.inboxId = 12345;
  CHECK_FALSE(store->enqueue({orphan}).ok());
}

TEST_CASE("a database with a newer schema version is refused, naming both versions", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("future.db");
  openOk(path, clock);
  {
    SQLite::Database raw(path, SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA user_version = 999");
  }
  const auto mode = GENERATE(OpenMode::kReadWrite, OpenMode::kReadOnly);
  const auto opened = Store::open(path, clock, mode);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(opened.error().message,
             Catch::Contains("999") &&
                 Catch::Contains(std::to_string(Store::latestSchemaVersion())) &&
                 Catch::Contains("newer"));
  CHECK(userVersionOf(path) == 999);
}

TEST_CASE("a failing migration step rolls back and leaves the last good version", "[store]") {
  TempDir dir;
  const std::string path = dir.file("steps.db");
  SQLite::Database raw(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  const std::vector<MigrationStep> steps = {
      {"create a", "CREATE TABLE a (x INTEGER);"},
      {"create b, then fail", "CREATE TABLE b (x INTEGER); INSERT INTO no_such_table VALUES (1);"},
  };
  const auto migrated = migrate(raw, steps);
  REQUIRE_FALSE(migrated.ok());
  CHECK_THAT(migrated.error().message, Catch::Contains("migration step 2"));
  CHECK(userVersion(raw) == 1);
  CHECK(raw.tableExists("a"));
  CHECK_FALSE(raw.tableExists("b"));  // the failed step left nothing behind

  const std::vector<MigrationStep> fixed = {steps[0], {"create b", "CREATE TABLE b (x INTEGER);"}};
  CHECK(must(migrate(raw, fixed)) == 2);  // resumes at step 2, does not re-run step 1
  CHECK(raw.tableExists("b"));
}

TEST_CASE("the job claim is served by the partial due index without sorting", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("plan.db");
  auto store = openOk(path, clock);
  std::vector<JobSpec> batch;
  for (int i = 0; i < 200; ++i) batch.push_back(spec("team-" + std::to_string(i)));
  must(store->enqueue(batch));

  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  SQLite::Statement plan(raw, "EXPLAIN QUERY PLAN " + claimJobSql());
  std::string details;
  while (plan.executeStep()) details += plan.getColumn(3).getString() + "\n";
  INFO(details);
  CHECK_THAT(details, Catch::Contains("USING INDEX jobs_due"));
  CHECK_THAT(details, !Catch::Contains("TEMP B-TREE"));
  CHECK_THAT(details, !Catch::Contains("SCAN jobs"));
}

TEST_CASE("the integrity check of a healthy database says ok", "[store]") {
  TempDir dir;
  FakeClock clock;
  auto store = openOk(dir.file("ok.db"), clock);
  must(store->enqueue({spec("a")}));
  CHECK(must(store->integrityCheck()) == "ok");
}

}  // namespace appkeeper::store::testing
