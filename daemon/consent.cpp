#include "daemon/consent.h"

namespace appkeeper::daemon {

std::optional<std::vector<RscPermission>> consentFor(const std::vector<RscPermission>& required) {
  if (!hasApplicationPermission(required)) return std::nullopt;
  return normalized(required);
}

bool needsDelegatedToken(const std::vector<RscPermission>& required) { return !required.empty(); }

}  // namespace appkeeper::daemon
