// The JSON shapes of the emulated Graph resources (shared/graph-api.md §1): team, teamsApp,
// teamsAppDefinition, permission sets; and $select projection. Pure functions, thread-safe.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/teams_types.h"
#include "emulator/tenant_model.h"
#include "nlohmann/json.hpp"

namespace appkeeper::emulator {

// [{"permissionValue": ..., "permissionType": ...}, ...]
nlohmann::json rscToJson(const std::vector<RscPermission>& rsc);
// Strict: an array of objects with a non-empty string permissionValue and permissionType
// "application" or "delegated", nothing else. The message names the offending element.
Result<std::vector<RscPermission>> rscFromJson(const nlohmann::json& value);
// {"resourceSpecificPermissions": [...]}
nlohmann::json permissionSetJson(const std::vector<RscPermission>& rsc);

// The members appJson and definitionJson emit: what $select and $filter may name.
extern const std::set<std::string> kAppFields;
extern const std::set<std::string> kDefinitionFields;

nlohmann::json teamJson(const Team& team);
// id, externalId (null for store apps), displayName, distributionMethod.
nlohmann::json appJson(const App& app);
// Every field of a teamsAppDefinition (the app supplies names and descriptions).
nlohmann::json definitionJson(const App& app, const Definition& definition);
// Only the members named in `select` (those the entity lacks are left out).
nlohmann::json project(const nlohmann::json& entity, const std::vector<std::string>& select);

}  // namespace appkeeper::emulator
