#include "daemon/audit_format.h"

#include "daemon/text_table.h"
#include "daemon/time_text.h"

namespace appkeeper::daemon {
namespace {

// "1.0.0 -> 9.0.0", "-> 9.0.0", or "" when neither is known.
std::string versions(const std::string& from, const std::string& to) {
  if (from.empty() && to.empty()) return {};
  if (from.empty()) return "-> " + to;
  if (to.empty()) return from;
  return from + " -> " + to;
}

// 12345 -> "12,345".
std::string withThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string recordCount(int64_t n) { return withThousands(n) + (n == 1 ? " record" : " records"); }

}  // namespace

nlohmann::json auditToJson(const store::AuditRecord& r) {
  nlohmann::json permissions = nlohmann::json::array();
  for (const auto& p : r.permissions) {
    permissions.push_back({{"permissionValue", p.value}, {"permissionType", p.type}});
  }
  return nlohmann::json{
      {"id", r.id},
      {"time", formatRfc3339(r.time)},
      {"event", r.event},
      {"tenantId", r.tenantId},
      {"teamId", r.teamId},
      {"installationId", r.installationId},
      {"teamsAppId", r.teamsAppId},
      {"fromVersion", r.fromVersion},
      {"toVersion", r.toVersion},
      {"outcome", r.outcome},
      {"httpStatus", r.httpStatus},
      {"requestId", r.requestId},
      {"attempt", r.attempt},
      {"detail", r.detail},
      {"permissions", std::move(permissions)},
      {"jobId", r.jobId ? nlohmann::json(*r.jobId) : nlohmann::json(nullptr)},
      {"prevHash", r.prevHash},
      {"hash", r.hash},
  };
}

void writeAuditJsonLine(std::ostream& out, const store::AuditRecord& r) {
  // Invalid UTF-8 from a peer must not make the whole listing fail.
  out << auditToJson(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

void writeAuditJsonl(std::ostream& out, const std::vector<store::AuditRecord>& records) {
  for (const auto& r : records) writeAuditJsonLine(out, r);
}

void writeAuditTable(std::ostream& out, const std::vector<store::AuditRecord>& records) {
  TextTable table(
      {"TIME", "EVENT", "OUTCOME", "APP", "TEAM", "VERSION", "HTTP", "ATTEMPT", "DETAIL"});
  for (const auto& r : records) {
    std::string time = formatRfc3339(r.time);
    time = time.substr(0, 19) + "Z";  // seconds are enough on screen
    table.addRow({time, r.event, r.outcome, r.teamsAppId, r.teamId,
                  versions(r.fromVersion, r.toVersion),
                  r.httpStatus != 0 ? std::to_string(r.httpStatus) : "",
                  r.attempt != 0 ? std::to_string(r.attempt) : "", r.detail});
  }
  table.write(out);
}

void writeAuditChainReport(std::ostream& out, const store::AuditChainReport& report) {
  if (report.ok()) {
    out << "audit chain ok: " << recordCount(report.records);
    if (report.records > 0) out << ", last hash " << report.lastHash;
    out << '\n';
    return;
  }
  const store::AuditChainProblem& p = *report.firstBroken;
  out << "audit chain broken at record " << p.id << " (" << formatRfc3339(p.time) << ", "
      << (p.event.empty() ? "no event" : p.event) << "): " << store::toString(p.kind) << ": "
      << p.reason << '\n';
  out << recordCount(report.records) << " verified before it";
  if (report.records > 0)
    out << " (last good record " << report.lastId << ", hash " << report.lastHash << ")";
  out << '\n';
}

}  // namespace appkeeper::daemon
