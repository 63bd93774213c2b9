#include "handlers/in_flight_limit.h"

#include <catch2/catch.hpp>
#include <optional>
#include <vector>

using appkeeper::handlers::InFlightLimit;

TEST_CASE("an in-flight limit hands out at most cap slots and takes them back when they end",
          "[handlers]") {
  InFlightLimit limit(2);
  auto a = limit.tryEnter();
  auto b = limit.tryEnter();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(limit.inFlight() == 2);
  CHECK_FALSE(limit.tryEnter().has_value());
  CHECK(limit.inFlight() == 2);  // a refused try leaves no trace
  a.reset();
  CHECK(limit.inFlight() == 1);
  auto c = limit.tryEnter();
  CHECK(c.has_value());
  CHECK_FALSE(limit.tryEnter().has_value());
}

TEST_CASE("a moved slot is given back once", "[handlers]") {
  InFlightLimit limit(1);
  std::vector<InFlightLimit::Slot> held;
  {
    auto slot = limit.tryEnter();
    REQUIRE(slot.has_value());
    held.push_back(std::move(*slot));
  }
  CHECK(limit.inFlight() == 1);
  held.clear();
  CHECK(limit.inFlight() == 0);
}

TEST_CASE("an in-flight limit of 0 never refuses", "[handlers]") {
  InFlightLimit limit(0);
  std::vector<InFlightLimit::Slot> held;
  for (int i = 0; i < 100; ++i) {
    auto slot = limit.tryEnter();
    REQUIRE(slot.has_value());
    held.push_back(std::move(*slot));
  }
  CHECK(limit.inFlight() == 100);
}
