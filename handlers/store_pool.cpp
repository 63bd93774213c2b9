#include "handlers/store_pool.h"

#include <utility>

namespace appkeeper::handlers {

StoreLease::StoreLease(StoreLease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), store_(std::move(other.store_)) {}

StoreLease::~StoreLease() {
  if (pool_ != nullptr && store_) pool_->giveBack(std::move(store_));
}

Result<std::unique_ptr<StorePool>> StorePool::open(const std::string& path, const Clock& clock,
                                                   size_t size, const store::OpenOptions& options) {
  if (size == 0) return Error::internal("a store pool needs at least one connection");
  std::vector<std::unique_ptr<store::Store>> stores;
  stores.reserve(size);
  for (size_t i = 0; i < size; ++i) {
    auto s = store::Store::open(path, clock, options);
    if (!s) return s.error();
    stores.push_back(std::move(s.value()));
  }
  return std::unique_ptr<StorePool>(new StorePool(std::move(stores)));
}

StorePool::StorePool(std::vector<std::unique_ptr<store::Store>> stores)
    : size_(stores.size()), free_(std::move(stores)) {}

StorePool::~StorePool() = default;

std::optional<StoreLease> StorePool::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, wait, [this] { return !free_.empty(); })) return std::nullopt;
  std::unique_ptr<store::Store> s = std::move(free_.back());
  free_.pop_back();
  return StoreLease(this, std::move(s));
}

size_t StorePool::available() const {
  std::lock_guard lock(mu_);
  return free_.size();
}

void StorePool::giveBack(std::unique_ptr<store::Store> store) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(store));  // capacity is size_ from the start: no allocation
  }
  freed_.notify_one();
}

}  // namespace appkeeper::handlers
