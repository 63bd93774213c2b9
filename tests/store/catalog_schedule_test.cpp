// What the catalog poll remembers (the newest version seen per app) and when periodic tasks last
// ran.
#include <catch2/catch.hpp>

#include "store_test_support.h"

namespace appkeeper::store::testing {

TEST_CASE("a catalog version is news only when it is numerically newer than the one recorded",
          "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  CHECK(must(store->noteCatalogVersion("tenant-1", "app-1", "1.9.0")));        // nothing recorded
  CHECK_FALSE(must(store->noteCatalogVersion("tenant-1", "app-1", "1.9.0")));  // same
  CHECK_FALSE(must(store->noteCatalogVersion("tenant-1", "app-1", "1.9")));    // 1.9 == 1.9.0
  // Text order would call 1.10.0 older than 1.9.0.
  CHECK(must(store->noteCatalogVersion("tenant-1", "app-1", "1.10.0")));
  CHECK_FALSE(must(store->noteCatalogVersion("tenant-1", "app-1", "1.9.5")));  // older: kept
  CHECK_FALSE(must(store->noteCatalogVersion("tenant-1", "app-1", "1.10.0")));
  CHECK(must(store->noteCatalogVersion("tenant-1", "app-1", "2.0")));

  // Per tenant and app.
  CHECK(must(store->noteCatalogVersion("tenant-1", "app-2", "1.0.0")));
  CHECK(must(store->noteCatalogVersion("tenant-2", "app-1", "1.0.0")));
}

TEST_CASE("a catalog version that is not numeric is refused and not recorded", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  CHECK(must(store->noteCatalogVersion("tenant-1", "app-1", "1.2.0")));
  const auto bad = store->noteCatalogVersion("tenant-1", "app-1", "1.3.0-beta");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::kInvalidInput);
  CHECK_THAT(bad.error().message, Catch::Contains("1.3.0-beta"));
  CHECK(must(store->noteCatalogVersion("tenant-1", "app-1", "1.2.1")));  // 1.2.0 still recorded
}

TEST_CASE("a schedule's last run is unknown until set, then kept across reopening", "[store]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("schedules.db");
  {
    auto store = openOk(path, clock);
    CHECK_FALSE(must(store->scheduleLastRun("catalog-poll")).has_value());
    must(store->setScheduleLastRun("catalog-poll", clock.now() - 1h));
    must(store->setScheduleLastRun("catalog-poll", clock.now()));
    must(store->setScheduleLastRun("reconcile", clock.now() - 24h));
  }
  auto store = openOk(path, clock);
  CHECK(must(store->scheduleLastRun("catalog-poll")) == clock.now());
  CHECK(must(store->scheduleLastRun("reconcile")) == clock.now() - 24h);
  CHECK_FALSE(must(store->scheduleLastRun("other")).has_value());
}

}  // namespace appkeeper::store::testing
