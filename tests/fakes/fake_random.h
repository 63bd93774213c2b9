// FakeRandom: returns scripted values (clamped below the bound), or bound-1 ("max jitter")
// when the script is empty. Records the bounds it was asked for.
#pragma once

#include <deque>
#include <mutex>
#include <vector>

#include "common/random.h"

namespace appkeeper::testing {

class FakeRandom final : public Random {
 public:
  uint64_t below(uint64_t bound) override {
    std::lock_guard lock(mu_);
    bounds.push_back(bound);
    if (bound == 0) return 0;
    if (script.empty()) return bound - 1;
    uint64_t v = script.front();
    script.pop_front();
    return v < bound ? v : bound - 1;
  }
  std::deque<uint64_t> script;
  std::vector<uint64_t> bounds;

 private:
  std::mutex mu_;
};

}  // namespace appkeeper::testing
