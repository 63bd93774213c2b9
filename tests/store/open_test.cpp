// Opening: read-only rules, concurrent readers, locks and bad files as Errors.
#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "store_test_support.h"

namespace appkeeper::store::testing {

TEST_CASE("opening a missing file read-only fails clearly and never creates it", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("missing.db");
  const auto opened = Store::open(path, clock, OpenMode::kReadOnly);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().kind == ErrorKind::kInvalidInput);
  CHECK_THAT(opened.error().message, Catch::Contains("does not exist") && Catch::Contains(path));
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("a read-only store reads while a read-write store holds the file", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("shared.db");
  auto writer = openOk(path, clock);
  must(writer->enqueue({spec("a")}));
  OpenOptions readOnly;
  readOnly.mode = OpenMode::kReadOnly;
  auto reader = openOk(path, clock, readOnly);

  CHECK(must(reader->listJobs(std::nullopt, 0)).size() == 1);
  must(writer->enqueue({spec("b")}));
  must(writer->claimJob("w", 30s));
  CHECK(must(reader->listJobs(std::nullopt, 0)).size() == 2);  // each read sees the latest commit
  CHECK(must(reader->jobCounts()).at(JobState::kRunning) == 1);

  const auto write = reader->claimJob("w", 30s);
  REQUIRE_FALSE(write.ok());
  CHECK(write.error().kind == ErrorKind::kInternal);
  CHECK_THAT(write.error().message, Catch::Contains("read-only"));
}

TEST_CASE("a read-only store opens a database whose writer has closed", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("closed.db");
  must(openOk(path, clock)->enqueue({spec("a")}));
  auto reader = openOk(path, clock, {OpenMode::kReadOnly});
  CHECK(must(reader->listJobs(std::nullopt, 0)).size() == 1);
}

TEST_CASE("a read-only open of a database older than this binary is refused", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("old.db");
  {
    SQLite::Database raw(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE something (x INTEGER)");  // user_version stays 0
  }
  const auto opened = Store::open(path, clock, OpenMode::kReadOnly);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(opened.error().message, Catch::Contains("older") && Catch::Contains("migrate"));
}

TEST_CASE("a locked database is a transient error, not an exception", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("locked.db");
  OpenOptions quick;
  quick.busyTimeout = 20ms;
  auto store = openOk(path, clock, quick);
  must(store->enqueue({spec("a")}));

  SQLite::Database other(path, SQLite::OPEN_READWRITE);
  other.exec("BEGIN EXCLUSIVE");
  const auto enqueued = store->enqueue({spec("b")});
  REQUIRE_FALSE(enqueued.ok());
  CHECK(enqueued.error().kind == ErrorKind::kTransient);
  CHECK_THAT(enqueued.error().message, Catch::Contains("locked"));
  const auto claimed = store->claimJob("w", 30s);
  REQUIRE_FALSE(claimed.ok());
  CHECK(claimed.error().kind == ErrorKind::kTransient);
  CHECK(store->appendAudit(AuditRecord{}).error().kind == ErrorKind::kTransient);
  CHECK(must(store->listJobs(std::nullopt, 0)).size() == 1);  // reads still work under WAL
  other.exec("ROLLBACK");

  CHECK(must(store->enqueue({spec("b")})) == 1);
  CHECK(must(store->claimJob("w", 30s)).has_value());
}

TEST_CASE("a file that is not a SQLite database is a permanent error", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("garbage.db");
  {
    std::ofstream out(path);
    for (int i = 0; i < 64; ++i) out << "this is not a database, it is a text file\n";
  }
  const auto mode = GENERATE(OpenMode::kReadWrite, OpenMode::kReadOnly);
  const auto opened = Store::open(path, clock, mode);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(opened.error().message, Catch::Contains("corrupt or not an appkeeper database"));
}

TEST_CASE("an in-memory store works for a whole job round trip", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  CHECK(store->schemaVersion() == Store::latestSchemaVersion());
  must(store->enqueue({spec("a")}));
  const auto job = must(store->claimJob("w", 30s));
  REQUIRE(job);
  must(store->finishJob(job->id, "w", JobState::kSucceeded, audit("upgraded")));
  CHECK(must(store->integrityCheck()) == "ok");
}

}  // namespace appkeeper::store::testing
