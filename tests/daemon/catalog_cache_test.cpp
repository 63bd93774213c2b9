// CatalogCache against FakeGraph with fake time: when an entry serves and when it is refetched.
#include "daemon/catalog_cache.h"

#include <catch2/catch.hpp>

#include "daemon_test_support.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using namespace appkeeper::daemon::testing;

namespace {

struct CatalogCacheFixture {
  GraphHarness g;
  CatalogCache cache{g.client, g.clock, 30s, 2s};
  CatalogCacheFixture() {
    g.graph.addApp("app-1", "Contoso Tasks");
    g.graph.addVersion("app-1", "1.0.0");
  }
  std::string latestVia(const std::string& wanted, std::optional<WallTime> since) {
    auto app = must(cache.get("app-1", wanted, since));
    const AppDefinition* latest = latestPublished(app);
    REQUIRE(latest != nullptr);
    return latest->version;
  }
};

}  // namespace

TEST_CASE("a burst of jobs for one app costs one catalog GET", "[daemon][catalog_cache]") {
  CatalogCacheFixture f;
  const WallTime created = f.g.clock.now();
  f.g.clock.advance(10ms);
  for (int i = 0; i < 5; ++i) CHECK(f.latestVia("1.0.0", created) == "1.0.0");
  CHECK(f.g.graph.catalogGets == 1);
}

// Regression: the cache refetched at most every 2 s, so the jobs of a publish event arriving
// right after a fetch saw the previous version and waited propagation_retry (300 s).
TEST_CASE("a job created after the cached fetch refetches an entry that lacks its version",
          "[daemon][catalog_cache]") {
  CatalogCacheFixture f;
  CHECK(f.latestVia("", std::nullopt) == "1.0.0");
  f.g.clock.advance(50ms);
  f.g.graph.addVersion("app-1", "2.0.0");  // published; its event makes jobs
  f.g.clock.advance(20ms);
  const WallTime jobCreated = f.g.clock.now();
  f.g.clock.advance(10ms);
  CHECK(f.latestVia("2.0.0", jobCreated) == "2.0.0");
  CHECK(f.g.graph.catalogGets == 2);
}

TEST_CASE("a flood of jobs created before a refetch shares it even while the version lags",
          "[daemon][catalog_cache]") {
  CatalogCacheFixture f;
  CHECK(f.latestVia("", std::nullopt) == "1.0.0");
  f.g.clock.advance(50ms);
  const WallTime enqueued = f.g.clock.now();  // 2.0.0 is announced but not visible yet
  f.g.clock.advance(10ms);
  for (int i = 0; i < 100; ++i) {
    CHECK(f.latestVia("2.0.0", enqueued) == "1.0.0");
    f.g.clock.advance(5ms);  // 500 ms in all: below the 2 s recheck
  }
  CHECK(f.g.graph.catalogGets == 2);  // the first fetch, and one refetch for the whole flood
}

TEST_CASE("an entry lacking the wanted version is rechecked after the recheck interval",
          "[daemon][catalog_cache]") {
  CatalogCacheFixture f;
  const WallTime enqueued = f.g.clock.now();
  f.g.clock.advance(1ms);
  CHECK(f.latestVia("2.0.0", enqueued) == "1.0.0");
  f.g.clock.advance(1s);
  CHECK(f.latestVia("2.0.0", enqueued) == "1.0.0");
  CHECK(f.g.graph.catalogGets == 1);
  f.g.clock.advance(1s);
  CHECK(f.latestVia("2.0.0", enqueued) == "1.0.0");
  CHECK(f.g.graph.catalogGets == 2);
}

TEST_CASE("an entry that shows the wanted version serves until its ttl", "[daemon][catalog_cache]") {
  CatalogCacheFixture f;
  CHECK(f.latestVia("1.0.0", std::nullopt) == "1.0.0");
  f.g.clock.advance(29s);
  CHECK(f.latestVia("1.0.0", f.g.clock.now()) == "1.0.0");
  CHECK(f.g.graph.catalogGets == 1);
  f.g.clock.advance(1s);
  CHECK(f.latestVia("1.0.0", std::nullopt) == "1.0.0");
  CHECK(f.g.graph.catalogGets == 2);
}
