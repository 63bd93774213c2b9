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

TEST_CASE("each team gets 4 requests in any 1.1 s regardless of other teams",
          "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({1000, 1000, 4}, clock);
  CHECK(reserveMany(limiter, Budget::kGet, "team-a", 3) == std::vector<int64_t>{0, 1, 2});
  // Team b is not held back by team a's window (only by the 1 ms tenant spacing).
  CHECK(reserveMany(limiter, Budget::kGet, "team-b", 2) == std::vector<int64_t>{3, 4});
  // The team window is shared; within the team, call order (after its GET at 2).
  CHECK(limiter.reserve(Budget::kPost, "team-a").count() == 2);
  // The fifth waits until the first leaves the window (1 s widened by 10%).
  CHECK(limiter.reserve(Budget::kPost, "team-a").count() == 1100);
  CHECK(limiter.reserve(Budget::kGet, "team-a").count() == 1101);
}

// Regression: per-team slots 250 ms apart held each worker ~170 ms between its GET of an
// installation and the POST upgrade on the same team, so 8 workers could not fill 30 POSTs/s.
TEST_CASE("a GET and a POST on one team may go back to back", "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({30, 30, 4}, clock);
  CHECK(limiter.reserve(Budget::kGet, "team").count() == 0);
  clock.advance(milliseconds(80));  // the GET's answer
  CHECK(limiter.reserve(Budget::kPost, "team").count() == 0);
}

TEST_CASE("a team's requests keep their call order", "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 1000, 4}, clock);
  CHECK(reserveMany(limiter, Budget::kGet, "team", 2) == std::vector<int64_t>{0, 100});
  // The POST budget is free at once, but the team's earlier GET is reserved for 100 ms.
  CHECK(limiter.reserve(Budget::kPost, "team").count() == 100);
}

TEST_CASE("a team waiting for its slot does not hold back the tenant budget",
          "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 10, 4}, clock);
  CHECK(reserveMany(limiter, Budget::kGet, "busy", 5) ==
        std::vector<int64_t>{0, 100, 200, 300, 1100});
  // The free tenant slots before the busy team's fifth go to other teams.
  CHECK(limiter.reserve(Budget::kGet, "t1").count() == 400);
  CHECK(limiter.reserve(Budget::kGet, "t2").count() == 500);
  CHECK(limiter.reserve(Budget::kGet, "t3").count() == 600);
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

TEST_CASE("pauseLeft tells a caller waking inside a 429 pause how long it still lasts",
          "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 10, 4}, clock);
  CHECK(limiter.pauseLeft() == milliseconds(0));
  limiter.pauseUntil(clock.steadyNow() + milliseconds(2000));
  clock.advance(milliseconds(100));
  CHECK(limiter.pauseLeft() == milliseconds(1900));
  clock.advance(milliseconds(1900));
  CHECK(limiter.pauseLeft() == milliseconds(0));
}

TEST_CASE("a 429 slows the pace once per pause and the pace recovers by itself",
          "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 10, 0}, clock);
  limiter.onThrottled(clock.steadyNow() + milliseconds(1000));
  // A second 429 of the same burst (sent before the first was answered): no second cut.
  limiter.onThrottled(clock.steadyNow() + milliseconds(1000));
  CHECK(limiter.pauseLeft() == milliseconds(1000));
  // 9/s after the pause: 111.1 ms apart, rounded up.
  CHECK(reserveMany(limiter, Budget::kGet, "", 2) == std::vector<int64_t>{1000, 1112});
  CHECK(reserveMany(limiter, Budget::kPost, "", 2) == std::vector<int64_t>{1000, 1112});
  // +0.2 % of the configured rate per second: back to 10/s after 50 s without a 429.
  clock.advance(milliseconds(50'000));
  CHECK(reserveMany(limiter, Budget::kGet, "", 3) == std::vector<int64_t>{0, 100, 200});
}

TEST_CASE("429 cuts of the pace stop at half the configured rate", "[graph][rate-limiter]") {
  FakeClock clock;
  RateLimiter limiter({10, 10, 0}, clock);
  // Pauses that end at once: each 429 finds the tenant unpaused and cuts again.
  for (int i = 0; i < 20; ++i) limiter.onThrottled(clock.steadyNow());
  CHECK(reserveMany(limiter, Budget::kPost, "", 3) == std::vector<int64_t>{0, 200, 400});
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
    (void)reserveMany(limiter, Budget::kGet, "team-" + std::to_string(i), 4);
    clock.advance(milliseconds(2));
  }
  // Teams whose window has passed (1.1 s) are forgotten once the map grows past its threshold.
  CHECK(limiter.trackedTeams() <= 2048);
  // A pruned team starts fresh; a recent one that used its window still waits.
  CHECK(limiter.reserve(Budget::kGet, "team-0").count() == 0);
  CHECK(limiter.reserve(Budget::kGet, "team-4999").count() == 1098);
}
