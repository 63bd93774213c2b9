#include "daemon/work_loop.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>

#include "common/clock.h"
#include "common/thread_priority.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using std::chrono::milliseconds;

TEST_CASE("a work loop reports how long its current turn has run, and zero while idle",
          "[daemon][work_loop]") {
  SystemClock clock;
  auto logger =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> turns{0};
  WorkLoop loop("worker-1",
                WorkLoop::Hooks{[&] {
                                  if (turns++ == 0) {
                                    entered.set_value();
                                    released.wait();  // a hung Graph call, as far as it knows
                                  }
                                  return false;
                                },
                                nullptr},
                clock, logger, milliseconds(10));
  CHECK(loop.name() == "worker-1");
  CHECK(loop.busyFor() == milliseconds::zero());
  loop.start();
  entered.get_future().wait();
  // Bounded: the turn is blocked until released, so busyFor only grows.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (loop.busyFor() < milliseconds(20) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK(loop.busyFor() >= milliseconds(20));
  release.set_value();
  const auto idleDeadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (turns.load() < 2 && std::chrono::steady_clock::now() < idleDeadline) {
    std::this_thread::yield();
  }
  loop.requestStop();
  REQUIRE(loop.waitFinished(std::chrono::seconds(5)));
  CHECK(loop.busyFor() == milliseconds::zero());
  loop.join();
}

TEST_CASE("a loop told to lower its priority runs its work below the process's nice value",
          "[daemon][work_loop]") {
  SystemClock clock;
  auto logger =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  const int base = thisThreadNice();
  std::promise<int> seen;
  std::atomic<bool> once{false};
  WorkLoop loop("nice",
                WorkLoop::Hooks{[&] {
                                  if (!once.exchange(true)) seen.set_value(thisThreadNice());
                                  return false;
                                },
                                nullptr},
                clock, logger, milliseconds(5));
  loop.lowerPriority(3);
  loop.start();
  auto nice = seen.get_future();
  REQUIRE(nice.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  loop.requestStop();
  loop.join();
  CHECK(nice.get() == std::min(19, base + 3));
  CHECK(thisThreadNice() == base);  // the thread that started it keeps its own
}
