#include "daemon/status_report.h"

#include "daemon/audit_format.h"
#include "daemon/status_text.h"
#include "daemon/text_table.h"
#include "daemon/time_text.h"

namespace appkeeper::daemon {
namespace {

using std::chrono::milliseconds;

constexpr store::JobState kStates[] = {store::JobState::kQueued,    store::JobState::kRunning,
                                       store::JobState::kSucceeded, store::JobState::kSkipped,
                                       store::JobState::kFailed,    store::JobState::kBlocked};

bool happened(WallTime t) { return t != WallTime{}; }

nlohmann::json timeOrNull(WallTime t) {
  return happened(t) ? nlohmann::json(formatRfc3339(t)) : nlohmann::json(nullptr);
}

nlohmann::json reconciliationJson(const std::optional<store::Reconciliation>& r) {
  if (!r) return nullptr;
  return {{"id", r->id},
          {"state", store::toString(r->state)},
          {"reason", r->reason},
          {"requestedAt", timeOrNull(r->requestedAt)},
          {"startedAt", timeOrNull(r->startedAt)},
          {"finishedAt", timeOrNull(r->finishedAt)},
          {"teamsScanned", r->teamsScanned},
          {"installationsFound", r->installationsFound},
          {"driftCorrected", r->driftCorrected},
          {"jobsEnqueued", r->jobsEnqueued},
          {"cursorPresent", !r->cursor.empty()}};
}

std::string ago(WallTime now, WallTime t) {
  return formatRfc3339(t) + " (" + formatAge(std::chrono::duration_cast<milliseconds>(now - t)) +
         " ago)";
}

std::string counters(const store::Reconciliation& r) {
  return withThousands(r.teamsScanned) + " teams scanned, " + withThousands(r.installationsFound) +
         " installations found, " + withThousands(r.driftCorrected) + " drift corrected, " +
         withThousands(r.jobsEnqueued) + " jobs enqueued";
}

void writeSubscriptions(std::ostream& out, const StatusSnapshot& s) {
  if (s.subscriptions.empty()) {
    out << "Subscriptions: none\n";
    return;
  }
  out << "Subscriptions: " << s.subscriptions.size() << '\n';
  TextTable table({"  ID", "APP", "EXPIRES", "RESOURCE"});
  for (const auto& sub : s.subscriptions) {
    const auto left = std::chrono::duration_cast<milliseconds>(sub.expiration - s.now);
    const std::string expires = formatRfc3339(sub.expiration) +
                                (left.count() > 0 ? " (in " + formatAge(left) + ")"
                                                  : " (EXPIRED " + formatAge(left) + " ago)");
    table.addRow({"  " + sub.id, sub.teamsAppId, expires, sub.resource});
  }
  table.write(out);
}

void writeJobs(std::ostream& out, const StatusSnapshot& s) {
  std::string line;
  int64_t total = 0;
  for (auto state : kStates) {
    auto it = s.jobCounts.find(state);
    const int64_t n = it == s.jobCounts.end() ? 0 : it->second;
    total += n;
    line +=
        (line.empty() ? "" : ", ") + std::string(store::toString(state)) + " " + withThousands(n);
  }
  out << "Jobs: " << (total == 0 ? std::string("none") : line);
  if (s.oldestQueuedAt) {
    out << "; oldest queued for "
        << formatAge(std::chrono::duration_cast<milliseconds>(s.now - *s.oldestQueuedAt));
  }
  out << '\n';
}

void writeReconciliations(std::ostream& out, const StatusSnapshot& s) {
  if (const auto& r = s.activeReconciliation) {
    if (r->state == store::ReconciliationState::kRunning) {
      out << "Reconciliation: running since " << ago(s.now, r->startedAt) << ": " << counters(*r)
          << (r->cursor.empty() ? "" : "; more teams to scan (cursor saved)") << " - " << r->reason
          << '\n';
    } else {
      out << "Reconciliation: pending since " << ago(s.now, r->requestedAt) << " - " << r->reason
          << '\n';
    }
  } else {
    out << "Reconciliation: none running\n";
  }
  if (const auto& r = s.lastReconciliation) {
    out << "Last reconciliation: finished " << ago(s.now, r->finishedAt);
    if (happened(r->startedAt) && r->finishedAt >= r->startedAt) {
      out << " after "
          << formatAge(std::chrono::duration_cast<milliseconds>(r->finishedAt - r->startedAt));
    }
    out << ": " << counters(*r) << '\n';
  } else {
    out << "Last reconciliation: never\n";
  }
}

void writeFailures(std::ostream& out, const StatusSnapshot& s) {
  if (s.recentFailures.empty()) {
    out << "Recent failures: none\n";
    return;
  }
  out << "Recent failures (last " << s.recentFailures.size() << "):\n";
  TextTable table({"  TIME", "APP", "TEAM", "VERSION", "DETAIL"});
  for (const auto& r : s.recentFailures) {
    table.addRow({"  " + formatRfc3339(r.time), r.teamsAppId, r.teamId,
                  r.fromVersion + " -> " + r.toVersion, r.detail});
  }
  table.write(out);
}

void writeDelegated(std::ostream& out, const StatusSnapshot& s) {
  const std::string state = delegatedState(s.delegated);
  out << "Delegated sign-in: ";
  if (state == "none") {
    out << "none (upgrades of apps that need RSC wait for `appkeeper login`)\n";
  } else if (state == "signed-in") {
    out << "signed in as "
        << (s.delegated->account.empty() ? std::string("(unknown account)") : s.delegated->account)
        << " at " << formatRfc3339(s.delegated->storedAt) << '\n';
  } else {
    out << "login needed (" << s.delegated->invalidReason
        << "): run `appkeeper login`; blocked upgrades resume after it\n";
  }
}

}  // namespace

std::string delegatedState(const std::optional<store::DelegatedCredential>& credential) {
  if (!credential) return "none";
  return credential->invalidReason.empty() ? "signed-in" : "login-required";
}

std::string formatAge(milliseconds d) {
  int64_t secs = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (secs < 0) secs = -secs;
  if (secs < 60) return std::to_string(secs) + "s";
  if (secs < 3600) return std::to_string(secs / 60) + "m";
  if (secs < 86400) {
    const int64_t m = (secs % 3600) / 60;
    return std::to_string(secs / 3600) + "h" + (m != 0 ? " " + std::to_string(m) + "m" : "");
  }
  const int64_t h = (secs % 86400) / 3600;
  return std::to_string(secs / 86400) + "d" + (h != 0 ? " " + std::to_string(h) + "h" : "");
}

nlohmann::json statusToJson(const StatusSnapshot& s) {
  nlohmann::json subscriptions = nlohmann::json::array();
  for (const auto& sub : s.subscriptions) {
    subscriptions.push_back({{"id", sub.id},
                             {"resource", sub.resource},
                             {"teamsAppId", sub.teamsAppId},
                             {"expiration", formatRfc3339(sub.expiration)},
                             {"expired", sub.expiration <= s.now}});
  }
  nlohmann::json jobs = nlohmann::json::object();
  for (auto state : kStates) {
    auto it = s.jobCounts.find(state);
    jobs[store::toString(state)] = it == s.jobCounts.end() ? 0 : it->second;
  }
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& r : s.recentFailures) failures.push_back(auditToJson(r));
  nlohmann::json delegated = {{"state", delegatedState(s.delegated)},
                              {"account", nullptr},
                              {"since", nullptr},
                              {"reason", nullptr}};
  if (s.delegated) {
    delegated["account"] = s.delegated->account;
    delegated["since"] = timeOrNull(s.delegated->storedAt);
    if (!s.delegated->invalidReason.empty()) delegated["reason"] = s.delegated->invalidReason;
  }
  return {{"subscriptions", subscriptions},
          {"jobs", jobs},
          {"oldestQueuedAt", s.oldestQueuedAt ? timeOrNull(*s.oldestQueuedAt) : nullptr},
          {"reconciliation",
           {{"active", reconciliationJson(s.activeReconciliation)},
            {"last", reconciliationJson(s.lastReconciliation)}}},
          {"recentFailures", failures},
          {"delegatedLogin", delegated}};
}

void writeStatusText(std::ostream& out, const StatusSnapshot& s) {
  writeSubscriptions(out, s);
  writeJobs(out, s);
  writeReconciliations(out, s);
  writeFailures(out, s);
  writeDelegated(out, s);
}

}  // namespace appkeeper::daemon
