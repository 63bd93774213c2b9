#include "daemon/ingest_first.h"

#include <spdlog/spdlog.h>

namespace appkeeper::daemon {

IngestFirst::IngestFirst(std::shared_ptr<const handlers::InboundPressure> pressure,
                         const Clock& clock, Options options,
                         std::shared_ptr<spdlog::logger> logger)
    : pressure_(std::move(pressure)),
      clock_(clock),
      options_(options),
      logger_(std::move(logger)),
      lastTurn_(clock.steadyNow()) {}

bool IngestFirst::deferTurn() {
  const SteadyTime now = clock_.steadyNow();
  const bool flood = pressure_ && pressure_->writes() >= options_.floodWrites;
  if (!flood) {
    // A lull of less than maxDefer is part of the flood (a sender reconnecting, a slow commit):
    // it ends, and says so, only after a calm that long, so a choppy flood logs two lines.
    if (yielding_ && now - lastFloodSeen_ >= options_.maxDefer) {
      logger_->info(
          "the inbound flood is over: planning resumes ({} turns deferred in {} ms)",
          deferredInFlood_,
          std::chrono::duration_cast<std::chrono::milliseconds>(lastFloodSeen_ - yieldingSince_)
              .count());
      yielding_ = false;
    }
    lastTurn_ = now;
    return false;
  }
  lastFloodSeen_ = now;
  if (!yielding_) {
    yielding_ = true;
    yieldingSince_ = now;
    deferredInFlood_ = 0;
    logger_->info(
        "an inbound flood ({} deliveries per commit): planning yields to it, one batch every {} "
        "ms until it ends",
        pressure_->writes(), options_.maxDefer.count());
  }
  if (now - lastTurn_ >= options_.maxDefer) {
    lastTurn_ = now;
    return false;
  }
  ++deferredInFlood_;
  ++deferredTotal_;
  return true;
}

}  // namespace appkeeper::daemon
