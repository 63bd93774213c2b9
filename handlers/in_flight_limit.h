// InFlightLimit: load shedding for the inbound routes that persist something. At most `cap`
// requests hold a slot at once; a request that finds none free is answered 503 + Retry-After at
// once (by the Router) instead of waiting.
//
// Why a cap below the listener's thread count: Poco hands each connection to one of maxThreads
// threads and queues the rest (silently dropping beyond maxQueued). When every thread is stuck in
// a slow or locked store, everything queues behind them, health probes included, and the queue
// overflows. Capping the persisting requests keeps (maxThreads - cap) threads that only answer
// cheap things (health, readiness, the 503s themselves), so the queue keeps draining and a
// flood is refused quickly and visibly (senders retry) instead of timing out.
//
// Thread-safe (one atomic counter). A Slot gives its place back when destroyed (RAII).
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <utility>

namespace appkeeper::handlers {

class InFlightLimit {
 public:
  class Slot {
   public:
    Slot(Slot&& other) noexcept : limit_(std::exchange(other.limit_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() {
      if (limit_ != nullptr) limit_->inFlight_.fetch_sub(1, std::memory_order_acq_rel);
    }

   private:
    friend class InFlightLimit;
    explicit Slot(InFlightLimit* limit) : limit_(limit) {}
    InFlightLimit* limit_;
  };

  // cap 0: no limit (every tryEnter succeeds).
  explicit InFlightLimit(size_t cap) : cap_(cap) {}
  InFlightLimit(const InFlightLimit&) = delete;
  InFlightLimit& operator=(const InFlightLimit&) = delete;

  // A slot, or nullopt when `cap` requests already hold one (the caller sheds the request).
  std::optional<Slot> tryEnter() {
    const size_t now = inFlight_.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (cap_ != 0 && now > cap_) {
      inFlight_.fetch_sub(1, std::memory_order_acq_rel);
      return std::nullopt;
    }
    return Slot(this);
  }

  size_t cap() const { return cap_; }
  size_t inFlight() const { return inFlight_.load(std::memory_order_acquire); }

 private:
  const size_t cap_;
  std::atomic<size_t> inFlight_{0};
};

}  // namespace appkeeper::handlers
