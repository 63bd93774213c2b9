// The inbox: accepting deliveries (with dedupe), leasing them to the planner, completing them.
#include <catch2/catch.hpp>

#include "store_test_support.h"

namespace appkeeper::store::testing {
namespace {

std::vector<std::string> outcomes(Store& store) {
  std::vector<std::string> out;
  for (const auto& r : must(store.queryAudit({}))) out.push_back(r.outcome);
  return out;
}

AuditRecord eventAudit(const std::string& event, const std::string& outcome = "") {
  AuditRecord r;
  r.event = event;
  r.outcome = outcome;
  r.teamsAppId = "app-1";
  return r;
}

}  // namespace

TEST_CASE(
    "a catalog event is accepted once; a repeated webhook-id writes a duplicate audit "
    "record and no inbox item",
    "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  CHECK(must(store->acceptCatalogEvent("msg_1", R"({"v":1})", eventAudit("catalog-event"))));
  CHECK_FALSE(must(store->acceptCatalogEvent("msg_1", R"({"v":1})", eventAudit("catalog-event"))));
  CHECK(must(store->acceptCatalogEvent("msg_2", R"({"v":2})", eventAudit("catalog-event"))));

  CHECK(outcomes(*store) == std::vector<std::string>{"accepted", "duplicate", "accepted"});
  const auto first = must(store->claimInbox(30s));
  REQUIRE(first);
  CHECK(first->kind == "catalog-event");
  CHECK(first->payload == R"({"v":1})");
  CHECK(first->receivedAt == clock.now());
  const auto second = must(store->claimInbox(30s));
  REQUIRE(second);
  CHECK(second->payload == R"({"v":2})");
  CHECK_FALSE(must(store->claimInbox(30s)).has_value());
}

TEST_CASE("a notification with an empty payload writes only its audit records", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const auto id =
      must(store->acceptNotification("", {eventAudit("graph-notification", "rejected"),
                                          eventAudit("graph-notification", "rejected")}));
  CHECK_FALSE(id.has_value());
  CHECK(outcomes(*store) == std::vector<std::string>{"rejected", "rejected"});
  CHECK_FALSE(must(store->claimInbox(30s)).has_value());
}

TEST_CASE("a notification with a payload becomes one inbox item and its audit records", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const auto id = must(store->acceptNotification(R"({"value":[1]})",
                                                 {eventAudit("graph-notification", "accepted"),
                                                  eventAudit("graph-notification", "rejected")}));
  REQUIRE(id.has_value());
  CHECK(outcomes(*store) == std::vector<std::string>{"accepted", "rejected"});
  const auto item = must(store->claimInbox(30s));
  REQUIRE(item);
  CHECK(item->id == *id);
  CHECK(item->kind == "graph-notification");
  CHECK(item->payload == R"({"value":[1]})");
  CHECK(item->attempts == 1);
}

TEST_CASE("an inbox item whose lease expires is claimed again with one more attempt", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->acceptCatalogEvent("msg_1", "{}", eventAudit("catalog-event")));
  const auto first = must(store->claimInbox(10s));
  REQUIRE(first);
  clock.advance(9'999ms);
  CHECK_FALSE(must(store->claimInbox(10s)).has_value());
  clock.advance(1ms);
  const auto again = must(store->claimInbox(10s));
  REQUIRE(again);
  CHECK(again->id == first->id);
  CHECK(again->attempts == 2);
}

TEST_CASE("a retried inbox item is not claimable before its run_at", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->acceptCatalogEvent("msg_1", "{}", eventAudit("catalog-event")));
  const auto item = must(store->claimInbox(10s));
  REQUIRE(item);
  must(store->retryInbox(item->id, clock.now() + 60s, "Graph unavailable"));
  // Only a leased item can be put back.
  CHECK(store->retryInbox(item->id, clock.now(), "again").error().kind == ErrorKind::kPermanent);
  clock.advance(59s);
  CHECK_FALSE(must(store->claimInbox(10s)).has_value());
  clock.advance(1s);
  const auto again = must(store->claimInbox(10s));
  REQUIRE(again);
  CHECK(again->attempts == 2);
}

TEST_CASE("completing an inbox item enqueues its jobs and marks it done in one step", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->acceptCatalogEvent("msg_1", "{}", eventAudit("catalog-event")));
  const auto item = must(store->claimInbox(10s));
  REQUIRE(item);

  const size_t added = must(store->completeInbox(item->id, {spec("a"), spec("b"), spec("a")},
                                                 {eventAudit("plan", "planned")}));
  CHECK(added == 2);
  const auto jobs = must(store->listJobs(std::nullopt, 0));
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].spec.inboxId == item->id);
  CHECK(outcomes(*store) == std::vector<std::string>{"accepted", "planned"});

  clock.advance(std::chrono::hours(1));  // a done item never comes back
  CHECK_FALSE(must(store->claimInbox(10s)).has_value());
  const auto twice = store->completeInbox(item->id, {spec("c")}, {});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().kind == ErrorKind::kPermanent);
  CHECK(must(store->listJobs(std::nullopt, 0)).size() == 2);
}

TEST_CASE("a failing completeInbox changes nothing: the item stays leased and no job is added",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->acceptCatalogEvent("msg_1", "{}", eventAudit("catalog-event")));
  const auto item = must(store->claimInbox(10s));
  REQUIRE(item);
  JobSpec broken = spec("b");
  broken.inboxId = 999;  // no such inbox row: the foreign key fails after "a" was inserted
  const auto failed = store->completeInbox(item->id, {spec("a"), broken}, {});
  REQUIRE_FALSE(failed.ok());
  CHECK(must(store->listJobs(std::nullopt, 0)).empty());
  clock.advance(10s);
  const auto again = must(store->claimInbox(10s));
  REQUIRE(again);
  CHECK(again->id == item->id);
}

TEST_CASE(
    "an item the daemon queues itself is claimable at once and is audited with its kind as the "
    "event",
    "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const int64_t id = must(store->enqueueInbox(
      "catalog-poll", R"({"app":"app-1","version":"1.10.0"})", eventAudit("", "planned")));
  const int64_t second = must(store->enqueueInbox("catalog-poll", "{}", eventAudit("poll")));
  CHECK(second > id);

  const auto item = must(store->claimInbox(30s));
  REQUIRE(item);
  CHECK(item->id == id);
  CHECK(item->kind == "catalog-poll");
  CHECK(item->payload == R"({"app":"app-1","version":"1.10.0"})");
  CHECK(item->receivedAt == clock.now());
  CHECK(item->attempts == 1);

  const auto records = must(store->queryAudit({}));
  REQUIRE(records.size() == 2);
  CHECK(records[0].event == "catalog-poll");  // empty event: the kind
  CHECK(records[0].outcome == "planned");
  CHECK(records[0].teamsAppId == "app-1");
  CHECK(records[1].event == "poll");
}

TEST_CASE("an inbox item without a kind is refused and nothing is written", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  const auto refused = store->enqueueInbox("", "{}", eventAudit("x", "planned"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::kInternal);
  CHECK_FALSE(must(store->claimInbox(30s)).has_value());
  CHECK(must(store->queryAudit({})).empty());
}


TEST_CASE("a batch claim leases up to max due items, oldest first, in one step", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  for (int i = 0; i < 5; ++i) {
    must(store->acceptCatalogEvent("msg_" + std::to_string(i), std::to_string(i),
                                   eventAudit("catalog-event")));
  }
  const auto first = must(store->claimInboxBatch(10s, 3));
  REQUIRE(first.size() == 3);
  CHECK(first[0].payload == "0");
  CHECK(first[1].payload == "1");
  CHECK(first[2].payload == "2");
  CHECK(first[0].attempts == 1);
  const auto rest = must(store->claimInboxBatch(10s, 3));
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].payload == "3");
  CHECK(must(store->claimInboxBatch(10s, 3)).empty());  // all leased
  clock.advance(11s);  // the leases expire: claimable again, as with claimInbox
  CHECK(must(store->claimInboxBatch(10s, 10)).size() == 5);
}

TEST_CASE("a batch completion completes each item in one step; an item already done fails "
          "alone",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->acceptCatalogEvent("msg_1", "{}", eventAudit("catalog-event")));
  must(store->acceptCatalogEvent("msg_2", "{}", eventAudit("catalog-event")));
  const auto items = must(store->claimInboxBatch(10s, 2));
  REQUIRE(items.size() == 2);
  must(store->completeInbox(items[1].id, {}, {}));  // done already

  std::vector<InboxCompletion> batch(2);
  batch[0] = {items[0].id, {spec("a"), spec("b")}, {eventAudit("plan", "planned")}};
  batch[1] = {items[1].id, {spec("c")}, {eventAudit("plan", "planned")}};
  const auto results = must(store->completeInboxBatch(batch));
  REQUIRE(results.size() == 2);
  REQUIRE(results[0].ok());
  CHECK(*results[0] == 2);
  REQUIRE_FALSE(results[1].ok());
  CHECK(results[1].error().kind == ErrorKind::kPermanent);
  // The failed item wrote nothing: no job "c", no second "planned" record.
  const auto jobs = must(store->listJobs(std::nullopt, 0));
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].spec.inboxId == items[0].id);
  CHECK(outcomes(*store) == std::vector<std::string>{"accepted", "accepted", "planned"});
  clock.advance(std::chrono::hours(1));
  CHECK(must(store->claimInboxBatch(10s, 10)).empty());
}

}  // namespace appkeeper::store::testing
