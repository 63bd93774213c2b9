// `appkeeper status`: reads a StatusSnapshot from the store (read-only connection, short reads,
// works while the daemon runs) and prints it (status_report.h).
#include "daemon/audit_outcomes.h"
#include "daemon/commands.h"
#include "daemon/open_store.h"
#include "daemon/status_report.h"

namespace appkeeper::daemon {
namespace {

constexpr size_t kRecentFailures = 5;

template <typename T>
bool take(Result<T> r, T& into, const char* what, std::ostream& err) {
  if (!r) {
    err << "appkeeper: cannot read " << what << ": " << r.error().message << '\n';
    return false;
  }
  into = std::move(*r);
  return true;
}

}  // namespace

int runStatus(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
              std::ostream& err) {
  auto opened = openReadOnlyStore(cl, env, clock, err);
  if (!opened.store) return opened.exitCode;
  store::Store& db = *opened.store;
  StatusSnapshot s;
  s.now = clock.now();
  std::vector<store::Job> oldest;
  store::AuditFilter failures;
  failures.outcome = kOutcomeFailed;
  failures.limit = kRecentFailures;
  if (!take(db.subscriptions(), s.subscriptions, "the subscriptions", err) ||
      !take(db.jobCounts(), s.jobCounts, "the job counts", err) ||
      !take(db.listJobs(store::JobState::kQueued, 1), oldest, "the queue", err) ||
      !take(db.activeReconciliation(), s.activeReconciliation, "the reconciliation", err) ||
      !take(db.lastReconciliation(), s.lastReconciliation, "the reconciliation", err) ||
      !take(db.queryAudit(failures), s.recentFailures, "the audit log", err) ||
      !take(db.delegatedCredential(), s.delegated, "the delegated sign-in", err)) {
    return kExitFailure;
  }
  if (!oldest.empty()) s.oldestQueuedAt = oldest.front().createdAt;
  if (cl.status.format == ReportFormat::kJson) {
    out << statusToJson(s).dump(2) << '\n';
  } else {
    writeStatusText(out, s);
  }
  out.flush();
  return out ? kExitOk : kExitFailure;
}

}  // namespace appkeeper::daemon
