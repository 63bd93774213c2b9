// InboundPressure: how hard deliveries are arriving right now, published by the inbound
// writer (inbound_writer.h) for background work that should give way to them: the planner
// (daemon/ingest_first.h). The value is the number of writes in the group commit just made
// when more writes were already waiting for the next one, and 0 once a commit leaves nothing
// queued. A steady few thousand deliveries a second commit one or two at a time; a flood, tens.
// Thread-safe: one relaxed atomic, as the readers only steer scheduling.
#pragma once

#include <atomic>
#include <cstddef>

namespace appkeeper::handlers {

class InboundPressure {
 public:
  size_t writes() const { return writes_.load(std::memory_order_relaxed); }
  void publish(size_t writes) { writes_.store(writes, std::memory_order_relaxed); }

 private:
  std::atomic<size_t> writes_{0};
};

}  // namespace appkeeper::handlers
