// Group commit of inbound deliveries: many writes, one transaction, each write on its own.
#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>

#include "store_test_support.h"

namespace appkeeper::store::testing {
namespace {

InboundWrite catalogWrite(const std::string& webhookId, const std::string& payload) {
  InboundWrite w;
  w.kind = InboundWrite::Kind::kCatalogEvent;
  w.webhookId = webhookId;
  w.payload = payload;
  AuditRecord a;
  a.event = "catalog-event";
  a.detail = "webhook-id " + webhookId;
  w.audits.push_back(a);
  return w;
}

InboundWrite notificationWrite(const std::string& payload, std::vector<std::string> outcomes) {
  InboundWrite w;
  w.kind = InboundWrite::Kind::kNotification;
  w.payload = payload;
  for (const auto& o : outcomes) {
    AuditRecord a;
    a.event = "graph-notification";
    a.outcome = o;
    w.audits.push_back(a);
  }
  return w;
}

std::vector<std::string> auditOutcomes(Store& store) {
  std::vector<std::string> out;
  for (const auto& r : must(store.queryAudit({}))) out.push_back(r.event + ":" + r.outcome);
  return out;
}

}  // namespace

TEST_CASE(
    "a batch of inbound writes is persisted in order with the same answers as one call each",
    "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const std::vector<InboundWrite> writes = {
      catalogWrite("msg_1", R"({"v":1})"), notificationWrite(R"({"value":[1]})", {"accepted"}),
      catalogWrite("msg_1", R"({"v":1})"),  // a sender's retry inside the same batch
      notificationWrite("", {"rejected"}),  // nothing to act on: audit only
      catalogWrite("msg_2", R"({"v":2})")};
  auto results = must(store->acceptInboundBatch(writes));
  REQUIRE(results.size() == 5);
  CHECK(must(results[0]).fresh);
  CHECK(must(results[1]).inboxId.has_value());
  CHECK_FALSE(must(results[2]).fresh);
  CHECK_FALSE(must(results[3]).inboxId.has_value());
  CHECK(must(results[4]).fresh);

  CHECK(auditOutcomes(*store) ==
        std::vector<std::string>{"catalog-event:accepted", "graph-notification:accepted",
                                 "catalog-event:duplicate", "graph-notification:rejected",
                                 "catalog-event:accepted"});
  CHECK(must(store->verifyAuditChain()).ok());
  // A later single call still sees the batch's webhook-ids.
  CHECK_FALSE(must(store->acceptCatalogEvent("msg_2", "{}", AuditRecord{})));

  std::vector<std::string> payloads;
  for (int i = 0; i < 4; ++i) {
    auto item = must(store->claimInbox(30s));
    if (!item) break;
    payloads.push_back(item->payload);
  }
  CHECK(payloads == std::vector<std::string>{R"({"v":1})", R"({"value":[1]})", R"({"v":2})"});
}

TEST_CASE(
    "a write that fails inside a batch is rolled back alone and the others are committed with "
    "an unbroken audit chain",
    "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("batch.db");
  auto store = openOk(path, clock);
  {
    // A stand-in for a constraint error on one row.
    SQLite::Database raw(path, SQLite::OPEN_READWRITE);
    raw.exec(
        "CREATE TRIGGER poison BEFORE INSERT ON inbox WHEN NEW.payload = 'poison' "
        "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;");
  }
  const std::vector<InboundWrite> writes = {catalogWrite("msg_1", "{}"),
                                            notificationWrite("poison", {"accepted"}),
                                            catalogWrite("msg_2", "poison"),
                                            notificationWrite("ok", {"accepted", "rejected"})};
  auto results = must(store->acceptInboundBatch(writes));
  REQUIRE(results.size() == 4);
  CHECK(results[0].ok());
  REQUIRE_FALSE(results[1].ok());
  CHECK_FALSE(results[2].ok());
  CHECK(results[3].ok());
  CHECK(auditOutcomes(*store) ==
        std::vector<std::string>{"catalog-event:accepted", "graph-notification:accepted",
                                 "graph-notification:rejected"});
  CHECK(must(store->verifyAuditChain()).ok());
  // The failed catalog event left no webhook-id behind: the sender's retry is new.
  {
    SQLite::Database raw(path, SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER poison");
  }
  CHECK(must(store->acceptCatalogEvent("msg_2", "{}", AuditRecord{})));
}

TEST_CASE("a catalog write without exactly one audit record fails alone as a caller bug",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  InboundWrite bad = catalogWrite("msg_1", "{}");
  bad.audits.clear();
  auto results = must(store->acceptInboundBatch({bad, catalogWrite("msg_2", "{}")}));
  REQUIRE(results.size() == 2);
  REQUIRE_FALSE(results[0].ok());
  CHECK(results[0].error().kind == ErrorKind::kInternal);
  CHECK(must(results[1]).fresh);
  CHECK(must(store->acceptInboundBatch({})).empty());
}

TEST_CASE("a batch that cannot take the write lock fails as a whole with kTransient", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("locked.db");
  auto store = openOk(path, clock, OpenOptions{.busyTimeout = std::chrono::milliseconds(0)});
  SQLite::Database other(path, SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  auto results = store->acceptInboundBatch({catalogWrite("msg_1", "{}")});
  REQUIRE_FALSE(results.ok());
  CHECK(results.error().kind == ErrorKind::kTransient);
  other.exec("ROLLBACK");
  CHECK(must(must(store->acceptInboundBatch({catalogWrite("msg_1", "{}")})).front()).fresh);
}

namespace {

// Steady time that moves 7 ms at every reading, wall time that stands still.
class SteppingClock final : public appkeeper::Clock {
 public:
  WallTime now() const override { return base_.now(); }
  SteadyTime steadyNow() const override {
    return SteadyTime(std::chrono::milliseconds(7) * readings_.fetch_add(1));
  }

 private:
  FakeClock base_;
  mutable std::atomic<int64_t> readings_{0};
};

}  // namespace

TEST_CASE("acceptInboundBatch says how long it waited for its turn and how long it wrote",
          "[store]") {
  SteppingClock clock;
  auto store = openOk(":memory:", clock);
  InboundBatchTiming timing;
  must(store->acceptInboundBatch({catalogWrite("msg_1", "{}")}, &timing));
  // Three readings: asked for the turn, got it (BEGIN), committed.
  CHECK(timing.turnWait == std::chrono::milliseconds(7));
  CHECK(timing.transaction == std::chrono::milliseconds(7));
  // Without a place for them, the same batch is written all the same.
  CHECK(must(must(store->acceptInboundBatch({catalogWrite("msg_2", "{}")})).front()).fresh);
}

}  // namespace appkeeper::store::testing
