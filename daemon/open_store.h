// The database of the read-only commands (audit, jobs, status): --db PATH, else [store] path of
// --config (loaded without secrets, so an admin who cannot read the daemon's credentials can
// still inspect it). Failures are printed to `err` as one "appkeeper: ..." line.
// Thread-compatible.
#pragma once

#include <memory>
#include <ostream>

#include "common/clock.h"
#include "daemon/cli_args.h"
#include "daemon/config.h"
#include "store/store.h"

namespace appkeeper::daemon {

struct OpenedStore {
  std::unique_ptr<store::Store> store;  // null on failure
  int exitCode = 0;                     // kExitUsage (config) or kExitFailure (database)
};

OpenedStore openReadOnlyStore(const CommandLine& cl, const Environment& env, const Clock& clock,
                              std::ostream& err);

}  // namespace appkeeper::daemon
