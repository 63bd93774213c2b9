// SplitMix64: the emulator's deterministic Random. The same seed gives the same sequence on
// every platform (std distributions are implementation-defined, so seeding and fault injection
// never use them). Thread-safe: every draw takes a mutex, so concurrent callers each get a
// distinct value of the one sequence.
#pragma once

#include <cstdint>
#include <mutex>

#include "common/random.h"

namespace appkeeper::emulator {

class SplitMix64 final : public Random {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    std::lock_guard lock(mu_);
    return step();
  }
  // Modulo reduction: a bias of at most bound/2^64, irrelevant here and stable across platforms.
  uint64_t below(uint64_t bound) override { return bound == 0 ? 0 : next() % bound; }
  // Uniform in [0, 1) with 53 bits.
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t step() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::mutex mu_;
  uint64_t state_;  // guarded by mu_
};

}  // namespace appkeeper::emulator
