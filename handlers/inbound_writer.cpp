#include "handlers/inbound_writer.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/thread_name.h"

namespace appkeeper::handlers {

// One submitted write. `taken` is guarded by the writer's mu_; the answer by the write's own
// mutex, so the tens of requests a commit answers do not all wake up contending for mu_ (which
// the writer needs for its next batch): each wakes on its own lock.
struct InboundWriter::Pending {
  explicit Pending(store::InboundWrite w) : write(std::move(w)) {}
  store::InboundWrite write;
  bool taken = false;  // in the writer's hands: its answer will come, wait for it
  std::mutex answerMu;
  std::condition_variable answered;
  std::optional<Result<store::InboundWriteOutcome>> result;  // guarded by answerMu

  void answer(Result<store::InboundWriteOutcome> r) {
    {
      std::lock_guard lock(answerMu);
      result = std::move(r);
    }
    answered.notify_one();
  }
};

std::string describeSlowCommit(size_t writes, std::chrono::milliseconds took,
                               std::chrono::milliseconds threshold,
                               const store::InboundBatchTiming& timing) {
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(timing.turnWait);
  // Two causes an operator acts on differently: the disk (the transaction, whose COMMIT waits
  // for fdatasync) or the daemon's own planner holding the database (the turn).
  return "a commit of " + std::to_string(writes) + " inbound deliveries took " +
         std::to_string(took.count()) + " ms (warned from " + std::to_string(threshold.count()) +
         " ms; " + std::to_string(waited.count()) +
         " ms of it waiting for the planner's database writes): each waited that long for its "
         "answer; " +
         (waited * 2 >= took ? "the planner's transactions held the database"
                             : "the disk that holds the database was slow to sync");
}

InboundWriter::InboundWriter(std::unique_ptr<store::Store> store, Options options)
    : store_(std::move(store)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : systemClock_) {
  if (options_.startThread) {
    thread_ = std::thread([this] {
      nameThisThread("ak-inbound-wr");
      run();
    });
  }
}

InboundWriter::~InboundWriter() { stop(); }

Result<store::InboundWriteOutcome> InboundWriter::submit(store::InboundWrite write) {
  auto pending = std::make_shared<Pending>(std::move(write));
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Error::transient("the inbound writer is stopping; retry later");
    if (queue_.size() >= options_.maxQueued) {
      return Error::transient("the inbound write queue is full (" +
                              std::to_string(options_.maxQueued) + " waiting); retry later");
    }
    queue_.push_back(pending);
  }
  work_.notify_one();
  queued_.notify_all();
  std::unique_lock answerLock(pending->answerMu);
  if (!pending->answered.wait_for(answerLock, options_.wait,
                                  [&] { return pending->result.has_value(); })) {
    answerLock.unlock();
    {
      std::lock_guard lock(mu_);
      if (!pending->taken) {
        // Still queued: withdrawn, so it is never written and the 503 tells the truth.
        queue_.erase(std::find(queue_.begin(), queue_.end(), pending));
        return Error::transient("the write was not started within " +
                                std::to_string(options_.wait.count()) + " ms; retry later");
      }
    }
    // In the writer's hands: its commit is always waited for, never answered 503.
    answerLock.lock();
    pending->answered.wait(answerLock, [&] { return pending->result.has_value(); });
  }
  // Freed here, on the thread that allocated it: the writer handed it back (writeBatch).
  store::InboundWrite written = std::move(pending->write);
  return std::move(*pending->result);
}

Result<bool> InboundWriter::acceptCatalogEvent(const std::string& webhookId,
                                               const std::string& payload,
                                               const store::AuditRecord& audit) {
  store::InboundWrite w;
  w.kind = store::InboundWrite::Kind::kCatalogEvent;
  w.webhookId = webhookId;
  w.payload = payload;
  w.audits.push_back(audit);
  auto done = submit(std::move(w));
  if (!done) return done.error();
  return done->fresh;
}

Result<std::optional<int64_t>> InboundWriter::acceptNotification(
    const std::string& payload, const std::vector<store::AuditRecord>& audits) {
  store::InboundWrite w;
  w.kind = store::InboundWrite::Kind::kNotification;
  w.payload = payload;
  w.audits = audits;
  auto done = submit(std::move(w));
  if (!done) return done.error();
  return done->inboxId;
}

Status InboundWriter::appendAudits(const std::vector<store::AuditRecord>& audits) {
  // A notification write without a payload is exactly its audit records (writeNotification).
  auto done = acceptNotification(std::string(), audits);
  if (!done) return done.error();
  return Ok{};
}

size_t InboundWriter::writeQueued() {
  std::unique_lock lock(mu_);
  return writeBatch(lock);
}

size_t InboundWriter::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

bool InboundWriter::waitUntilQueued(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return queued_.wait_for(lock, timeout, [&] { return queue_.size() >= n; });
}

void InboundWriter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable() && queue_.empty()) return;
    stopping_ = true;
  }
  work_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    return;
  }
  // No thread: what is queued is written here, so no accepted submit() is left waiting.
  std::unique_lock lock(mu_);
  while (writeBatch(lock) > 0) {
  }
}

void InboundWriter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued was written
    writeBatch(lock);
  }
}

size_t InboundWriter::writeBatch(std::unique_lock<std::mutex>& lock) {
  const size_t count = std::min(queue_.size(), options_.maxBatch);
  if (count == 0) return 0;
  std::vector<std::shared_ptr<Pending>> batch(queue_.begin(),
                                              queue_.begin() + static_cast<std::ptrdiff_t>(count));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
  std::vector<store::InboundWrite> writes;
  writes.reserve(count);
  for (auto& p : batch) {
    // No wake-up: a waiter only looks at `taken` when its wait times out (under mu_).
    p->taken = true;
    writes.push_back(std::move(p->write));
  }
  lock.unlock();
  // The fsync happens here, with no lock held, so requests keep queueing the next batch.
  const SteadyTime started = clock_.steadyNow();
  store::InboundBatchTiming timing;
  auto results = store_->acceptInboundBatch(writes, &timing);
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steadyNow() - started);
  const bool slow = took >= options_.slowCommit;
  if (slow && options_.logger) {
    options_.logger->warn("{}", describeSlowCommit(count, took, options_.slowCommit, timing));
  }
  for (size_t i = 0; i < count; ++i) {
    // Back to its request thread, which frees it: glibc's malloc makes a free of another
    // thread's memory take that thread's arena lock, and a flood meant tens of such frees per
    // commit, all on this one thread that every request waits for.
    batch[i]->write = std::move(writes[i]);
    if (!results) {
      batch[i]->answer(results.error());
    } else if (results->size() != count) {
      batch[i]->answer(
          Error::internal("the store answered a batch of " + std::to_string(count) +
                          " inbound writes with " + std::to_string(results->size()) + " results"));
    } else {
      batch[i]->answer(std::move((*results)[i]));
    }
  }
  lock.lock();
  totals_.writes += count;
  ++totals_.commits;
  if (slow) ++totals_.slowCommits;
  if (options_.pressure) options_.pressure->publish(queue_.empty() ? 0 : count);
  return count;
}

InboundWriter::Totals InboundWriter::totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

}  // namespace appkeeper::handlers
