// UpgradePreview: what upgrading one app would do now, for `appkeeper plan` (a dry run). From
// the catalog app, its installations and whether a usable delegated sign-in exists it derives
// the target (Decision 1), the target's RSC set, per distinct installed version the RSC
// permissions the upgrade adds and removes, and each installation's fate, by the worker's own
// rules: at or above the target -> skip (Decision 2); target needs a delegated token
// (consent.h) and none is usable -> needs-delegated-consent (Decision 3); else upgrade.
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/teams_types.h"

namespace appkeeper::daemon {

enum class PreviewAction { kUpgrade, kSkip, kNeedsDelegatedConsent };
// "upgrade", "skip", "needs-delegated-consent".
const char* toString(PreviewAction action);

// How the RSC set changes from one installed version to the target.
struct PermissionChange {
  std::string fromVersion;
  size_t installations = 0;  // installations at this version
  // False when the catalog no longer lists this version: added/removed are then unknown
  // (empty) rather than guessed.
  bool known = true;
  std::vector<RscPermission> added, removed;  // normalized
};

struct PreviewedInstallation {
  TeamInstallation installation;
  PreviewAction action = PreviewAction::kUpgrade;
  std::string reason;  // one sentence, e.g. "already current (1.2.0)"
};

struct UpgradePreview {
  std::string appId, externalId, displayName;
  std::optional<AppDefinition> target;  // none: no published version
  bool delegatedLogin = false;
  std::vector<PermissionChange> changes;  // one per installed version, oldest version first
  std::vector<PreviewedInstallation> installations;  // by team id, then installation id
  size_t upgrade = 0, skip = 0, needsDelegatedConsent = 0;
};

UpgradePreview previewUpgrade(const CatalogApp& app,
                              const std::vector<TeamInstallation>& installations,
                              bool delegatedLoginAvailable);

}  // namespace appkeeper::daemon
