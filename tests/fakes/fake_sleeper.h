// FakeSleeper: a Sleeper that returns at once, records every wait asked for, and (when given a
// FakeClock) advances that clock by the wait, so code that sleeps "until" a time sees it arrive.
// cancelAfter(n) makes the (n+1)-th and later sleeps report cancellation (shutdown).
// Thread-safe.
#pragma once

#include <chrono>
#include <limits>
#include <mutex>
#include <vector>

#include "fakes/fake_clock.h"
#include "graph/sleeper.h"

namespace appkeeper::testing {

class FakeSleeper final : public graph::Sleeper {
 public:
  explicit FakeSleeper(FakeClock* clock = nullptr) : clock_(clock) {}

  bool sleepFor(std::chrono::milliseconds d) override {
    std::lock_guard lock(mu_);
    if (waits_.size() >= allowed_) {
      waits_.push_back(d);
      return false;
    }
    waits_.push_back(d);
    if (clock_ != nullptr) clock_->advance(d);
    return true;
  }
  // Sleeps after the first `n` return false without advancing the clock.
  void cancelAfter(size_t n) {
    std::lock_guard lock(mu_);
    allowed_ = n;
  }
  std::vector<std::chrono::milliseconds> waits() const {
    std::lock_guard lock(mu_);
    return waits_;
  }
  std::chrono::milliseconds total() const {
    std::lock_guard lock(mu_);
    std::chrono::milliseconds sum{0};
    for (auto w : waits_) sum += w;
    return sum;
  }

 private:
  FakeClock* clock_;
  mutable std::mutex mu_;
  std::vector<std::chrono::milliseconds> waits_;         // guarded by mu_
  size_t allowed_ = std::numeric_limits<size_t>::max();  // guarded by mu_
};

}  // namespace appkeeper::testing
