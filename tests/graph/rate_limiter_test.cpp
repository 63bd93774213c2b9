#include "graph/rate_limiter.h"

#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using appkeeper::testing::FakeClock;
using std::chrono::milliseconds;

namespace {
std::vector<int64_t> reserveMany(RateLimiter& limiter, Budget budget, const std::string& team,
                                 int n) {
  std::vector<int64_t> waits;
  for (int i = 0; i < n; ++i) waits.push_back(limiter.reserve(budget, team).count());
  return waits;
}
}  // namespace

TEST_CASE("slots in one budget are spaced by 1/rate", "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 10, 0}, clock);
  CHECK(reserveMany(limiter, Budget::kGet, "", 4) == std::vector<int64_t>{0, 100, 200, 300});
  CHECK(limiter.totalWait() == milliseconds(600));
}

TEST_CASE("time passing frees slots again", "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 10, 0}, clock);
  (void)reserveMany(limiter, Budget::kGet, "", 3);  // slots at 0, 100, 200
  clock.advance(milliseconds(1000));
  CHECK(reserveMany(limiter, Budget::kGet, "", 2) == std::vector<int64_t>{0, 100});
}

TEST_CASE("GET and POST budgets are independent", "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 5, 0}, clock);
  CHECK(reserveMany(limiter, Budget::kGet, "", 2) == std::vector<int64_t>{0, 100});
  CHECK(reserveMany(limiter, Budget::kPost, "", 3) == std::vector<int64_t>{0, 200, 400});
}

TEST_CASE("each team gets 4 requests per second regardless of other teams",
          "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({1000, 1000, 4}, clock);
  CHECK(reserveMany(limiter, Budget::kGet, "team-a", 3) == std::vector<int64_t>{0, 250, 500});
  // Team b is not held back by team a's queue (only by the 1 ms tenant spacing).
  CHECK(reserveMany(limiter, Budget::kGet, "team-b", 2) == std::vector<int64_t>{1, 251});
  CHECK(limiter.reserve(Budget::kPost, "team-a").count() == 750);  // the team bucket is shared
}

TEST_CASE("a team waiting for its slot does not hold back the tenant budget",
          "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 10, 4}, clock);
  CHECK(reserveMany(limiter, Budget::kGet, "busy", 2) == std::vector<int64_t>{0, 250});
  // Free tenant slots at 100 and 200 (and after 350) go to other teams.
  CHECK(limiter.reserve(Budget::kGet, "t1").count() == 100);
  CHECK(limiter.reserve(Budget::kGet, "t2").count() == 350);
  CHECK(limiter.reserve(Budget::kGet, "t3").count() == 450);
}

TEST_CASE("a 429 pause holds every request and only ever extends", "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 10, 4}, clock);
  limiter.pauseUntil(clock.steadyNow() + milliseconds(5000));
  limiter.pauseUntil(clock.steadyNow() + milliseconds(2000));  // shorter: ignored
  CHECK(limiter.reserve(Budget::kGet, "").count() == 5000);
  CHECK(limiter.reserve(Budget::kPost, "team").count() == 5000);
  CHECK(limiter.reserve(Budget::kGet, "").count() == 5100);
  limiter.pauseUntil(clock.steadyNow() + milliseconds(8000));
  CHECK(limiter.reserve(Budget::kPost, "other").count() == 8000);
}

TEST_CASE("new limits apply to the next reservations", "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 10, 0}, clock);
  CHECK(reserveMany(limiter, Budget::kGet, "", 2) == std::vector<int64_t>{0, 100});
  limiter.setLimits({2, 10, 0});
  CHECK(limiter.reserve(Budget::kGet, "").count() == 600);
  limiter.setLimits({0, 0, 0});  // no limit
  CHECK(limiter.reserve(Budget::kGet, "").count() == 0);
}

TEST_CASE("fractional rates round waits up so nothing is sent early", "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({3, 3, 0}, clock);
  CHECK(reserveMany(limiter, Budget::kGet, "", 3) == std::vector<int64_t>{0, 334, 667});
}

TEST_CASE("idle team entries are pruned so memory stays bounded", "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({0, 0, 4}, clock);
  for (int i = 0; i < 5000; ++i) {
    (void)limiter.reserve(Budget::kGet, "team-" + std::to_string(i));
    clock.advance(milliseconds(1));
  }
  // Teams last seen more than 250 ms ago are forgotten once the map grows past its threshold.
  CHECK(limiter.trackedTeams() <= 2048);
  // A pruned team starts fresh; a recent one still waits for its slot.
  CHECK(limiter.reserve(Budget::kGet, "team-0").count() == 0);
  CHECK(limiter.reserve(Budget::kGet, "team-4999").count() == 249);
}
