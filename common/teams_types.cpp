#include "common/teams_types.h"

#include <algorithm>

#include "common/version.h"

namespace appkeeper {

std::vector<RscPermission> normalized(std::vector<RscPermission> perms) {
  std::sort(perms.begin(), perms.end());
  perms.erase(std::unique(perms.begin(), perms.end()), perms.end());
  return perms;
}

bool hasApplicationPermission(const std::vector<RscPermission>& perms) {
  return std::any_of(perms.begin(), perms.end(),
                     [](const RscPermission& p) { return p.type == "application"; });
}

const AppDefinition* latestPublished(const CatalogApp& app) {
  const AppDefinition* best = nullptr;
  for (const auto& d : app.definitions) {
    if (d.publishingState != "published") continue;
    if (best == nullptr) {
      best = &d;
      continue;
    }
    auto cmp = compareVersions(d.version, best->version);
    if (cmp && *cmp > 0) best = &d;
  }
  return best;
}

}  // namespace appkeeper
