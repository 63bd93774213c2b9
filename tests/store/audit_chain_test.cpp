// The audit hash chain: how a record's hash is computed, that every write path chains, that
// concurrent writers never fork the chain, that migration chains old rows, and that tampering
// with the file (past the triggers) is found at the first broken record.
#include "store/audit_chain.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <catch2/catch.hpp>
#include <thread>

#include "store/schema.h"
#include "store_test_support.h"

namespace appkeeper::store::testing {
namespace {

AuditRecord numbered(int i) {
  AuditRecord r;
  r.event = "upgrade";
  r.teamsAppId = "app-1";
  r.teamId = "team-" + std::to_string(i);
  r.outcome = "upgraded";
  r.httpStatus = 204;
  r.detail = "record " + std::to_string(i);
  r.permissions = {{"TeamSettings.Read.Group", "application"}};
  return r;
}

// `count` records in one transaction (acceptNotification writes only audit records when the
// payload is empty): fast even on a file with synchronous = FULL.
void appendMany(Store& store, int count) {
  std::vector<AuditRecord> records;
  for (int i = 1; i <= count; ++i) records.push_back(numbered(i));
  must(store.acceptNotification("", records));
}

// A log of `count` records in a file, and a raw connection to tamper with it.
struct TamperedLog {
  TempDir dir;
  FakeClock clock;
  std::string path = dir.file("audit.db");

  explicit TamperedLog(int count) {
    auto store = openOk(path, clock);
    appendMany(*store, count);
    REQUIRE(must(store->verifyAuditChain()).ok());
  }
  // What an attacker with write access to the file does first.
  void tamper(const std::string& sql) const {
    SQLite::Database raw(path, SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;");
    raw.exec(sql);
  }
  AuditChainReport verify() {
    auto store = openOk(path, clock, OpenOptions{.mode = OpenMode::kReadOnly});
    return must(store->verifyAuditChain());
  }
};

}  // namespace

TEST_CASE("the canonical audit serialization is typed and length-prefixed, hashed with SHA-256",
          "[store]") {
  const std::vector<ChainValue> values = {ChainValue::integer(7), ChainValue::text("upgrade"),
                                          ChainValue::null(), ChainValue::text("a,")};
  CHECK(canonicalAuditBytes(values, kAuditGenesisHash) ==
        "appkeeper-audit-v1\ni1:7,t7:upgrade,n0:,t2:a,,t64:" + std::string(64, '0') + ",");
  // Computed independently: python3 hashlib.sha256 over the bytes above.
  CHECK(auditHash(values, kAuditGenesisHash) ==
        "3a63f7e41255ea98a144084fd4504d223f454d43281f913d6858e073a26a0887");
  // A NULL and an empty text differ, and so do an integer and its digits as text.
  CHECK(auditHash(std::vector{ChainValue::null()}, kAuditGenesisHash) !=
        auditHash(std::vector{ChainValue::text("")}, kAuditGenesisHash));
  CHECK(auditHash(std::vector{ChainValue::integer(5)}, kAuditGenesisHash) !=
        auditHash(std::vector{ChainValue::text("5")}, kAuditGenesisHash));
}

TEST_CASE("each audit record links to the previous record's hash, the first to the genesis value",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->appendAudit(numbered(1)));
  must(store->acceptCatalogEvent("wh-1", "{}", AuditRecord{}));
  must(store->requestReconciliation("test"));
  const auto records = must(store->queryAudit({}));
  REQUIRE(records.size() == 3);
  CHECK(records[0].prevHash == kAuditGenesisHash);
  for (size_t i = 0; i < records.size(); ++i) {
    CHECK(records[i].id == static_cast<int64_t>(i + 1));
    CHECK(records[i].hash.size() == 64);
    if (i > 0) CHECK(records[i].prevHash == records[i - 1].hash);
  }
  const AuditChainReport report = must(store->verifyAuditChain());
  CHECK(report.ok());
  CHECK(report.records == 3);
  CHECK(report.lastId == 3);
  CHECK(report.lastHash == records[2].hash);
}

TEST_CASE("an empty audit log verifies with zero records and the genesis hash", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const AuditChainReport report = must(store->verifyAuditChain());
  CHECK(report.ok());
  CHECK(report.records == 0);
  CHECK(report.lastHash == kAuditGenesisHash);
}

TEST_CASE("writers on several connections appending at once never chain to the same predecessor",
          "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("concurrent.db");
  openOk(path, clock);  // create and migrate once, before the race
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::string> failures(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto opened =
            Store::open(path, clock, OpenOptions{.busyTimeout = std::chrono::seconds(30)});
        if (!opened) {
          failures[static_cast<size_t>(t)] = opened.error().message;
          return;
        }
        for (int i = 0; i < kEach; ++i) {
          // Alternate two write paths: a bare append and an append inside a larger transaction.
          std::optional<Error> error;
          if (i % 2 == 0) {
            if (Status s = (*opened)->appendAudit(numbered(i)); !s) error = s.error();
          } else {
            auto accepted = (*opened)->acceptCatalogEvent(
                "wh-" + std::to_string(t) + "-" + std::to_string(i), "{}", AuditRecord{});
            if (!accepted) error = accepted.error();
          }
          if (error) {
            failures[static_cast<size_t>(t)] = error->message;
            return;
          }
        }
      });
    }
  }  // jthreads join here
  for (const auto& f : failures) CHECK(f.empty());
  auto store = openOk(path, clock, OpenOptions{.mode = OpenMode::kReadOnly});
  const AuditChainReport report = must(store->verifyAuditChain());
  INFO((report.firstBroken ? report.firstBroken->reason : std::string()));
  CHECK(report.ok());
  CHECK(report.records == kThreads * kEach);
}

TEST_CASE("a raw INSERT that does not extend the chain is refused by the database itself",
          "[store]") {
  TamperedLog log(2);
  SQLite::Database raw(log.path, SQLite::OPEN_READWRITE);
  const std::string columns =
      "INSERT INTO audit (id, recorded_at, event, tenant_id, team_id, installation_id, "
      "teams_app_id, from_version, to_version, outcome, http_status, request_id, attempt, detail, "
      "prev_hash, hash) VALUES ";
  const std::string rest = ", 1, 'forged', '', '', '', '', '', '', 'upgraded', 204, '', 1, ''";
  const std::string lastHash = log.verify().lastHash;
  const std::string anyHash(64, 'a');
  // Linked to the wrong predecessor, at the right id.
  CHECK_THROWS_WITH(
      raw.exec(columns + "(3" + rest + ", '" + std::string(64, '0') + "', '" + anyHash + "')"),
      Catch::Contains("extend the hash chain"));
  // Right link, but not the next id (a gap), or no id at all.
  CHECK_THROWS_WITH(raw.exec(columns + "(9" + rest + ", '" + lastHash + "', '" + anyHash + "')"),
                    Catch::Contains("extend the hash chain"));
  CHECK_THROWS_WITH(raw.exec(columns + "(NULL" + rest + ", '" + lastHash + "', '" + anyHash + "')"),
                    Catch::Contains("extend the hash chain"));
  CHECK(log.verify().records == 2);
}

TEST_CASE("a changed field is a hash mismatch at that record", "[store][tamper]") {
  TamperedLog log(5);
  log.tamper("UPDATE audit SET outcome = 'failed' WHERE id = 3");
  const AuditChainReport report = log.verify();
  REQUIRE(report.firstBroken);
  CHECK(report.firstBroken->id == 3);
  CHECK(report.firstBroken->kind == AuditChainBreak::kHashMismatch);
  CHECK(report.firstBroken->event == "upgrade");
  CHECK(report.firstBroken->time == log.clock.now());
  CHECK(report.records == 2);
  CHECK(report.lastId == 2);
}

TEST_CASE("a field stored with another type than it was hashed with is a hash mismatch",
          "[store][tamper]") {
  TamperedLog log(3);
  // The same digits, as a blob (which column affinity leaves alone): only the type differs.
  log.tamper("UPDATE audit SET http_status = CAST('204' AS BLOB) WHERE id = 2");
  const AuditChainReport report = log.verify();
  REQUIRE(report.firstBroken);
  CHECK(report.firstBroken->id == 2);
  CHECK(report.firstBroken->kind == AuditChainBreak::kHashMismatch);
}

TEST_CASE("a changed record whose own hash was recomputed breaks the link of the next one",
          "[store][tamper]") {
  TamperedLog log(4);
  {
    SQLite::Database raw(log.path, SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER audit_no_update");
    raw.exec("UPDATE audit SET detail = 'nothing happened' WHERE id = 2");
    SQLite::Statement row(
        raw, std::string("SELECT ") + kAuditChainedColumns + ", prev_hash FROM audit WHERE id = 2");
    REQUIRE(row.executeStep());
    const std::string forged =
        auditHash(chainValuesOfRow(row), row.getColumn(kAuditChainedColumnCount).getString());
    row.reset();
    raw.exec("UPDATE audit SET hash = '" + forged + "' WHERE id = 2");
  }
  const AuditChainReport report = log.verify();
  REQUIRE(report.firstBroken);
  CHECK(report.firstBroken->id == 3);
  CHECK(report.firstBroken->kind == AuditChainBreak::kBrokenLink);
}

TEST_CASE("a deleted record is a gap in ids at the record after it", "[store][tamper]") {
  TamperedLog log(5);
  log.tamper("DELETE FROM audit WHERE id = 3");
  const AuditChainReport report = log.verify();
  REQUIRE(report.firstBroken);
  CHECK(report.firstBroken->id == 4);
  CHECK(report.firstBroken->kind == AuditChainBreak::kIdGap);
  CHECK(report.firstBroken->reason == "ids jump from 2 to 4: record 3 is missing (deleted)");
}

TEST_CASE("deleting the first records is a gap at the first record left", "[store][tamper]") {
  TamperedLog log(4);
  log.tamper("DELETE FROM audit WHERE id <= 2");
  const AuditChainReport report = log.verify();
  REQUIRE(report.firstBroken);
  CHECK(report.firstBroken->id == 3);
  CHECK(report.firstBroken->kind == AuditChainBreak::kIdGap);
  CHECK(report.firstBroken->reason ==
        "the first record has id 3, not 1: records 1..2 are missing (deleted)");
  CHECK(report.records == 0);
}

TEST_CASE("two records swapped (ids kept) break the link at the first of them", "[store][tamper]") {
  TamperedLog log(5);
  // Move row 3 out of the way, row 2 into 3's place and the old 3 into 2's: a reordering.
  log.tamper(
      "UPDATE audit SET id = 100 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3; "
      "UPDATE audit SET id = 3 WHERE id = 100;");
  const AuditChainReport report = log.verify();
  REQUIRE(report.firstBroken);
  CHECK(report.firstBroken->id == 2);
  CHECK(report.firstBroken->kind == AuditChainBreak::kBrokenLink);
}

TEST_CASE("tampering past the first read batch is found at the right record", "[store][tamper]") {
  TamperedLog log(2500);
  CHECK(log.verify().records == 2500);
  log.tamper("UPDATE audit SET team_id = 'other' WHERE id = 2042");
  const AuditChainReport report = log.verify();
  REQUIRE(report.firstBroken);
  CHECK(report.firstBroken->id == 2042);
  CHECK(report.records == 2041);
}

TEST_CASE("forEachAudit visits every matching record in id order across read batches", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  appendMany(*store, 1200);
  clock.advance(1min);
  AuditRecord early = numbered(0);
  early.time = clock.now() - 1h;  // an explicit earlier time: still after the others by id
  must(store->appendAudit(early));
  must(store->appendAudit(numbered(1201)));

  std::vector<int64_t> ids;
  must(store->forEachAudit({}, [&](const AuditRecord& r) -> Status {
    ids.push_back(r.id);
    return Ok{};
  }));
  REQUIRE(ids.size() == 1202);
  for (size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == static_cast<int64_t>(i + 1));

  AuditFilter since;
  since.since = clock.now();
  std::vector<std::string> details;
  must(store->forEachAudit(since, [&](const AuditRecord& r) -> Status {
    details.push_back(r.detail);
    CHECK(r.hash.size() == 64);
    return Ok{};
  }));
  CHECK(details == std::vector<std::string>{"record 1201"});

  int visited = 0;
  const Status stopped = store->forEachAudit({}, [&](const AuditRecord&) -> Status {
    ++visited;
    return Error::transient("output closed");
  });
  REQUIRE_FALSE(stopped);
  CHECK(stopped.error().message == "output closed");
  CHECK(visited == 1);
}

TEST_CASE("a populated schema 2 database migrates to schema 3 with a verified chain", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("v2.db");
  {
    // What a schema 2 binary wrote: steps 1 and 2, then audit rows without hashes.
    SQLite::Database raw(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    REQUIRE(must(migrate(raw, migrations().first(2))) == 2);
    for (int i = 1; i <= 3; ++i) {
      raw.exec(
          "INSERT INTO audit (recorded_at, event, tenant_id, team_id, installation_id, "
          "teams_app_id, from_version, to_version, outcome, http_status, request_id, attempt, "
          "detail, permissions) VALUES (" +
          std::to_string(1000 * i) +
          ", 'upgrade', 't', 'team', 'inst', 'app-1', '1.0.0', '2.0.0', 'upgraded', 204, "
          "'req', 1, 'old row', '[{\"value\":\"A\",\"type\":\"application\"}]')");
    }
  }
  {
    auto store = openOk(path, clock);
    CHECK(store->schemaVersion() == 3);
    const AuditChainReport migrated = must(store->verifyAuditChain());
    CHECK(migrated.ok());
    CHECK(migrated.records == 3);
    const auto records = must(store->queryAudit({}));
    REQUIRE(records.size() == 3);
    CHECK(records[0].prevHash == kAuditGenesisHash);
    CHECK(records[2].prevHash == records[1].hash);
    CHECK(records[0].time == fromUnixMillis(1000));
    CHECK(records[0].permissions == std::vector<RscPermission>{{"A", "application"}});
    must(store->appendAudit(numbered(4)));  // new records continue the migrated chain
    const AuditChainReport after = must(store->verifyAuditChain());
    CHECK(after.ok());
    CHECK(after.records == 4);
  }
  // The triggers are back after the backfill.
  SQLite::Database raw(path, SQLite::OPEN_READWRITE);
  CHECK_THROWS_WITH(raw.exec("UPDATE audit SET detail = 'x'"), Catch::Contains("append-only"));
  CHECK_THROWS_WITH(raw.exec("DELETE FROM audit"), Catch::Contains("append-only"));
}

}  // namespace appkeeper::store::testing
