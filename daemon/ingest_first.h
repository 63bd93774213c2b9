// IngestFirst: the planner's turns give way to a flood of inbound deliveries. An answer to
// Graph has a deadline (3 s, and slow answers count against the endpoint); planning has none,
// and on a shared machine every batch planned during a flood takes CPU and SQLite's write turn
// from the answers (bench/RESULTS.md, 2026-11-30: ingest ran 25-45 % faster with the planner
// held back). So while the inbound writer reports a flood (handlers/inbound_pressure.h: its
// commits hold `floodWrites` or more while more keep coming), the planner skips its turns, but
// still plans one batch every `maxDefer`, so a flood that never ends cannot starve it. A steady
// stream commits a write or two at a time and is never deferred to. In a lull turns are taken
// at once; the flood is logged as over only after a calm of `maxDefer`.
//
// Called from the planner's loop thread only (not thread-safe); the pressure may be published
// from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "common/clock.h"
#include "handlers/inbound_pressure.h"

namespace spdlog {
class logger;
}

namespace appkeeper::daemon {

class IngestFirst {
 public:
  struct Options {
    size_t floodWrites = 8;
    std::chrono::milliseconds maxDefer{1000};
  };

  IngestFirst(std::shared_ptr<const handlers::InboundPressure> pressure, const Clock& clock,
              Options options, std::shared_ptr<spdlog::logger> logger);

  // true: skip this turn (the loop waits its poll interval and asks again).
  bool deferTurn();
  // Turns skipped since construction.
  size_t deferred() const { return deferredTotal_; }

 private:
  std::shared_ptr<const handlers::InboundPressure> pressure_;
  const Clock& clock_;
  const Options options_;
  std::shared_ptr<spdlog::logger> logger_;
  SteadyTime lastTurn_{};
  bool yielding_ = false;       // inside a flood
  SteadyTime yieldingSince_{};  // when that flood began to defer turns
  SteadyTime lastFloodSeen_{};  // the last turn that saw it
  size_t deferredInFlood_ = 0;
  size_t deferredTotal_ = 0;
};

}  // namespace appkeeper::daemon
