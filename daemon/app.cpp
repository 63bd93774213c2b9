#include "daemon/commands.h"

#ifndef APPKEEPER_VERSION
#define APPKEEPER_VERSION "unknown"
#endif

namespace appkeeper::daemon {

int runApp(const std::vector<std::string>& args, const Environment& env, std::ostream& out,
           std::ostream& err) {
  SystemClock clock;
  auto cl = parseCommandLine(args, clock.now());
  if (!cl) {
    err << "appkeeper: " << cl.error().message << '\n';
    return kExitUsage;
  }
  switch (cl->command) {
    case Command::kHelp:
      out << helpText(cl->helpFor.value_or(Command::kHelp));
      return kExitOk;
    case Command::kVersion:
      out << "appkeeper " << APPKEEPER_VERSION << '\n';
      return kExitOk;
    case Command::kServe:
      return runServe(*cl, env, err);
    case Command::kAudit:
      return runAudit(*cl, env, clock, out, err);
    case Command::kJobs:
      return runJobs(*cl, env, clock, out, err);
    case Command::kStatus:
      return runStatus(*cl, env, clock, out, err);
    case Command::kPlan:
      return runPlan(*cl, env, clock, out, err);
    case Command::kLogin:
      return runLogin(*cl, env, clock, out, err);
  }
  return kExitUsage;
}

}  // namespace appkeeper::daemon
