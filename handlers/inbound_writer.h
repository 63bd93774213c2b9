// InboundWriter: group commit for the inbound server's writes. One writer thread owns one
// store::Store connection; request threads submit a delivery (a catalog event or a Graph
// notification) and wait; the writer takes everything queued and writes it with
// Store::acceptInboundBatch, ONE transaction and one fsync for the whole batch, then answers
// every waiting request. Durability is the same as one transaction per request: submit()
// returns success only after the commit holding that write. Inbound writers never contend for
// SQLite's write lock with each other, so none sleeps in its busy handler.
//
// Bounded: at most Options::maxQueued writes wait; beyond that, or when a write is still queued
// (not yet taken by the writer) after Options::wait, submit() fails kTransient at once and the
// write is never made (the caller answers 503 + Retry-After). A write the writer has taken is
// always waited for: a commit is never answered 503.
//
// A commit that takes Options::slowCommit or longer is logged as a warning: every delivery in it
// waited that long for its answer, and the usual cause (a slow disk sync) is outside the daemon.
//
// Owns the Store (opened by the caller with its Clock). Thread-safe: submit() from any thread.
// The destructor (RAII stop) refuses new writes, writes everything still queued and joins.
// Errors from submit(): kTransient (overload, stopping, store busy or failing), else those of
// Store::acceptInboundBatch for that write.
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "handlers/inbound_pressure.h"
#include "store/store.h"

namespace appkeeper::handlers {

class InboundWriter {
 public:
  struct Options {
    size_t maxQueued = 1024;                  // writes waiting for the writer, beyond: refused
    size_t maxBatch = 256;                    // writes per transaction at most
    std::chrono::milliseconds wait{250};      // how long a write may stay queued
    bool startThread = true;                  // false: tests call writeQueued() themselves
    // Where each commit's size is published while writes keep queueing (may be null).
    std::shared_ptr<InboundPressure> pressure;
    // Times each commit (steadyNow); null: the system clock.
    const Clock* clock = nullptr;
    // Where slow commits are reported (may be null), and from how long a commit is one.
    std::shared_ptr<spdlog::logger> logger;
    std::chrono::milliseconds slowCommit{100};
  };

  InboundWriter(std::unique_ptr<store::Store> store, Options options);
  ~InboundWriter();
  InboundWriter(const InboundWriter&) = delete;
  InboundWriter& operator=(const InboundWriter&) = delete;

  // Queues `write` and blocks until its transaction committed (or failed).
  Result<store::InboundWriteOutcome> submit(store::InboundWrite write);

  // The same answers as store::Store::acceptCatalogEvent / acceptNotification, through submit().
  Result<bool> acceptCatalogEvent(const std::string& webhookId, const std::string& payload,
                                  const store::AuditRecord& audit);
  Result<std::optional<int64_t>> acceptNotification(const std::string& payload,
                                                    const std::vector<store::AuditRecord>& audits);
  // Audit records alone (e.g. a refused delivery), group-committed like a delivery.
  Status appendAudits(const std::vector<store::AuditRecord>& audits);

  // Without a writer thread: writes one batch of what is queued on the calling thread and
  // returns how many writes it held (0 when none was queued).
  size_t writeQueued();
  // Writes queued now, and a wait (at most `timeout`) until at least `n` are: tests use it to
  // know that a submit() from another thread has arrived.
  size_t queued() const;
  bool waitUntilQueued(size_t n, std::chrono::milliseconds timeout) const;
  // Refuses new writes, writes what is queued, joins the thread. Idempotent.
  void stop();
  // Writes made and the transactions that held them, since construction: how well the group
  // commit batched (an fsync costs as much as tens of rows).
  struct Totals {
    uint64_t writes = 0;
    uint64_t commits = 0;
    uint64_t slowCommits = 0;  // those that took Options::slowCommit or longer
  };
  Totals totals() const;

 private:
  struct Pending;
  void run();
  size_t writeBatch(std::unique_lock<std::mutex>& lock);

  std::unique_ptr<store::Store> store_;
  const Options options_;
  SystemClock systemClock_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable work_;     // the writer: something was queued, or stopping
  mutable std::condition_variable queued_;  // tests: something was queued
  std::deque<std::shared_ptr<Pending>> queue_;  // guarded by mu_
  bool stopping_ = false;                       // guarded by mu_
  Totals totals_;                               // guarded by mu_
  std::thread thread_;
};

// The warning for a commit of `writes` deliveries that took `took` (from `threshold` on), naming
// the likelier cause from where the time went.
std::string describeSlowCommit(size_t writes, std::chrono::milliseconds took,
                               std::chrono::milliseconds threshold,
                               const store::InboundBatchTiming& timing);

}  // namespace appkeeper::handlers
