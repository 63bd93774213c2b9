// The router with a group-commit writer (inbound_writer.h): deliveries are persisted through it.
#include <catch2/catch.hpp>
#include <thread>

#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "handlers/inbound_writer.h"
#include "handlers/router.h"
#include "handlers/standard_webhooks.h"
#include "handlers/store_pool.h"
#include "handlers_test_support.h"

using namespace appkeeper;
using namespace appkeeper::handlers;
using appkeeper::testing::jsonPost;

namespace {

constexpr char kForeignDelivery[] =
    R"({"value":[{"subscriptionId":"unknown-sub","clientState":"x","resource":"r"}]})";

struct GroupCommitFixture {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::string path = dir.file("appkeeper.db");
  std::shared_ptr<spdlog::logger> logger = testing::nullLogger();
  std::unique_ptr<StorePool> pool = std::move(StorePool::open(path, clock, 1).value());

  Router router(InboundWriter& writer) {
    RouterConfig config;
    config.tenantId = "tenant-1";
    config.writer = &writer;
    return Router(config, *pool, clock, *logger);
  }
  size_t audits() {
    auto s = testing::openStore(path, clock);
    auto all = s->queryAudit({});
    REQUIRE(all.ok());
    return all->size();
  }
};

}  // namespace

TEST_CASE("with a group-commit writer a delivery is persisted by the writer before its 202",
          "[handlers]") {
  GroupCommitFixture f;
  InboundWriter::Options o;
  o.wait = std::chrono::milliseconds(10000);
  InboundWriter writer(testing::openStore(f.path, f.clock), o);
  auto r = f.router(writer).handle(jsonPost("/graph/notifications", kForeignDelivery));
  CHECK(r.status == 202);
  CHECK(f.audits() == 1);  // the rejected item's audit record, committed before the answer
  CHECK(writer.queued() == 0);
}

TEST_CASE("with a group-commit writer a delivery it cannot start in time is a 503 with "
          "Retry-After and nothing is written",
          "[handlers]") {
  GroupCommitFixture f;
  InboundWriter::Options o;
  o.startThread = false;  // nothing drains the queue
  o.wait = std::chrono::milliseconds(0);
  InboundWriter writer(testing::openStore(f.path, f.clock), o);
  auto r = f.router(writer).handle(jsonPost("/graph/lifecycle", kForeignDelivery));
  CHECK(r.status == 503);
  bool retryAfter = false;
  for (const auto& [name, value] : r.headers) retryAfter = retryAfter || name == "Retry-After";
  CHECK(retryAfter);
  CHECK(writer.queued() == 0);
  CHECK(f.audits() == 0);
}

TEST_CASE("with a group-commit writer a delivery gives its store connection back before it "
          "waits for the commit, so a few connections serve every request in flight",
          "[handlers]") {
  GroupCommitFixture f;  // a pool of one connection
  InboundWriter::Options o;
  o.startThread = false;  // the test writes the batch itself, once both deliveries wait
  o.wait = std::chrono::milliseconds(30000);
  InboundWriter writer(testing::openStore(f.path, f.clock), o);
  Router router = f.router(writer);
  InboundResponse first, second;
  auto deliver = [&router] {
    return router.handle(jsonPost("/graph/notifications", kForeignDelivery));
  };
  std::thread a([&] { first = deliver(); });
  std::thread b([&] { second = deliver(); });
  // Before the fix the second one found the connection held and was answered 503 instead.
  CHECK(writer.waitUntilQueued(2, std::chrono::milliseconds(30000)));
  CHECK(f.pool->available() == 1);  // neither holds the one connection while it waits
  writer.writeQueued();             // one transaction for whatever queued
  a.join();
  b.join();
  CHECK(first.status == 202);
  CHECK(second.status == 202);
  CHECK(f.audits() == 2);
}

TEST_CASE("with a group-commit writer a refused catalog event is audited through the writer "
          "without a store connection",
          "[handlers]") {
  GroupCommitFixture f;
  WebhookKey key = WebhookKey::fromSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
  InboundWriter writer(testing::openStore(f.path, f.clock), {});
  RouterConfig config;
  config.tenantId = "tenant-1";
  config.catalogKey = &key;
  config.writer = &writer;
  Router router(config, *f.pool, f.clock, *f.logger);
  auto held = f.pool->acquire(std::chrono::milliseconds(0));  // the only connection is busy
  REQUIRE(held.has_value());
  auto r = router.handle(jsonPost("/events/catalog", "{}"));  // no signature headers
  CHECK(r.status == 401);
  CHECK(f.audits() == 1);  // the rejection, committed by the writer
}
