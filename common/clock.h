// Clock: the seam for time. Wall time (system) is for anything persisted or compared across
// restarts (job run_at, lease expiry, audit time, token expiry); steady time is for timeouts and
// rate limiting inside one process. Tests use tests/fakes/fake_clock.h.
// Implementations must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace appkeeper {

using WallTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime now() const = 0;
  virtual SteadyTime steadyNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steadyNow() const override { return std::chrono::steady_clock::now(); }
};

// Milliseconds since the Unix epoch: the one representation of wall time in the store.
inline int64_t toUnixMillis(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline WallTime fromUnixMillis(int64_t ms) { return WallTime(std::chrono::milliseconds(ms)); }

}  // namespace appkeeper
