// `appkeeper audit` and `appkeeper jobs`: read-only views of the store that work while the
// daemon runs (a read-only connection, short reads) and when it is down.
#include "daemon/audit_format.h"
#include "daemon/commands.h"
#include "daemon/jobs_format.h"
#include "daemon/open_store.h"
#include "store/store.h"

namespace appkeeper::daemon {

int runAudit(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
             std::ostream& err) {
  auto opened = openReadOnlyStore(cl, env, clock, err);
  if (!opened.store) return opened.exitCode;
  store::AuditFilter filter;
  filter.teamsAppId = cl.audit.app;
  filter.teamId = cl.audit.team;
  filter.outcome = cl.audit.outcome;
  filter.since = cl.audit.since;
  filter.limit = cl.audit.limit;
  auto records = opened.store->queryAudit(filter);
  if (!records) {
    err << "appkeeper: cannot read the audit log: " << records.error().message << '\n';
    return kExitFailure;
  }
  if (cl.audit.format == OutputFormat::kJsonl) {
    writeAuditJsonl(out, *records);
  } else if (records->empty()) {
    out << "no audit records match\n";
  } else {
    writeAuditTable(out, *records);
  }
  out.flush();
  return out ? kExitOk : kExitFailure;
}

int runJobs(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
            std::ostream& err) {
  auto opened = openReadOnlyStore(cl, env, clock, err);
  if (!opened.store) return opened.exitCode;
  if (!cl.jobs.state) {
    auto counts = opened.store->jobCounts();
    if (!counts) {
      err << "appkeeper: cannot count the jobs: " << counts.error().message << '\n';
      return kExitFailure;
    }
    writeJobCounts(out, *counts, cl.jobs.format);
  } else {
    auto jobs = opened.store->listJobs(cl.jobs.state, cl.jobs.limit);
    if (!jobs) {
      err << "appkeeper: cannot list the jobs: " << jobs.error().message << '\n';
      return kExitFailure;
    }
    if (cl.jobs.format == OutputFormat::kTable && jobs->empty()) {
      out << "no " << store::toString(*cl.jobs.state) << " jobs\n";
    } else {
      writeJobs(out, *jobs, cl.jobs.format);
    }
  }
  out.flush();
  return out ? kExitOk : kExitFailure;
}

}  // namespace appkeeper::daemon
