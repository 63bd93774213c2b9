// Checks shared by the fault-matrix and rate-limit tests: what a finished rollout must look like
// from both sides, the emulator's installations and appkeeper's audit trail.
// Borrows nothing; each function makes its own HTTP calls or CLI run. Not thread-safe (the
// harness objects it reads are not).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "integration/harness.h"
#include "nlohmann/json.hpp"

namespace appkeeper::testing {

// Installations of `appId` not at `version`.
size_t installationsBehind(EmulatorProcess& emu, const std::string& appId,
                           const std::string& version);

// The "upgrade" audit records of `appId`.
std::vector<nlohmann::json> upgradeAudits(const DaemonProcess& daemon, const std::string& appId);

// Whether an upgrade audit record is the outcome of a job run that reached the upgrade POST:
// "upgraded", or "retrying"/"failed"/"waiting" (token endpoint down) while upgrading (the
// worker's detail says "upgrading: ...").
bool auditedPostAttempt(const nlohmann::json& record);

// Upgrade POSTs the emulator saw, by outcome ("204", "503", "hang", ...), from its stats.
std::map<std::string, int64_t> upgradePostsByOutcome(const nlohmann::json& stats);

// The sum of a {"key": n, ...} object's values.
int64_t sumOf(const std::map<std::string, int64_t>& counts);

}  // namespace appkeeper::testing
