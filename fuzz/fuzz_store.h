// The store, clock and logger the handler fuzz targets pass to the real route functions, so an
// input travels the whole path a delivery takes (parse, check, audit, persist), not only the
// parser. One in-memory SQLite database per process, replaced every kInputsPerStore inputs so
// the audit and inbox tables stay small and each input costs about the same.
//
// Header-only, fuzz targets only. One fuzzing thread (libFuzzer runs inputs one at a time).
#pragma once

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "common/clock.h"
#include "fakes/fake_clock.h"
#include "store/store.h"

namespace appkeeper::fuzz {

// 2023-11-14T22:13:20Z: the corpus's webhook-timestamp values are this (and a few around it).
inline constexpr int64_t kFuzzNowSeconds = 1'700'000'000;

class FuzzStore {
 public:
  static constexpr int kInputsPerStore = 5000;

  // `prepare` runs on each fresh store (e.g. to add the subscriptions the corpus refers to).
  template <typename Prepare>
  store::Store& next(Prepare prepare) {
    if (!store_ || ++uses_ > kInputsPerStore) {
      store_.reset();
      auto opened = store::Store::open(":memory:", clock_);
      if (!opened) {
        std::fprintf(stderr, "fuzz: cannot open an in-memory store: %s\n",
                     opened.error().message.c_str());
        std::abort();
      }
      store_ = std::move(opened.value());
      prepare(*store_);
      uses_ = 0;
    }
    return *store_;
  }

  const testing::FakeClock& clock() const { return clock_; }
  spdlog::logger& logger() { return *logger_; }

 private:
  testing::FakeClock clock_{fromUnixMillis(kFuzzNowSeconds * 1000)};
  std::shared_ptr<spdlog::logger> logger_ =
      std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_st>());
  std::unique_ptr<store::Store> store_;
  int uses_ = 0;
};

}  // namespace appkeeper::fuzz
