// WorkLoop: the thread around a planner's or worker's runOnce(). It calls runOnce() while there
// is work; when there is none it waits on a condition variable until the next due time (from
// nextDue, capped) or `pollInterval`, whichever is sooner, or until wake()/requestStop().
// Polling is needed because the inbound listener writes to the store from other threads and,
// in principle, other processes; 200 ms keeps an idle worker at a few cheap queries a second.
//
// Thread contract: start(), requestStop(), waitFinished() and join() from the owning thread;
// wake() from any thread. runOnce/nextDue run on the loop's thread only and must not throw
// (an exception is logged and the loop carries on). The destructor stops and joins.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"

namespace spdlog {
class logger;
}

namespace appkeeper::daemon {

class WorkLoop {
 public:
  struct Hooks {
    std::function<bool()> runOnce;                     // true: did work, call again at once
    std::function<std::optional<WallTime>()> nextDue;  // may be empty
  };

  WorkLoop(std::string name, Hooks hooks, const Clock& clock,
           std::shared_ptr<spdlog::logger> logger,
           std::chrono::milliseconds pollInterval = std::chrono::milliseconds(200));
  ~WorkLoop();
  WorkLoop(const WorkLoop&) = delete;
  WorkLoop& operator=(const WorkLoop&) = delete;

  // Before start(): the loop's thread runs `niceIncrement` nice steps below the process
  // (common/thread_priority.h), for background work that must not slow the request path.
  void lowerPriority(int niceIncrement) { niceIncrement_ = niceIncrement; }
  void start();
  void wake();
  // No new runOnce() starts after this; the current one finishes.
  void requestStop();
  // Waits until the thread has left its loop or `timeout` passed; true when it has.
  bool waitFinished(std::chrono::milliseconds timeout);
  void join();
  const std::string& name() const { return name_; }
  // How long the current runOnce() has been running; zero while the loop idles. Any thread.
  // The watchdog uses it: a turn that never ends is a hung thread, not slow Graph.
  std::chrono::milliseconds busyFor() const;

 private:
  void run();
  // How long to idle after runOnce() found nothing.
  std::chrono::milliseconds idleWait();

  std::string name_;
  int niceIncrement_ = 0;  // set before start()
  Hooks hooks_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  std::chrono::milliseconds pollInterval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;      // guarded by mu_
  bool woken_ = false;     // guarded by mu_
  bool finished_ = false;  // guarded by mu_
  // steady_clock milliseconds when the current runOnce() began; 0 while idle.
  std::atomic<int64_t> turnStartedMs_{0};
  std::thread thread_;
};

}  // namespace appkeeper::daemon
