#include "handlers/inbound_writer.h"

#include <spdlog/sinks/ostream_sink.h>

#include <catch2/catch.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "handlers_test_support.h"

using namespace appkeeper;
using namespace appkeeper::handlers;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kLong{10000};  // a bound for waits that end as soon as the event comes

store::InboundWrite catalogWrite(const std::string& webhookId) {
  store::InboundWrite w;
  w.kind = store::InboundWrite::Kind::kCatalogEvent;
  w.webhookId = webhookId;
  w.payload = R"({"id":")" + webhookId + "\"}";
  store::AuditRecord a;
  a.event = "catalog-event";
  w.audits.push_back(a);
  return w;
}

InboundWriter::Options manual(milliseconds wait = kLong, size_t maxQueued = 16) {
  InboundWriter::Options o;
  o.startThread = false;
  o.wait = wait;
  o.maxQueued = maxQueued;
  return o;
}

size_t auditCount(const std::string& path, const Clock& clock) {
  auto s = testing::openStore(path, clock);
  auto all = s->queryAudit({});
  REQUIRE(all.ok());
  auto chain = s->verifyAuditChain();
  REQUIRE(chain.ok());
  CHECK(chain->ok());
  return all->size();
}

// Steady time that moves `step` at every reading, so a commit (two readings) "takes" one step.
class SteppingClock final : public Clock {
 public:
  explicit SteppingClock(milliseconds step) : step_(step) {}
  WallTime now() const override { return base_.now(); }
  SteadyTime steadyNow() const override {
    return SteadyTime(step_ * readings_.fetch_add(1, std::memory_order_relaxed));
  }
  void setStep(milliseconds step) { step_ = step; }

 private:
  testing::FakeClock base_;
  milliseconds step_;
  mutable std::atomic<int64_t> readings_{0};
};

}  // namespace

TEST_CASE("a commit as slow as Options::slowCommit is counted and logged as a warning",
          "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock storeClock;
  SteppingClock clock(milliseconds(99));
  std::ostringstream log;
  InboundWriter::Options options = manual();
  options.clock = &clock;
  options.slowCommit = milliseconds(100);
  options.logger = std::make_shared<spdlog::logger>(
      "inbound", std::make_shared<spdlog::sinks::ostream_sink_st>(log));
  InboundWriter writer(testing::openStore(dir.file("appkeeper.db"), storeClock), options);
  auto commitOne = [&](const std::string& id) {
    std::optional<Result<store::InboundWriteOutcome>> answer;
    std::thread sender([&] { answer = writer.submit(catalogWrite(id)); });
    REQUIRE(writer.waitUntilQueued(1, kLong));
    CHECK(writer.writeQueued() == 1);
    sender.join();
    REQUIRE(answer.has_value());
    CHECK(answer->ok());
  };

  commitOne("msg_1");  // 99 ms: under the threshold
  CHECK(writer.totals().slowCommits == 0);
  CHECK(log.str().empty());

  clock.setStep(milliseconds(100));
  commitOne("msg_2");
  CHECK(writer.totals().commits == 2);
  CHECK(writer.totals().slowCommits == 1);
  // The store's clock stands still: no time went to waiting for the planner.
  CHECK_THAT(log.str(), Catch::Contains("[warning] a commit of 1 inbound deliveries took 100 ms "
                                        "(warned from 100 ms; 0 ms of it waiting for the "
                                        "planner's database writes)"));
  CHECK_THAT(log.str(), Catch::Contains("the disk that holds the database was slow to sync"));
}

TEST_CASE("a slow commit's warning names the planner when most of the time went to its turn",
          "[handlers]") {
  store::InboundBatchTiming timing;
  timing.turnWait = milliseconds(90);
  timing.transaction = milliseconds(30);
  CHECK(describeSlowCommit(12, milliseconds(120), milliseconds(100), timing) ==
        "a commit of 12 inbound deliveries took 120 ms (warned from 100 ms; 90 ms of it waiting "
        "for the planner's database writes): each waited that long for its answer; the "
        "planner's transactions held the database");
  timing.turnWait = milliseconds(10);
  timing.transaction = milliseconds(110);
  CHECK_THAT(describeSlowCommit(12, milliseconds(120), milliseconds(100), timing),
             Catch::EndsWith("the disk that holds the database was slow to sync"));
}

TEST_CASE(
    "writes queued together are committed as one batch and every caller gets its own answer",
    "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  const std::string path = dir.file("appkeeper.db");
  InboundWriter writer(testing::openStore(path, clock), manual());
  std::vector<std::optional<Result<store::InboundWriteOutcome>>> answers(3);
  std::vector<std::thread> senders;
  const std::vector<std::string> ids = {"msg_1", "msg_2", "msg_1"};
  for (size_t i = 0; i < ids.size(); ++i) {
    // One at a time, so the queue (and the audit chain) has a known order.
    senders.emplace_back([&, i] { answers[i] = writer.submit(catalogWrite(ids[i])); });
    REQUIRE(writer.waitUntilQueued(i + 1, kLong));
  }
  CHECK(writer.totals().commits == 0);
  CHECK(writer.writeQueued() == 3);
  CHECK(writer.totals().writes == 3);  // three writes, one transaction
  CHECK(writer.totals().commits == 1);
  for (auto& t : senders) t.join();
  REQUIRE(answers[0]->ok());
  REQUIRE(answers[1]->ok());
  REQUIRE(answers[2]->ok());
  CHECK((*answers[0])->fresh);
  CHECK((*answers[1])->fresh);
  CHECK_FALSE((*answers[2])->fresh);  // the same webhook-id: acknowledged, not acted on
  CHECK(writer.writeQueued() == 0);
  CHECK(writer.totals().commits == 1);  // nothing queued, nothing committed
  CHECK(auditCount(path, clock) == 3);
}

TEST_CASE("the writer publishes a commit's size while more writes wait, and 0 once none do",
          "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  InboundWriter::Options options = manual();
  options.maxBatch = 2;
  options.pressure = std::make_shared<InboundPressure>();
  InboundWriter writer(testing::openStore(dir.file("appkeeper.db"), clock), options);
  std::vector<std::optional<Result<store::InboundWriteOutcome>>> answers(5);
  std::vector<std::thread> senders;
  for (size_t i = 0; i < 5; ++i) {
    senders.emplace_back(
        [&, i] { answers[i] = writer.submit(catalogWrite("msg_" + std::to_string(i))); });
    REQUIRE(writer.waitUntilQueued(i + 1, kLong));
  }
  CHECK(options.pressure->writes() == 0);
  CHECK(writer.writeQueued() == 2);  // 3 still queued
  CHECK(options.pressure->writes() == 2);
  CHECK(writer.writeQueued() == 2);  // 1 still queued
  CHECK(options.pressure->writes() == 2);
  CHECK(writer.writeQueued() == 1);  // nothing left: no flood
  CHECK(options.pressure->writes() == 0);
  // Every sender got its own answer, the writes a batch left behind included.
  for (auto& t : senders) t.join();
  for (const auto& a : answers) {
    REQUIRE(a.has_value());
    CHECK(a->ok());
    CHECK((*a)->fresh);
  }
}

TEST_CASE("a write still queued when its wait ends is withdrawn, answered kTransient and never "
          "written",
          "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  const std::string path = dir.file("appkeeper.db");
  InboundWriter writer(testing::openStore(path, clock), manual(milliseconds(0)));
  auto answer = writer.submit(catalogWrite("msg_1"));
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.error().kind == ErrorKind::kTransient);
  CHECK(writer.queued() == 0);
  CHECK(writer.writeQueued() == 0);
  CHECK(auditCount(path, clock) == 0);
}

TEST_CASE("a full write queue refuses a write at once with kTransient", "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  const std::string path = dir.file("appkeeper.db");
  InboundWriter writer(testing::openStore(path, clock), manual(kLong, 1));
  std::optional<Result<store::InboundWriteOutcome>> first;
  std::thread sender([&] { first = writer.submit(catalogWrite("msg_1")); });
  REQUIRE(writer.waitUntilQueued(1, kLong));
  auto refused = writer.submit(catalogWrite("msg_2"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::kTransient);
  CHECK(writer.writeQueued() == 1);
  sender.join();
  CHECK(first->ok());
  CHECK(auditCount(path, clock) == 1);
}

TEST_CASE("stopping the writer writes what is queued and refuses later writes", "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  const std::string path = dir.file("appkeeper.db");
  InboundWriter writer(testing::openStore(path, clock), manual());
  std::optional<Result<store::InboundWriteOutcome>> queued;
  std::thread sender([&] { queued = writer.submit(catalogWrite("msg_1")); });
  REQUIRE(writer.waitUntilQueued(1, kLong));
  writer.stop();
  sender.join();
  REQUIRE(queued->ok());
  CHECK((*queued)->fresh);
  auto late = writer.submit(catalogWrite("msg_2"));
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().kind == ErrorKind::kTransient);
  CHECK(auditCount(path, clock) == 1);
}

TEST_CASE("with its own thread the writer commits every write of many concurrent senders",
          "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  const std::string path = dir.file("appkeeper.db");
  constexpr int kSenders = 6;
  constexpr int kEach = 15;
  std::vector<int> failures(kSenders, 0);
  {
    InboundWriter::Options o;
    o.wait = kLong;
    InboundWriter writer(testing::openStore(path, clock), o);
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s) {
      senders.emplace_back([&, s] {
        for (int i = 0; i < kEach; ++i) {
          auto r = writer.submit(catalogWrite("msg_" + std::to_string(s) + "_" + std::to_string(i)));
          if (!r.ok() || !r->fresh) ++failures[static_cast<size_t>(s)];
        }
      });
    }
    for (auto& t : senders) t.join();
  }
  CHECK(failures == std::vector<int>(kSenders, 0));
  CHECK(auditCount(path, clock) == kSenders * kEach);
}
