// Stats: what the emulator has answered, for GET /_emulator/stats — counts per normalised
// route and status ({"GET /teams":{"200":12,"429":3}}), throttled requests, upgrade outcomes
// and identity-platform grants by outcome.
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
  // One answer of the identity platform: `grant` as in IdentityAnswer ("device_code",
  // "refresh_token", "client_credentials", "devicecode"), `outcome` "issued" or the error code.
  void countGrant(const std::string& grant, const std::string& outcome);
  // {"requests":{...},"throttled":n,"upgrades":n,"noopUpgrades":n,"grants":{grant:{outcome:n}}}
  nlohmann::json toJson() const;
  void reset();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, int64_t>> requests_;  // guarded by mu_
  int64_t throttled_ = 0;                                           // guarded by mu_
  int64_t upgrades_ = 0;                                            // guarded by mu_
  int64_t noopUpgrades_ = 0;                                        // guarded by mu_
  std::map<std::string, std::map<std::string, int64_t>> grants_;    // guarded by mu_
};

}  // namespace appkeeper::emulator
