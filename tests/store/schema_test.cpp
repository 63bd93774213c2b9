// Migrations by user_version (including a populated schema 1 file brought to schema 2), the query
// plans of the hot lookups, integrity.
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

std::string queryPlan(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement plan(db, "EXPLAIN QUERY PLAN " + sql);
  std::string details;
  while (plan.executeStep()) details += plan.getColumn(3).getString() + "\n";
  return details;
}

}  // namespace

TEST_CASE("a fresh database reaches the latest schema version and reopening changes nothing",
          "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("fresh.db");
  REQUIRE(Store::latestSchemaVersion() == 3);
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

TEST_CASE("a populated schema 1 database migrates to schema 2 keeping every row", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("v1.db");
  {
    // Exactly what a schema 1 binary wrote: step 1 only, then rows in its tables.
    SQLite::Database raw(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    REQUIRE(must(migrate(raw, migrations().first(1))) == 1);
    raw.exec(
        "INSERT INTO subscriptions (id, resource, client_state, expiration) "
        "VALUES ('sub-1', '/appCatalogs/teamsApps/app-1/installations', 'secret-state', 42);"
        "INSERT INTO inventory VALUES ('tenant-1', 'team-a', 'inst-a', 'app-1', 'def-1', "
        "'1.0.0', 7);"
        "INSERT INTO jobs (tenant_id, team_id, installation_id, teams_app_id, from_version, "
        "target_version, state, run_at, created_at, updated_at, last_error) VALUES ('tenant-1', "
        "'team-a', 'inst-a', 'app-1', '1.0.0', '2.0.0', 'blocked', 1, 1, 1, 'needs consent');"
        "INSERT INTO audit (recorded_at, event, tenant_id, team_id, installation_id, teams_app_id, "
        "from_version, to_version, outcome, http_status, request_id, attempt, detail, job_id) "
        "VALUES (5, 'upgrade', 'tenant-1', 'team-a', 'inst-a', 'app-1', '1.0.0', '2.0.0', "
        "'needs-delegated-consent', 403, 'req-1', 1, 'needs consent', 1);");
  }
  REQUIRE(userVersionOf(path) == 1);

  auto store = openOk(path, clock);
  CHECK(store->schemaVersion() == Store::latestSchemaVersion());  // through 2 to the latest
  CHECK(userVersionOf(path) == Store::latestSchemaVersion());

  const auto sub = must(store->subscription("sub-1"));
  REQUIRE(sub);
  CHECK(sub->clientState == "secret-state");
  CHECK(sub->expiration == fromUnixMillis(42));
  CHECK(sub->teamsAppId.empty());  // the new column's default for old rows

  const auto row = must(store->installationById("tenant-1", "inst-a"));
  REQUIRE(row);
  CHECK(row->version == "1.0.0");
  const auto job = must(store->latestJobForInstallation("tenant-1", "team-a", "inst-a"));
  REQUIRE(job);
  CHECK(job->state == JobState::kBlocked);
  CHECK(job->lastError == "needs consent");
  const auto records = must(store->queryAudit({}));
  REQUIRE(records.size() == 1);
  CHECK(records[0].outcome == "needs-delegated-consent");

  // The old rows work with the new operations, and the new tables are there.
  CHECK(must(store->unblockAllJobs("signed in")) == 1);
  must(store->requestReconciliation("first start"));
  CHECK(must(store->noteCatalogVersion("tenant-1", "app-1", "2.0.0")));
  must(store->setScheduleLastRun("catalog-poll", clock.now()));
  must(store->putDelegatedCredential({"c2VhbGVk", "", clock.now(), ""}));
  CHECK(must(store->integrityCheck()) == "ok");
}

TEST_CASE(
    "an installation's newest job and an installation by id are found through their indexes "
    "without sorting (the lookups of installation notifications)",
    "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("lookup-plans.db");
  openOk(path, clock);
  SQLite::Database raw(path, SQLite::OPEN_READONLY);

  const std::string latestJob = queryPlan(
      raw,
      "SELECT " + jobColumns() +
          " FROM jobs WHERE tenant_id = 't' AND team_id = 'a' AND installation_id = 'i' "
          "ORDER BY id DESC LIMIT 1");
  INFO(latestJob);
  CHECK_THAT(latestJob, Catch::Contains("jobs_installation"));
  CHECK_THAT(latestJob, !Catch::Contains("TEMP B-TREE"));

  const std::string byId =
      queryPlan(raw,
                "SELECT version FROM inventory INDEXED BY inventory_installation "
                "WHERE tenant_id = 't' AND installation_id = 'i' ORDER BY team_id LIMIT 1");
  INFO(byId);
  CHECK_THAT(byId, Catch::Contains("inventory_installation"));
  CHECK_THAT(byId, !Catch::Contains("TEMP B-TREE"));
}

}  // namespace appkeeper::store::testing
