// Stats: what the emulator has answered, for GET /_emulator/stats — counts per normalised
// route and status ({"GET /teams":{"200":12,"429":3}}), throttled requests, upgrade outcomes.
// Thread-safety: every member is thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "nlohmann/json.hpp"

namespace appkeeper::emulator {

class Stats {
 public:
  // `outcome` is the status as text ("200") or what happened to the connection ("hang").
  void record(const std::string& route, const std::string& outcome);
  void countThrottled();
  void countUpgrade(bool changed);
  // {"requests":{...},"throttled":n,"upgrades":n,"noopUpgrades":n}
  nlohmann::json toJson() const;
  void reset();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, int64_t>> requests_;  // guarded by mu_
  int64_t throttled_ = 0;                                           // guarded by mu_
  int64_t upgrades_ = 0;                                            // guarded by mu_
  int64_t noopUpgrades_ = 0;                                        // guarded by mu_
};

}  // namespace appkeeper::emulator
