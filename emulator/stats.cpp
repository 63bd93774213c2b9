#include "emulator/stats.h"

namespace appkeeper::emulator {

void Stats::record(const std::string& route, const std::string& outcome) {
  std::lock_guard lock(mu_);
  ++requests_[route][outcome];
}

void Stats::countThrottled() {
  std::lock_guard lock(mu_);
  ++throttled_;
}

void Stats::countUpgrade(bool changed) {
  std::lock_guard lock(mu_);
  ++(changed ? upgrades_ : noopUpgrades_);
}

void Stats::countGrant(const std::string& grant, const std::string& outcome) {
  std::lock_guard lock(mu_);
  ++grants_[grant][outcome];
}

nlohmann::json Stats::toJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json requests = nlohmann::json::object();
  for (const auto& [route, byStatus] : requests_) requests[route] = byStatus;
  nlohmann::json grants = nlohmann::json::object();
  for (const auto& [grant, byOutcome] : grants_) grants[grant] = byOutcome;
  return {{"requests", requests},
          {"throttled", throttled_},
          {"upgrades", upgrades_},
          {"noopUpgrades", noopUpgrades_},
          {"grants", grants}};
}

void Stats::reset() {
  std::lock_guard lock(mu_);
  requests_.clear();
  grants_.clear();
  throttled_ = upgrades_ = noopUpgrades_ = 0;
}

}  // namespace appkeeper::emulator
