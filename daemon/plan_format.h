// How `appkeeper plan` prints an UpgradePreview: a readable report (target, permission
// changes per installed version, one line per installation) or one JSON document whose shape
// `appkeeper plan --help` states. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "daemon/upgrade_preview.h"

namespace appkeeper::daemon {

// Where the installations came from: the daemon's inventory or a live listing.
enum class InstallationSource { kInventory, kGraph };

nlohmann::json planToJson(const UpgradePreview& preview, InstallationSource source);
void writePlanText(std::ostream& out, const UpgradePreview& preview, InstallationSource source);

}  // namespace appkeeper::daemon
