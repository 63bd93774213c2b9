#include "daemon/work_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/thread_name.h"
#include "common/thread_priority.h"

namespace appkeeper::daemon {
namespace {

int64_t steadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

using std::chrono::milliseconds;

namespace {
// Never spin: even a due time in the past idles this long when runOnce() found nothing (e.g. a
// job another process leased a moment ago).
constexpr milliseconds kMinWait{10};
}  // namespace

WorkLoop::WorkLoop(std::string name, Hooks hooks, const Clock& clock,
                   std::shared_ptr<spdlog::logger> logger, milliseconds pollInterval)
    : name_(std::move(name)),
      hooks_(std::move(hooks)),
      clock_(clock),
      logger_(std::move(logger)),
      pollInterval_(pollInterval) {}

WorkLoop::~WorkLoop() {
  requestStop();
  join();
}

void WorkLoop::start() {
  thread_ = std::thread([this] {
    nameThisThread("ak-" + name_);
    if (niceIncrement_ > 0 && !lowerThisThreadPriority(niceIncrement_)) {
      logger_->warn("{}: could not lower the thread's priority; it runs at the process's",
                    name_);
    }
    run();
  });
}

void WorkLoop::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void WorkLoop::requestStop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

bool WorkLoop::waitFinished(milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!thread_.joinable()) return true;
  return cv_.wait_for(lock, timeout, [this] { return finished_; });
}

void WorkLoop::join() {
  if (thread_.joinable()) thread_.join();
}

milliseconds WorkLoop::idleWait() {
  milliseconds wait = pollInterval_;
  if (hooks_.nextDue) {
    if (auto due = hooks_.nextDue()) {
      auto untilDue = std::chrono::duration_cast<milliseconds>(*due - clock_.now());
      wait = std::min(wait, untilDue);
    }
  }
  return std::max(wait, kMinWait);
}

milliseconds WorkLoop::busyFor() const {
  const int64_t started = turnStartedMs_.load();
  if (started == 0) return milliseconds::zero();
  return milliseconds(std::max<int64_t>(0, steadyMillis() - started));
}

void WorkLoop::run() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    bool worked = false;
    milliseconds wait = pollInterval_;
    turnStartedMs_ = steadyMillis();
    try {
      worked = hooks_.runOnce();
      if (!worked) wait = idleWait();
    } catch (const std::exception& e) {
      logger_->error("{}: unexpected error: {}", name_, e.what());
    } catch (...) {
      logger_->error("{}: unexpected error", name_);
    }
    turnStartedMs_ = 0;
    if (worked) continue;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [this] { return stop_ || woken_; });
    woken_ = false;
  }
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  cv_.notify_all();
}

}  // namespace appkeeper::daemon
