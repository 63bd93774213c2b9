// FakeTokenSource: hands out "token-1", and "token-N" after each forced refresh; or a scripted
// Error. Records how often it was asked and refreshed. Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "graph/token_source.h"

namespace appkeeper::testing {

class FakeTokenSource final : public graph::TokenSource {
 public:
  explicit FakeTokenSource(std::string prefix = "token-") : prefix_(std::move(prefix)) {}

  Result<std::string> token(bool forceRefresh = false) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (error_) return *error_;
    if (forceRefresh) ++generation_, ++refreshes_;
    return prefix_ + std::to_string(generation_);
  }
  void failWith(Error e) {
    std::lock_guard lock(mu_);
    error_ = std::move(e);
  }
  int refreshes() const {
    std::lock_guard lock(mu_);
    return refreshes_;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::string prefix_;
  std::optional<Error> error_;  // guarded by mu_
  int generation_ = 1;          // guarded by mu_
  int refreshes_ = 0;           // guarded by mu_
  int calls_ = 0;               // guarded by mu_
};

}  // namespace appkeeper::testing
