#include "graph/backoff.h"

#include <catch2/catch.hpp>

#include "fakes/fake_random.h"

using namespace appkeeper::graph;
using appkeeper::testing::FakeRandom;
using std::chrono::milliseconds;

TEST_CASE("the backoff ceiling doubles from the base up to the cap", "[graph][backoff]") {
  FakeRandom random;
  Backoff backoff(milliseconds(500), milliseconds(3000), random);
  CHECK(backoff.ceiling(0) == milliseconds(500));
  CHECK(backoff.ceiling(1) == milliseconds(1000));
  CHECK(backoff.ceiling(2) == milliseconds(2000));
  CHECK(backoff.ceiling(3) == milliseconds(3000));
  CHECK(backoff.ceiling(1000) == milliseconds(3000));
}

TEST_CASE("full jitter draws uniformly from zero to the ceiling inclusive", "[graph][backoff]") {
  FakeRandom random;
  random.script = {0, 250, 5000};
  Backoff backoff(milliseconds(500), milliseconds(60'000), random);
  CHECK(backoff.delay(0) == milliseconds(0));
  CHECK(backoff.delay(1) == milliseconds(250));
  CHECK(backoff.delay(2) == milliseconds(2000));  // scripted value above the bound: max jitter
  CHECK(random.bounds == std::vector<uint64_t>{501, 1001, 2001});
}
