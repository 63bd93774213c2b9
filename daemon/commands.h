// The commands of the appkeeper executable, and runApp() which parses the command line and
// dispatches. Each returns the process exit code: 0 ok, 1 runtime failure, 2 usage or
// configuration error; messages go to `err` as one line starting with "appkeeper: ".
//
// `env` is the process environment (APPKEEPER_* overrides, CREDENTIALS_DIRECTORY): main passes
// it in, nothing below reads it. runServe blocks SIGTERM/SIGINT in the calling thread before any
// thread starts (the threads inherit the mask) and waits for them with sigwait: call it from
// the main thread.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "daemon/cli_args.h"
#include "daemon/config.h"

namespace appkeeper::daemon {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure: store, listener, output
inline constexpr int kExitUsage = 2;    // bad command line or configuration

// `args` without the program name.
int runApp(const std::vector<std::string>& args, const Environment& env, std::ostream& out,
           std::ostream& err);

int runServe(const CommandLine& cl, const Environment& env, std::ostream& err);
int runAudit(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
             std::ostream& err);
int runJobs(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
            std::ostream& err);
int runStatus(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
              std::ostream& err);
// Talks to Graph (app-only token); reads the store read-only when it exists.
int runPlan(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
            std::ostream& err);
// The device-code sign-in: prompts on `out` (flushed at once), waits for the admin. SIGINT
// while it waits ends it cleanly (exit 1); call it from the main thread.
int runLogin(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
             std::ostream& err);

}  // namespace appkeeper::daemon
