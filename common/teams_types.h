// Plain value types for the Teams objects appkeeper reasons about, shared by the Graph client,
// the store and the daemon. They carry no behaviour beyond comparison.
#pragma once

#include <string>
#include <vector>

namespace appkeeper {

// One resource-specific consent (RSC) permission of an app definition.
struct RscPermission {
  std::string value;  // e.g. "Channel.Create.Group"
  std::string type;   // "application" or "delegated"
  bool operator==(const RscPermission&) const = default;
  bool operator<(const RscPermission& o) const {
    return value != o.value ? value < o.value : type < o.type;
  }
};

// Sorted, duplicate-free: two sets compare equal regardless of the order Graph listed them in.
std::vector<RscPermission> normalized(std::vector<RscPermission> perms);
bool hasApplicationPermission(const std::vector<RscPermission>& perms);

struct AppDefinition {
  std::string id;  // opaque
  std::string teamsAppId;
  std::string version;
  std::string publishingState;  // "published", "submitted", "rejected"
  std::vector<RscPermission> rsc;
};

struct CatalogApp {
  std::string id;          // catalog id
  std::string externalId;  // manifest id
  std::string displayName;
  std::string distributionMethod;
  std::vector<AppDefinition> definitions;
};

// The newest published definition (Decision 1), or nullptr when none is published.
const AppDefinition* latestPublished(const CatalogApp& app);

struct TeamInstallation {
  std::string tenantId;
  std::string teamId;
  std::string installationId;  // opaque
  std::string teamsAppId;      // catalog id
  std::string definitionId;    // opaque
  std::string version;
};

}  // namespace appkeeper
