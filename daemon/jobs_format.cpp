#include "daemon/jobs_format.h"

#include "daemon/text_table.h"
#include "daemon/time_text.h"

namespace appkeeper::daemon {

void writeJobCounts(std::ostream& out, const std::map<store::JobState, int64_t>& counts,
                    OutputFormat format) {
  TextTable table({"STATE", "COUNT"});
  int64_t total = 0;
  for (const auto& [state, count] : counts) {  // the enum order is the lifecycle order
    if (count == 0) continue;
    total += count;
    if (format == OutputFormat::kJsonl) {
      out << nlohmann::json{{"state", store::toString(state)}, {"count", count}}.dump() << '\n';
    } else {
      table.addRow({store::toString(state), std::to_string(count)});
    }
  }
  if (format == OutputFormat::kJsonl) return;
  if (total == 0) {
    out << "no jobs\n";
    return;
  }
  table.addRow({"total", std::to_string(total)});
  table.write(out);
}

nlohmann::json jobToJson(const store::Job& j) {
  return nlohmann::json{
      {"id", j.id},
      {"state", store::toString(j.state)},
      {"tenantId", j.spec.tenantId},
      {"teamId", j.spec.teamId},
      {"installationId", j.spec.installationId},
      {"teamsAppId", j.spec.teamsAppId},
      {"fromVersion", j.spec.fromVersion},
      {"toVersion", j.spec.targetVersion},
      {"attempt", j.attempt},
      {"runAt", formatRfc3339(j.runAt)},
      {"leaseUntil", formatRfc3339(j.leaseUntil)},
      {"createdAt", formatRfc3339(j.createdAt)},
      {"lastError", j.lastError},
  };
}

void writeJobs(std::ostream& out, const std::vector<store::Job>& jobs, OutputFormat format) {
  if (format == OutputFormat::kJsonl) {
    for (const auto& j : jobs) {
      out << jobToJson(j).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
    return;
  }
  TextTable table(
      {"ID", "TEAM", "INSTALLATION", "APP", "VERSION", "ATTEMPT", "RUN AT", "LAST ERROR"});
  for (const auto& j : jobs) {
    std::string runAt = formatRfc3339(j.runAt);
    table.addRow({std::to_string(j.id), j.spec.teamId, j.spec.installationId, j.spec.teamsAppId,
                  j.spec.fromVersion + " -> " + j.spec.targetVersion, std::to_string(j.attempt),
                  runAt.substr(0, 19) + "Z", j.lastError});
  }
  table.write(out);
}

}  // namespace appkeeper::daemon
