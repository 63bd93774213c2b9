// The emulator settings that the control API may change while it serves (page size, token
// lifetime, the app-only RSC switch, device-code timings, latency). Throttle limits and fault rules
// live in their own objects. SettingsBox is thread-safe: readers take a copy under its mutex.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>

namespace appkeeper::emulator {

struct RuntimeSettings {
  size_t pageSize = 20;
  std::chrono::seconds tokenLifetime{3599};
  bool allowAppOnlyRsc = false;
  std::chrono::seconds deviceCodeLifetime{900};  // expires_in of a device code
  std::chrono::seconds deviceCodeInterval{5};    // its polling interval (0: poll at will)
  std::chrono::milliseconds latency{0};          // added to every Graph and token request
  std::chrono::milliseconds latencyJitter{0};    // plus uniform [0, jitter]
};

class SettingsBox {
 public:
  explicit SettingsBox(RuntimeSettings initial) : settings_(initial) {}
  RuntimeSettings get() const {
    std::lock_guard lock(mu_);
    return settings_;
  }
  void set(const RuntimeSettings& s) {
    std::lock_guard lock(mu_);
    settings_ = s;
  }

 private:
  mutable std::mutex mu_;
  RuntimeSettings settings_;  // guarded by mu_
};

}  // namespace appkeeper::emulator
