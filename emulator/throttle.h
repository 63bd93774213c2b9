// Throttle: Graph's Teams limits as the emulator applies them (shared/graph-api.md Decision 7):
// per tenant a GET budget and a POST budget (30/s each by default) and, on team-scoped routes,
// a per-team budget (4/s). A request is admitted only when every budget it draws on has room;
// otherwise it is refused with a Retry-After in whole seconds (>= 1).
//
// Algorithm: a sliding one-second window (a log of admission times per budget). It never
// admits more than N in ANY one-second span, which is what a client pacing itself against
// "N per second" expects; a token bucket would allow a burst of N right after an idle second
// plus refills. Refused requests are not counted against the budget, so a client that waits
// Retry-After gets through.
//
// It also keeps a histogram of its refusals (429s) per whole second since it was made, so a
// test can tell a client that pauses tenant-wide after a 429 from one that stampedes.
//
// Borrows a Clock (steadyNow) that must outlive it. Thread-safety: every member is thread-safe
// (one mutex). Memory: one small deque per team that made a request in the last second
// (idle teams are swept on the fly), and at most kMaxRefusalSeconds histogram entries.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace appkeeper::emulator {

struct ThrottleLimits {
  int getPerSecond = 30;
  int postPerSecond = 30;
  int perTeamPerSecond = 4;
  bool enabled = true;
};

enum class Budget { kNone, kGet, kPost };

struct ThrottleDecision {
  bool allowed = true;
  std::chrono::seconds retryAfter{0};
  std::string scope;  // what ran out: "GET", "POST" or "team"
};

class Throttle {
 public:
  // Histogram entries kept (one per second that saw a refusal); the oldest go first.
  static constexpr size_t kMaxRefusalSeconds = 3600;

  Throttle(const Clock& clock, ThrottleLimits limits);

  // `teamId` empty: the request is not team-scoped.
  ThrottleDecision admit(const std::string& tenantId, Budget budget, const std::string& teamId);

  ThrottleLimits limits() const;
  void setLimits(const ThrottleLimits& limits);
  // Highest number of admissions seen within one sliding second, per budget:
  // {"get":n,"post":n,"team":n} (team: the busiest team).
  nlohmann::json observations() const;
  // Refusals per second: {"<seconds since the throttle was made>": n, ...}, seconds with
  // none left out. Cleared by resetObservations().
  nlohmann::json refusalsPerSecond() const;
  void resetObservations();

 private:
  using Window = std::deque<SteadyTime>;
  void prune(Window& w, SteadyTime now) const;
  std::chrono::seconds waitFor(const Window& w, size_t limit, SteadyTime now) const;

  const Clock& clock_;
  const SteadyTime origin_;  // second 0 of the refusal histogram
  mutable std::mutex mu_;
  ThrottleLimits limits_;                          // guarded by mu_
  std::unordered_map<std::string, Window> get_;    // per tenant; guarded by mu_
  std::unordered_map<std::string, Window> post_;   // per tenant; guarded by mu_
  std::unordered_map<std::string, Window> team_;   // per tenant+team; guarded by mu_
  size_t maxGet_ = 0, maxPost_ = 0, maxTeam_ = 0;  // guarded by mu_
  size_t sweepCountdown_ = 0;                      // guarded by mu_
  std::map<int64_t, int64_t> refusals_;            // second -> 429s; guarded by mu_
};

}  // namespace appkeeper::emulator
