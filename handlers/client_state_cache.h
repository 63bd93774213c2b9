// ClientStateCache: the clientState of subscriptions the store has, kept in memory so that a
// Graph delivery is checked without a store read. A read per delivery cost a read transaction
// (its shared-memory locks, and page reads after every commit of the inbound writer had
// invalidated the connection's page cache) for a row that changes a few times a day.
//
// Staleness is bounded both ways:
// - every entry is dropped once store::Store::subscriptionsVersion() moves, i.e. as soon as this
//   process saves or removes any subscription (the daemon's subscription manager is the only
//   writer), so a removed subscription is refused from the next delivery on;
// - an entry also expires `ttl` after it was read, which bounds how long a change made by
//   another process would go unseen.
// Only subscriptions that exist are kept, at most `maxEntries` (a flood of made-up ids never
// grows it; the daemon has one subscription per watched app). clientState values are secrets:
// held here as they are in the store, never logged.
//
// Borrows the Clock (steady time). Thread-safe: find() takes a shared lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace appkeeper::handlers {

class ClientStateCache {
 public:
  explicit ClientStateCache(const Clock& clock,
                            std::chrono::milliseconds ttl = std::chrono::seconds(5),
                            size_t maxEntries = 256);

  // The clientState of `subscriptionId` while current; nullopt: read it from the store.
  std::optional<std::string> find(const std::string& subscriptionId) const;
  // Keeps what the store answered for `subscriptionId`. `version` is
  // store::Store::subscriptionsVersion() taken BEFORE that read: a write racing the read then
  // leaves the entry already stale, never a stale entry looking current.
  void remember(const std::string& subscriptionId, std::string clientState, uint64_t version);
  size_t size() const;

 private:
  struct Entry {
    std::string clientState;
    SteadyTime expires;
  };
  const Clock& clock_;
  const std::chrono::milliseconds ttl_;
  const size_t maxEntries_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  uint64_t version_ = 0;                            // guarded by mu_: what entries_ were read at
};

}  // namespace appkeeper::handlers
