#include "handlers/store_pool.h"

#include <catch2/catch.hpp>
#include <thread>

#include "fakes/fake_clock.h"
#include "handlers_test_support.h"

using namespace appkeeper;
using namespace appkeeper::handlers;

TEST_CASE("the store pool lends each connection to one borrower at a time", "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto pool = StorePool::open(dir.file("appkeeper.db"), clock, 2);
  REQUIRE(pool.ok());
  auto& p = *pool.value();
  CHECK(p.size() == 2);

  auto a = p.acquire(std::chrono::milliseconds(0));
  auto b = p.acquire(std::chrono::milliseconds(0));
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(&**a != &**b);
  CHECK(p.available() == 0);
  CHECK_FALSE(p.acquire(std::chrono::milliseconds(0)).has_value());

  store::Store* lent = &**a;
  a.reset();  // the lease's destructor gives the connection back
  CHECK(p.available() == 1);
  auto c = p.acquire(std::chrono::milliseconds(0));
  REQUIRE(c.has_value());
  CHECK(&**c == lent);
}

TEST_CASE("a moved store lease gives its connection back exactly once", "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto pool = StorePool::open(dir.file("appkeeper.db"), clock, 1);
  REQUIRE(pool.ok());
  auto& p = *pool.value();
  {
    auto lease = p.acquire(std::chrono::milliseconds(0));
    REQUIRE(lease.has_value());
    StoreLease moved(std::move(*lease));
    lease.reset();
    CHECK(p.available() == 0);
    CHECK(moved->schemaVersion() > 0);
  }
  CHECK(p.available() == 1);
}

TEST_CASE("a waiting borrower gets the connection another thread gives back", "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto pool = StorePool::open(dir.file("appkeeper.db"), clock, 1);
  REQUIRE(pool.ok());
  auto& p = *pool.value();
  auto held = p.acquire(std::chrono::milliseconds(0));
  REQUIRE(held.has_value());
  std::thread giver([&] { held.reset(); });
  // Generous bound: the wait ends as soon as the other thread returns the connection.
  auto got = p.acquire(std::chrono::seconds(30));
  giver.join();
  CHECK(got.has_value());
}

TEST_CASE("a store pool on an unusable path reports the store's error", "[handlers]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto pool = StorePool::open(dir.file("missing-dir/appkeeper.db"), clock, 2);
  REQUIRE_FALSE(pool.ok());
  CHECK(pool.error().kind == ErrorKind::kTransient);
}
