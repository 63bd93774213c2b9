// Deterministic seeding of a TenantModel from (teams, seed): the same pair gives the same ids,
// names and installations on every run and platform (SplitMix64, no std distributions).
//
// The catalog always holds, with ids drawn from the seed before anything else (so they do not
// depend on the number of teams):
//   Contoso Tasks     1.0.0 1.1.0 1.2.0 2.0.0, no RSC; in ~90% of teams, mostly on older versions
//   Contoso Insights  1.0.0 1.1.0 1.2.0, application RSC, each version adds one; ~40%
//   Contoso Notes     1.0.0 1.3.0, delegated-only RSC; ~30%
//   Contoso Polls     1.0.0, no RSC; ~25%
//   Fabrikam Timesheets 3.1.0 3.2.0, no RSC; ~20%
//   Northwind Store Connector 1.4.0, a `store` app (id = manifest id, no externalId); ~15%
// Not thread-safe with respect to the model's other writers: call before serving.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/result.h"
#include "emulator/tenant_model.h"

namespace appkeeper::emulator {

struct SeedOptions {
  size_t teams = 50;
  uint64_t seed = 1;
};

inline constexpr const char* kTasksApp = "Contoso Tasks";
inline constexpr const char* kInsightsApp = "Contoso Insights";
inline constexpr const char* kNotesApp = "Contoso Notes";

// Adds the catalog, `teams` teams and their installations to an empty model.
Status seedTenant(TenantModel& model, const SeedOptions& options);

}  // namespace appkeeper::emulator
