// The consentedPermissionSet of an upgrade (Decision 4 of shared/graph-api.md): the consented set
// must equal the target definition's required RSC set; when that set holds only delegated
// permissions (or is empty) the body is omitted. Pure; thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "common/teams_types.h"

namespace appkeeper::daemon {

// The set to send (normalized: sorted, duplicates removed), or nullopt to send no body.
std::optional<std::vector<RscPermission>> consentFor(const std::vector<RscPermission>& required);

// Decision 3: Graph refuses app-only upgrades to a definition with ANY RSC permission, so such an
// upgrade needs a delegated token (the worker and `appkeeper plan` both ask this).
bool needsDelegatedToken(const std::vector<RscPermission>& required);

}  // namespace appkeeper::daemon
