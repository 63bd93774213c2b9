// Sleeper: the seam for waiting. Production waits on a condition variable and wakes early on
// cancel(); tests record the requested waits and return at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace appkeeper::graph {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Waits up to `d`. Returns false when cancelled (shutdown): the caller stops what it does.
  virtual bool sleepFor(std::chrono::milliseconds d) = 0;
};

// Thread-safe. cancel() wakes every current and future sleeper.
class CancellableSleeper final : public Sleeper {
 public:
  bool sleepFor(std::chrono::milliseconds d) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, d, [this] { return cancelled_; });
    return !cancelled_;
  }
  void cancel() {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }
  bool cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;  // guarded by mu_
};

}  // namespace appkeeper::graph
