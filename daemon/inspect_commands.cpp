// `appkeeper audit` (list, verify, export) and `appkeeper jobs`: read-only views of the store
// that work while the daemon runs (a read-only connection, short reads) and when it is down.
#include "daemon/atomic_file.h"
#include "daemon/audit_format.h"
#include "daemon/commands.h"
#include "daemon/jobs_format.h"
#include "daemon/open_store.h"
#include "store/store.h"

namespace appkeeper::daemon {
namespace {

int verifyAudit(store::Store& store, std::ostream& out, std::ostream& err) {
  auto report = store.verifyAuditChain();
  if (!report) {
    err << "appkeeper: cannot verify the audit log: " << report.error().message << '\n';
    return kExitFailure;
  }
  writeAuditChainReport(out, *report);
  out.flush();
  return report->ok() && out ? kExitOk : kExitFailure;
}

// Streams the records as JSON Lines to `out`, or to --output through an AtomicFile: on any
// failure the file named by --output is left as it was.
int exportAudit(const CommandLine& cl, store::Store& store, std::ostream& out, std::ostream& err) {
  std::unique_ptr<AtomicFile> file;
  if (cl.audit.output) {
    auto created = AtomicFile::create(*cl.audit.output);
    if (!created) {
      err << "appkeeper: cannot export the audit log: " << created.error().message << '\n';
      return kExitFailure;
    }
    file = std::move(created).value();
  }
  std::ostream& sink = file ? file->stream() : out;
  store::AuditFilter filter;
  filter.since = cl.audit.since;
  int64_t exported = 0;
  const Status walked = store.forEachAudit(filter, [&](const store::AuditRecord& r) -> Status {
    writeAuditJsonLine(sink, r);
    if (!sink) {
      return Error::transient("writing record " + std::to_string(r.id) + " failed (" +
                              (file ? "disk full?" : "output closed?") + ")");
    }
    ++exported;
    return Ok{};
  });
  if (!walked) {
    err << "appkeeper: cannot export the audit log: " << walked.error().message
        << (file ? "; " + *cl.audit.output + " is unchanged" : std::string()) << '\n';
    return kExitFailure;
  }
  if (!file) {
    out.flush();
    return out ? kExitOk : kExitFailure;
  }
  if (Status committed = file->commit(); !committed) {
    err << "appkeeper: cannot export the audit log: " << committed.error().message << '\n';
    return kExitFailure;
  }
  out << "exported " << exported << (exported == 1 ? " audit record" : " audit records") << " to "
      << *cl.audit.output << '\n';
  out.flush();
  return kExitOk;
}

}  // namespace

int runAudit(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
             std::ostream& err) {
  auto opened = openReadOnlyStore(cl, env, clock, err);
  if (!opened.store) return opened.exitCode;
  if (cl.audit.action == AuditAction::kVerify) return verifyAudit(*opened.store, out, err);
  if (cl.audit.action == AuditAction::kExport) return exportAudit(cl, *opened.store, out, err);
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
