// The inbox: inbound deliveries persisted before the 202 (and items the daemon queues itself),
// then leased by the planner, which turns each into jobs. Inbox leases carry no owner: there is
// one planner.
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {
namespace {

using SQLite::TransactionBehavior;

// SQLite's busy handler waits for another connection's write lock by sleeping (1, 2, 5 ... 100 ms
// steps) instead of waking when the lock frees: under an inbound flood the inbound writer starved
// behind the planner's back-to-back inbox transactions until its busy timeout (503s, p99 ~2 s).
// This process's inbox writers therefore take turns in arrival order (a ticket lock), so the next
// one begins the moment the previous one committed. Other processes (the CLI) still meet the
// busy handler. A turn never waits for another turn, so turns cannot deadlock.
class InboxWriteTurns {
 public:
  class Turn {
   public:
    explicit Turn(InboxWriteTurns& turns) : turns_(turns) { turns_.take(); }
    ~Turn() { turns_.give(); }
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;

   private:
    InboxWriteTurns& turns_;
  };

 private:
  void take() {
    std::unique_lock lock(mu_);
    const uint64_t ticket = next_++;
    served_.wait(lock, [&] { return serving_ == ticket; });
  }
  void give() {
    {
      std::lock_guard lock(mu_);
      ++serving_;
    }
    served_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable served_;
  uint64_t next_ = 0;     // guarded by mu_
  uint64_t serving_ = 0;  // guarded by mu_
};

InboxWriteTurns& inboxWriteTurns() {
  static InboxWriteTurns turns;
  return turns;
}

}  // namespace

bool Store::Impl::writeCatalogEvent(const std::string& webhookId, const std::string& payload,
                                    const AuditRecord& audit) {
  bool fresh = false;
  {
    StatementUse insert(prepared(
        cached.insertCatalogEvent,
        "INSERT INTO inbox (kind, payload, webhook_id, received_at, run_at, due_at) "
        "VALUES ('catalog-event', ?1, ?2, ?3, ?3, ?3) ON CONFLICT (webhook_id) DO NOTHING"));
    insert->bind(1, payload);
    if (webhookId.empty()) {
      insert->bind(2);  // no id, no dedupe (NULLs never conflict)
    } else {
      insert->bind(2, webhookId);
    }
    insert->bind(3, nowMs());
    fresh = insert->exec() == 1;
  }
  AuditRecord record = audit;
  if (record.event.empty()) record.event = "catalog-event";
  record.outcome = fresh ? "accepted" : "duplicate";
  if (!fresh && record.detail.empty()) {
    record.detail = "webhook-id " + webhookId + " was already accepted; ignored";
  }
  insertAudit(record);
  return fresh;
}

std::optional<int64_t> Store::Impl::writeNotification(const std::string& payload,
                                                      const std::vector<AuditRecord>& audits) {
  std::optional<int64_t> id;
  if (!payload.empty()) {
    StatementUse insert(prepared(cached.insertNotification,
                                 "INSERT INTO inbox (kind, payload, received_at, run_at, due_at) "
                                 "VALUES ('graph-notification', ?1, ?2, ?2, ?2)"));
    insert->bind(1, payload);
    insert->bind(2, nowMs());
    insert->exec();
    id = db->getLastInsertRowid();
  }
  for (const AuditRecord& audit : audits) insertAudit(audit);
  return id;
}

Result<bool> Store::acceptCatalogEvent(const std::string& webhookId, const std::string& payload,
                                       const AuditRecord& audit) {
  return guarded("accepting a catalog event", [&]() -> Result<bool> {
    if (auto refused = impl_->refuseIfReadOnly("accepting a catalog event")) return *refused;
    InboxWriteTurns::Turn turn(inboxWriteTurns());
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    const bool fresh = impl_->writeCatalogEvent(webhookId, payload, audit);
    tx.commit();
    return fresh;
  });
}

Result<std::optional<int64_t>> Store::acceptNotification(const std::string& payload,
                                                         const std::vector<AuditRecord>& audits) {
  return guarded("accepting a Graph notification", [&]() -> Result<std::optional<int64_t>> {
    if (auto refused = impl_->refuseIfReadOnly("accepting a Graph notification")) {
      return *refused;
    }
    InboxWriteTurns::Turn turn(inboxWriteTurns());
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    std::optional<int64_t> id = impl_->writeNotification(payload, audits);
    tx.commit();
    return id;
  });
}

Result<std::vector<Result<InboundWriteOutcome>>> Store::acceptInboundBatch(
    const std::vector<InboundWrite>& writes, InboundBatchTiming* timing) {
  using Outcomes = std::vector<Result<InboundWriteOutcome>>;
  return guarded("accepting a batch of inbound deliveries", [&]() -> Result<Outcomes> {
    if (auto refused = impl_->refuseIfReadOnly("accepting a batch of inbound deliveries")) {
      return *refused;
    }
    Outcomes outcomes;
    outcomes.reserve(writes.size());
    if (writes.empty()) return outcomes;
    const SteadyTime asked = impl_->clock.steadyNow();
    InboxWriteTurns::Turn turn(inboxWriteTurns());
    const SteadyTime began = impl_->clock.steadyNow();
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    for (const InboundWrite& w : writes) {
      const bool catalog = w.kind == InboundWrite::Kind::kCatalogEvent;
      const char* what = catalog ? "accepting a catalog event" : "accepting a Graph notification";
      if (catalog && w.audits.size() != 1) {
        outcomes.push_back(Error::internal(std::string(what) +
                                           ": a catalog event needs exactly one audit record"));
        continue;
      }
      impl_->beginItem();
      try {
        InboundWriteOutcome out;
        if (catalog) {
          out.fresh = impl_->writeCatalogEvent(w.webhookId, w.payload, w.audits.front());
        } else {
          out.inboxId = impl_->writeNotification(w.payload, w.audits);
        }
        impl_->releaseItem();
        outcomes.push_back(out);
      } catch (const SQLite::Exception& e) {
        outcomes.push_back(fromSqlite(e, what));
        // Undoes this write only; or throws, and the batch fails as one: nothing of it was kept.
        impl_->rollbackItem();
      }
    }
    tx.commit();
    if (timing != nullptr) {
      timing->turnWait = began - asked;
      timing->transaction = impl_->clock.steadyNow() - began;
    }
    return outcomes;
  });
}

Result<int64_t> Store::enqueueInbox(const std::string& kind, const std::string& payload,
                                    const AuditRecord& audit) {
  return guarded("queueing an inbox item", [&]() -> Result<int64_t> {
    if (auto refused = impl_->refuseIfReadOnly("queueing an inbox item")) return *refused;
    if (kind.empty()) {
      return Error::internal(
          "queueing an inbox item: the kind is empty; name what the planner "
          "should do with it (e.g. \"catalog-event\")");
    }
    InboxWriteTurns::Turn turn(inboxWriteTurns());
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    // No webhook_id: the daemon's own items are not deliveries that a sender may retry.
    SQLite::Statement insert(*impl_->db,
                             "INSERT INTO inbox (kind, payload, received_at, run_at, due_at) "
                             "VALUES (?1, ?2, ?3, ?3, ?3)");
    insert.bind(1, kind);
    insert.bind(2, payload);
    insert.bind(3, impl_->nowMs());
    insert.exec();
    const int64_t id = impl_->db->getLastInsertRowid();
    AuditRecord record = audit;
    if (record.event.empty()) record.event = kind;
    impl_->insertAudit(record);
    tx.commit();
    return id;
  });
}

// The single-item forms are the batch ones with one item, so the claim's SQL and the
// completion's savepoint logic exist once.
Result<std::optional<InboxItem>> Store::claimInbox(std::chrono::milliseconds lease) {
  auto items = claimInboxBatch(lease, 1);
  if (!items) return items.error();
  if (items->empty()) return std::optional<InboxItem>();
  return std::optional<InboxItem>(std::move(items->front()));
}

Result<size_t> Store::completeInbox(int64_t inboxId, const std::vector<JobSpec>& jobs,
                                    const std::vector<AuditRecord>& audits) {
  auto outcomes = completeInboxBatch({InboxCompletion{inboxId, jobs, audits}});
  if (!outcomes) return outcomes.error();
  return std::move(outcomes->front());
}

Result<std::vector<InboxItem>> Store::claimInboxBatch(std::chrono::milliseconds lease,
                                                      size_t max) {
  return guarded("claiming inbox items", [&]() -> Result<std::vector<InboxItem>> {
    if (auto refused = impl_->refuseIfReadOnly("claiming inbox items")) return *refused;
    std::vector<InboxItem> items;
    if (max == 0) return items;
    const int64_t now = impl_->nowMs();
    {
      // A read first, as in claimJob: an idle planner's poll takes no write turn.
      StatementUse due(impl_->prepared(
          impl_->cached.anyInboxDue,
          "SELECT 1 FROM inbox INDEXED BY inbox_due WHERE state IN ('queued', 'running') "
          "AND due_at <= ?1 LIMIT 1"));
      due->bind(1, now);
      if (!due->executeStep()) return items;
    }
    InboxWriteTurns::Turn turn(inboxWriteTurns());
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    {
      // Same shape as the job claim: due_at is run_at while queued, lease_until while running.
      // RETURNING gives no order: sorted below.
      StatementUse claim(impl_->prepared(
          impl_->cached.claimInbox,
          "UPDATE inbox SET state = 'running', attempts = attempts + 1, lease_until = ?1, "
          "due_at = ?1 WHERE id IN (SELECT id FROM inbox INDEXED BY inbox_due "
          "WHERE state IN ('queued', 'running') "
          "AND due_at <= ?2 ORDER BY due_at, id LIMIT ?3) "
          "RETURNING id, kind, payload, received_at, attempts, run_at"));
      claim->bind(1, now + static_cast<int64_t>(lease.count()));
      claim->bind(2, now);
      claim->bind(3, static_cast<int64_t>(max));
      std::vector<std::pair<int64_t, InboxItem>> claimed;  // run_at, item
      while (claim->executeStep()) {
        InboxItem item;
        item.id = claim->getColumn(0).getInt64();
        item.kind = claim->getColumn(1).getString();
        item.payload = claim->getColumn(2).getString();
        item.receivedAt = fromUnixMillis(claim->getColumn(3).getInt64());
        item.attempts = claim->getColumn(4).getInt();
        claimed.emplace_back(claim->getColumn(5).getInt64(), std::move(item));
      }
      std::sort(claimed.begin(), claimed.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first : a.second.id < b.second.id;
      });
      items.reserve(claimed.size());
      for (auto& c : claimed) items.push_back(std::move(c.second));
    }
    tx.commit();
    return items;
  });
}

Result<std::vector<Result<size_t>>> Store::completeInboxBatch(
    const std::vector<InboxCompletion>& items) {
  using Outcomes = std::vector<Result<size_t>>;
  return guarded("completing inbox items", [&]() -> Result<Outcomes> {
    if (auto refused = impl_->refuseIfReadOnly("completing inbox items")) return *refused;
    Outcomes outcomes;
    outcomes.reserve(items.size());
    if (items.empty()) return outcomes;
    InboxWriteTurns::Turn turn(inboxWriteTurns());
    SQLite::Transaction tx(*impl_->db, TransactionBehavior::IMMEDIATE);
    StatementUse done(
        impl_->prepared(impl_->cached.completeInbox,
                        "UPDATE inbox SET state = 'done', due_at = NULL, lease_until = 0 "
                        "WHERE id = ?1 AND state <> 'done'"));
    for (const InboxCompletion& item : items) {
      impl_->beginItem();
      // Filled in place (GCC 12 reports a Result<size_t> temporary as maybe-uninitialized).
      Result<size_t>& outcome = outcomes.emplace_back(size_t{0});
      try {
        done->reset();
        done->bind(1, item.inboxId);
        if (done->exec() == 0) {
          impl_->releaseItem();
          outcome = Error::permanent("inbox item " + std::to_string(item.inboxId) +
                                     " is unknown or already done; nothing was enqueued");
          continue;
        }
        outcome = impl_->insertJobs(item.jobs, item.inboxId);
        for (const AuditRecord& audit : item.audits) impl_->insertAudit(audit);
        impl_->releaseItem();
      } catch (const SQLite::Exception& e) {
        outcome = fromSqlite(e, "completing an inbox item");
        // As in acceptInboundBatch: undoes this item only, or throws (the batch fails as one).
        impl_->rollbackItem();
      }
    }
    tx.commit();
    return outcomes;
  });
}

Status Store::retryInbox(int64_t inboxId, WallTime runAt, const std::string& error) {
  return guarded("rescheduling an inbox item", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("rescheduling an inbox item")) return *refused;
    InboxWriteTurns::Turn turn(inboxWriteTurns());
    StatementUse retry(
        impl_->prepared(impl_->cached.retryInbox,
                        "UPDATE inbox SET state = 'queued', run_at = ?1, due_at = ?1, "
                        "lease_until = 0, last_error = ?2 WHERE id = ?3 AND state = 'running'"));
    retry->bind(1, toUnixMillis(runAt));
    retry->bind(2, error);
    retry->bind(3, inboxId);
    if (retry->exec() == 0) {
      return Error::permanent("inbox item " + std::to_string(inboxId) +
                              " is not being processed (unknown, done or already rescheduled)");
    }
    return Ok{};
  });
}

}  // namespace appkeeper::store
