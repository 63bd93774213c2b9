#include "handlers/client_state_cache.h"

#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"
#include "handlers_test_support.h"
#include "store/store.h"

using namespace appkeeper;
using namespace appkeeper::handlers;
using std::chrono::milliseconds;

TEST_CASE("the clientState cache answers what it was given until its time to live ends",
          "[handlers]") {
  testing::FakeClock clock;
  ClientStateCache cache(clock, milliseconds(5000));
  CHECK_FALSE(cache.find("sub-1").has_value());
  cache.remember("sub-1", "state-1", store::Store::subscriptionsVersion());
  CHECK(cache.find("sub-1") == std::optional<std::string>("state-1"));
  CHECK_FALSE(cache.find("sub-2").has_value());
  clock.advance(milliseconds(4999));
  CHECK(cache.find("sub-1").has_value());
  clock.advance(milliseconds(1));
  CHECK_FALSE(cache.find("sub-1").has_value());  // read from the store again
}

TEST_CASE("any subscription saved or removed in this process makes every cached entry stale",
          "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto store = testing::openStore(dir.file("appkeeper.db"), clock);
  ClientStateCache cache(clock);
  cache.remember("sub-1", "state-1", store::Store::subscriptionsVersion());
  REQUIRE(cache.find("sub-1").has_value());

  store::SubscriptionRecord other;
  other.id = "sub-2";
  other.clientState = "state-2";
  const uint64_t before = store::Store::subscriptionsVersion();
  REQUIRE(store->putSubscription(other).ok());
  CHECK(store::Store::subscriptionsVersion() != before);
  CHECK_FALSE(cache.find("sub-1").has_value());

  // A read made before that write (an older version) is not kept: it may be the stale row.
  cache.remember("sub-1", "state-1", before);
  CHECK_FALSE(cache.find("sub-1").has_value());
  cache.remember("sub-1", "state-1", store::Store::subscriptionsVersion());
  CHECK(cache.find("sub-1").has_value());
  REQUIRE(store->removeSubscription("sub-2").ok());
  CHECK_FALSE(cache.find("sub-1").has_value());
}

TEST_CASE("the clientState cache holds at most its bound, making room only from expired entries",
          "[handlers]") {
  testing::FakeClock clock;
  ClientStateCache cache(clock, milliseconds(1000), 2);
  const uint64_t version = store::Store::subscriptionsVersion();
  cache.remember("a", "1", version);
  cache.remember("b", "2", version);
  cache.remember("c", "3", version);  // full, nothing expired: not kept
  CHECK(cache.size() == 2);
  CHECK_FALSE(cache.find("c").has_value());
  clock.advance(milliseconds(600));
  cache.remember("a", "1b", version);  // a kept one is refreshed in place
  CHECK(cache.find("a") == std::optional<std::string>("1b"));
  clock.advance(milliseconds(500));  // b (read at 0) has expired, a (refreshed at 600) has not
  cache.remember("c", "3", version);
  CHECK(cache.size() == 2);
  CHECK(cache.find("c").has_value());
  CHECK(cache.find("a").has_value());
  CHECK_FALSE(cache.find("b").has_value());
}
