#include "handlers/client_state_cache.h"

#include <mutex>
#include <utility>

#include "store/store.h"

namespace appkeeper::handlers {

ClientStateCache::ClientStateCache(const Clock& clock, std::chrono::milliseconds ttl,
                                   size_t maxEntries)
    : clock_(clock), ttl_(ttl), maxEntries_(maxEntries) {}

std::optional<std::string> ClientStateCache::find(const std::string& subscriptionId) const {
  const uint64_t current = store::Store::subscriptionsVersion();
  std::shared_lock lock(mu_);
  if (version_ != current) return std::nullopt;  // remember() replaces the stale entries
  auto it = entries_.find(subscriptionId);
  if (it == entries_.end() || clock_.steadyNow() >= it->second.expires) return std::nullopt;
  return it->second.clientState;
}

void ClientStateCache::remember(const std::string& subscriptionId, std::string clientState,
                                uint64_t version) {
  std::unique_lock lock(mu_);
  if (version != version_) {
    // Read under an older version than the entries: it may be stale itself. Read under a newer
    // one: the entries are, and go.
    if (version < version_) return;
    entries_.clear();
    version_ = version;
  }
  if (entries_.size() >= maxEntries_ && entries_.find(subscriptionId) == entries_.end()) {
    // Full: expired entries make room; if none has expired, this one is read each time.
    std::erase_if(entries_, [now = clock_.steadyNow()](const auto& e) {
      return now >= e.second.expires;
    });
    if (entries_.size() >= maxEntries_) return;
  }
  entries_[subscriptionId] = Entry{std::move(clientState), clock_.steadyNow() + ttl_};
}

size_t ClientStateCache::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

}  // namespace appkeeper::handlers
