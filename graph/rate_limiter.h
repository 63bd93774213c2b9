// RateLimiter: Graph's throttling shape for one tenant, shared by every worker: a token bucket for
// GETs, one for POSTs (requests_per_second each), and a 4/s bucket per team; plus a tenant-wide
// pause set by a 429's Retry-After. reserve() is pure bookkeeping against the injected Clock and
// returns how long the caller must wait before sending, so it is testable without sleeping; the
// caller waits through its Sleeper.
//
// Thread contract: thread-safe (guarded by one mutex). Per-team state is pruned so memory stays
// bounded on tenants with many teams.
#pragma once

#include <chrono>
#include <mutex>
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
  // Takes one slot in `budget` (and in the team's bucket when teamId is not empty) and returns
  // the wait before the request may be sent (zero when it may go now). Slots are taken in call
  // order, so waits queue up fairly instead of stampeding.
  std::chrono::milliseconds reserve(Budget budget, const std::string& teamId);
  // A 429 said to wait: nothing is sent tenant-wide before `until` (extends, never shortens).
  void pauseUntil(SteadyTime until);
  void setLimits(RateLimits limits);  // SIGHUP reload
  // Total time callers were told to wait, for metrics.
  std::chrono::milliseconds totalWait() const;

 private:
  // see rate_limiter.cpp
  struct Bucket {
    SteadyTime next{};  // earliest time the next slot is free
  };
  RateLimits limits_;
  const Clock& clock_;
  mutable std::mutex mu_;
  Bucket get_, post_;                              // guarded by mu_
  std::unordered_map<std::string, Bucket> teams_;  // guarded by mu_
  SteadyTime pausedUntil_{};                       // guarded by mu_
  std::chrono::milliseconds totalWait_{0};         // guarded by mu_
};

}  // namespace appkeeper::graph
