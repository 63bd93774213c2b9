#include "integration/rollout_checks.h"

namespace appkeeper::testing {

namespace {
constexpr const char* kUpgradeRoute = "POST /teams/{id}/installedApps/{id}/upgrade";
}

size_t installationsBehind(EmulatorProcess& emu, const std::string& appId,
                           const std::string& version) {
  size_t n = 0;
  for (const auto& inst : emu.installations(appId)) n += inst.at("version") != version;
  return n;
}

std::vector<nlohmann::json> upgradeAudits(const DaemonProcess& daemon, const std::string& appId) {
  std::vector<nlohmann::json> out;
  for (auto& r : daemon.audit({"--app", appId})) {
    if (r.value("event", "") == "upgrade") out.push_back(std::move(r));
  }
  return out;
}

bool auditedPostAttempt(const nlohmann::json& record) {
  const std::string outcome = record.value("outcome", "");
  if (outcome == "upgraded") return true;
  if (outcome != "retrying" && outcome != "failed" && outcome != "waiting") return false;
  return record.value("detail", "").rfind("upgrading:", 0) == 0;
}

std::map<std::string, int64_t> upgradePostsByOutcome(const nlohmann::json& stats) {
  std::map<std::string, int64_t> out;
  auto requests = stats.find("requests");
  if (requests == stats.end()) return out;
  auto route = requests->find(kUpgradeRoute);
  if (route == requests->end()) return out;
  for (const auto& [outcome, n] : route->items()) out[outcome] = n.get<int64_t>();
  return out;
}

int64_t sumOf(const std::map<std::string, int64_t>& counts) {
  int64_t sum = 0;
  for (const auto& [key, n] : counts) sum += n;
  return sum;
}

}  // namespace appkeeper::testing
