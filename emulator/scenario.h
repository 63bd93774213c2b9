// Scenario files and the state file: a JSON description of teams, catalog apps (with versions,
// publishing states and RSC permissions) and installations, applied on top of a model (after
// seeding, if any). The state file is the same format written from a live model, ids and
// counters included, so `--state` round-trips. Format: docs/emulator.md "Scenario files".
//
// Missing ids are drawn from the Random given (deterministic with a seeded one). Teams and apps
// may be referred to by id or displayName (apps also by externalId).
// Not thread-safe with respect to other writers of the model: use before serving.
// Errors: kInvalidInput with a message naming the offending element; nothing throws.
#pragma once

#include <string>

#include "common/random.h"
#include "common/result.h"
#include "emulator/tenant_model.h"
#include "nlohmann/json.hpp"

namespace appkeeper::emulator {

Status applyScenario(TenantModel& model, const nlohmann::json& scenario, Random& idRandom);
Status loadScenarioFile(TenantModel& model, const std::string& path, Random& idRandom);

nlohmann::json dumpState(const TenantModel& model);
// Writes to path + ".tmp", then renames, so a crash never leaves half a file.
Status saveStateFile(const TenantModel& model, const std::string& path);

}  // namespace appkeeper::emulator
