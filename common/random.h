// Random: the seam for randomness (backoff jitter, ids). Thread-safe implementations only.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>

namespace appkeeper {

class Random {
 public:
  virtual ~Random() = default;
  // Uniform integer in [0, bound); 0 when bound is 0.
  virtual uint64_t below(uint64_t bound) = 0;
};

class SystemRandom final : public Random {
 public:
  SystemRandom() : engine_(std::random_device{}()) {}
  explicit SystemRandom(uint64_t seed) : engine_(seed) {}
  uint64_t below(uint64_t bound) override {
    if (bound == 0) return 0;
    std::lock_guard lock(mu_);
    return std::uniform_int_distribution<uint64_t>(0, bound - 1)(engine_);
  }

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;  // guarded by mu_
};

}  // namespace appkeeper
