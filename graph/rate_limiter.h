// RateLimiter: Graph's throttling shape for one tenant, shared by every worker: a slot schedule
// for GETs, one for POSTs (requests per second each: slots at least 1/rate apart), and a window
// per team (4/s by default); plus a tenant-wide pause set by a 429's Retry-After, and a slower
// pace of both budgets after a 429 that recovers by itself (onThrottled).
// reserve() is pure bookkeeping against the injected Clock and returns how long the caller must
// wait before sending, so it is testable without sleeping; the caller waits through its Sleeper.
//
// Per team, Graph counts requests in a window (4 in any second), it does not space them: a
// worker's GET of an installation and its POST upgrade on the same team may go back to back.
// Spacing them by 1/rate (250 ms) kept every worker thread idle for ~170 ms per job, so the
// fan-out needed ~2x the threads to fill the POST budget. A team may therefore have up to
// floor(rate) requests (at least 1) in any window of floor(rate)/rate seconds, widened by
// kTeamWindowGuard (10%) because a request reaches Graph's counter after a network delay that
// varies from one request to the next; a team in steady use gets rate/1.1 requests per second.
//
// Fairness: a request takes the earliest slot that is free in its budget AND allowed by its
// team's window. A request held back by its busy team does not push back requests for other
// teams: they take the free budget slots in between (a pure "next slot" counter would idle the
// whole tenant behind one busy team). Within a team, slots are taken in call order.
//
// A rate <= 0 means "no limit" for that budget. Thread contract: thread-safe (guarded by one
// mutex). Per-team state and past slots are pruned so memory stays bounded on tenants with many
// teams.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace appkeeper::graph {

enum class Budget { kGet, kPost };

struct RateLimits {
  double getPerSecond = 25;
  double postPerSecond = 25;
  double perTeamPerSecond = 4;
};

class RateLimiter {
 public:
  RateLimiter(RateLimits limits, const Clock& clock);
  // Takes one slot in `budget` (and in the team's sequence when teamId is not empty) and returns
  // the wait before the request may be sent (zero when it may go now).
  std::chrono::milliseconds reserve(Budget budget, const std::string& teamId);
  // A 429 said to wait: nothing is sent tenant-wide before `until` (extends, never shortens).
  void pauseUntil(SteadyTime until);
  // A 429 arrived: pauseUntil(until) and, when the tenant was not paused already (the first
  // 429 of a burst; the others were in flight before it), pace both budgets at 0.9 x their
  // current rate, down to half at most. The pace climbs back by 0.2 % of the configured rate per
  // second without a new cut, so a pace set just above what Graph accepts settles below it by
  // itself instead of paying a pause for every few hundred requests.
  void onThrottled(SteadyTime until);
  // What is left of the tenant-wide pause now (zero when none). A caller that slept through a
  // slot reserved before a 429 arrived checks this before sending: a slot inside the pause must
  // not be used (it would draw another 429 and pause the tenant again); it reserves anew.
  std::chrono::milliseconds pauseLeft() const;
  void setLimits(RateLimits limits);  // SIGHUP reload; applies to slots reserved afterwards
  // Total time callers were told to wait, for metrics.
  std::chrono::milliseconds totalWait() const;
  // Teams with state held right now (for tests of the pruning).
  size_t trackedTeams() const;

 private:
  // Reserved future send times of one budget. A multiset: after setLimits() shrinks the
  // spacing, two reservations may legitimately coincide.
  using Schedule = std::multiset<SteadyTime>;
  // A team's most recent slots, oldest first, at most `burst` of them.
  using TeamSlots = std::deque<SteadyTime>;
  static SteadyTime firstFreeSlot(const Schedule& schedule, SteadyTime earliest,
                                  SteadyTime::duration spacing);
  void prune(SteadyTime now, SteadyTime::duration teamWindow, double scale);  // requires mu_
  double rateScale(SteadyTime now) const;  // the pace after 429 cuts, (0, 1]; requires mu_

  const Clock& clock_;
  mutable std::mutex mu_;
  RateLimits limits_;                                     // guarded by mu_
  Schedule get_, post_;                                   // guarded by mu_
  std::unordered_map<std::string, TeamSlots> teams_;      // guarded by mu_
  SteadyTime pausedUntil_{};                              // guarded by mu_
  double rateScaleAtCut_ = 1.0;                           // guarded by mu_
  SteadyTime lastRateCut_{};                              // guarded by mu_
  std::chrono::milliseconds totalWait_{0};                // guarded by mu_
  size_t teamsAtLastPrune_ = 0;                           // guarded by mu_
};

}  // namespace appkeeper::graph
