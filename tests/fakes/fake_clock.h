// FakeClock: time that moves only when a test says so. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>

#include "common/clock.h"

namespace appkeeper::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start = fromUnixMillis(1'800'000'000'000)) : ms_(toUnixMillis(start)) {}
  WallTime now() const override { return fromUnixMillis(ms_.load()); }
  SteadyTime steadyNow() const override {
    return SteadyTime(std::chrono::milliseconds(ms_.load()));
  }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }
  void set(WallTime t) { ms_ = toUnixMillis(t); }

 private:
  std::atomic<int64_t> ms_;
};

}  // namespace appkeeper::testing
