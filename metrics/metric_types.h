// The three metric values: Counter (only goes up), Gauge (set to anything), Histogram (counts
// of observations per fixed bucket, plus their sum). Each is a handful of atomics, so recording
// on a hot path (every inbound request, every Graph call) takes no lock and allocates nothing.
//
// Thread contract: every member is thread-safe. A Histogram borrows its bucket bounds from the
// family that created it (see registry.h); they never change.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace appkeeper::metrics {

class Counter {
 public:
  // Negative or NaN increments are ignored: a counter never goes down.
  void inc(double by = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `upperBounds`: strictly increasing, finite (the registry checks); +Inf is implicit.
  explicit Histogram(const std::vector<double>& upperBounds);
  void observe(double v);  // NaN is ignored

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then the +Inf bucket (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  // Bucket counts read one by one: under concurrent observations the snapshot may miss the
  // newest, but its buckets are always cumulative and count equals the +Inf bucket.
  Snapshot snapshot() const;

 private:
  const std::vector<double>& bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
  std::atomic<double> sum_{0.0};
};

}  // namespace appkeeper::metrics
