#include "daemon/open_store.h"

#include "daemon/commands.h"

namespace appkeeper::daemon {

OpenedStore openReadOnlyStore(const CommandLine& cl, const Environment& env, const Clock& clock,
                              std::ostream& err) {
  std::string path;
  if (cl.store.dbPath) {
    path = *cl.store.dbPath;
  } else {
    auto config = loadConfig(cl.store.configPath, env, ConfigLoadOptions{.forServe = false});
    if (!config) {
      err << "appkeeper: " << config.error().message << '\n';
      return {nullptr, kExitUsage};
    }
    path = config->store.path;
  }
  auto opened = store::Store::open(path, clock, store::OpenMode::kReadOnly);
  if (!opened) {
    err << "appkeeper: cannot open the database " << path
        << " read-only: " << opened.error().message << '\n';
    return {nullptr, kExitFailure};
  }
  return {std::move(*opened), kExitOk};
}

}  // namespace appkeeper::daemon
