// Backoff: exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
// Jitter"): the wait before retry n (0-based) is uniform in [0, min(cap, base * 2^n)].
// Deterministic given the injected Random, so tests assert the exact sequence.
//
// Borrows the Random for its lifetime. Thread-safe when the Random is (every Random is).
#pragma once

#include <chrono>

#include "common/random.h"

namespace appkeeper::graph {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, Random& random);
  // The ceiling for retry `attempt` (0-based): min(cap, base * 2^attempt).
  std::chrono::milliseconds ceiling(int attempt) const;
  // A jittered wait in [0, ceiling(attempt)].
  std::chrono::milliseconds delay(int attempt) const;

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  Random& random_;
};

}  // namespace appkeeper::graph
