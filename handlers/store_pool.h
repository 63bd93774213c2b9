// StorePool: a fixed set of store::Store connections for the inbound server. A request borrows
// one for its duration through a StoreLease (RAII: the destructor gives it back), so each thread
// has its own SQLite connection (WAL + busy timeout make that safe) and the number of connections
// is bounded. When none is free within the wait given to acquire(), the caller answers 503.
//
// Thread-safe (guarded by mu_). The pool must outlive every lease. Borrows the Clock given to
// open() for the lifetime of the pool (each Store keeps it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/store.h"

namespace appkeeper::handlers {

class StorePool;

class StoreLease {
 public:
  StoreLease(StoreLease&& other) noexcept;
  StoreLease& operator=(StoreLease&&) = delete;
  StoreLease(const StoreLease&) = delete;
  StoreLease& operator=(const StoreLease&) = delete;
  ~StoreLease();

  store::Store& operator*() const { return *store_; }
  store::Store* operator->() const { return store_.get(); }

 private:
  friend class StorePool;
  StoreLease(StorePool* pool, std::unique_ptr<store::Store> store)
      : pool_(pool), store_(std::move(store)) {}
  StorePool* pool_;
  std::unique_ptr<store::Store> store_;
};

class StorePool {
 public:
  // Opens `size` (>= 1) read-write connections to `path` up front, so a database that cannot be
  // opened is reported at start-up rather than on the first delivery. Errors: those of
  // store::Store::open (kTransient for a busy/unwritable file, kPermanent for a newer schema).
  static Result<std::unique_ptr<StorePool>> open(const std::string& path, const Clock& clock,
                                                 size_t size,
                                                 const store::OpenOptions& options = {});
  ~StorePool();
  StorePool(const StorePool&) = delete;
  StorePool& operator=(const StorePool&) = delete;

  // A free connection, waiting at most `wait` for one; nullopt when none came free (overload).
  std::optional<StoreLease> acquire(std::chrono::milliseconds wait);
  size_t size() const { return size_; }
  size_t available() const;

 private:
  friend class StoreLease;
  explicit StorePool(std::vector<std::unique_ptr<store::Store>> stores);
  void giveBack(std::unique_ptr<store::Store> store);

  const size_t size_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<store::Store>> free_;  // guarded by mu_
};

}  // namespace appkeeper::handlers
