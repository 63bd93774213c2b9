// The upgrade job for one installation, as the planner (publish events, notifications) and the
// reconciler enqueue it: one shape, so the store's unique key (tenant, team, installation,
// target) dedupes work that several triggers find at once. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/teams_types.h"
#include "store/store.h"

namespace appkeeper::daemon {

inline store::JobSpec upgradeJob(const std::string& tenantId, const TeamInstallation& installation,
                                 const std::string& targetVersion,
                                 std::optional<int64_t> inboxId = std::nullopt) {
  store::JobSpec spec;
  spec.tenantId = tenantId;
  spec.teamId = installation.teamId;
  spec.installationId = installation.installationId;
  spec.teamsAppId = installation.teamsAppId;
  spec.fromVersion = installation.version;
  spec.targetVersion = targetVersion;
  spec.inboxId = inboxId;
  return spec;
}

}  // namespace appkeeper::daemon
