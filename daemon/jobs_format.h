// How `appkeeper jobs` prints the queue: counts by state, or the jobs of one state, as an
// aligned table or JSON Lines. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "daemon/cli_args.h"
#include "store/store.h"

namespace appkeeper::daemon {

// Only states with jobs are printed, in lifecycle order. jsonl: {"state":"queued","count":3}
// per line; table: STATE COUNT and a total line ("no jobs" when the queue is empty).
void writeJobCounts(std::ostream& out, const std::map<store::JobState, int64_t>& counts,
                    OutputFormat format);

// jsonl keys: id, state, tenantId, teamId, installationId, teamsAppId, fromVersion,
// toVersion, attempt, runAt, leaseUntil, createdAt, lastError.
nlohmann::json jobToJson(const store::Job& job);
void writeJobs(std::ostream& out, const std::vector<store::Job>& jobs, OutputFormat format);

}  // namespace appkeeper::daemon
