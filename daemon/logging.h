// Loggers for the daemon: one stderr sink (journald adds time and unit when run under systemd)
// shared by named loggers, one per component ("planner", "worker-3", "inbound"). Loggers are
// passed to the components that use them; nothing goes through spdlog's global registry.
// Thread-safe (the sink is the _mt variant).
#pragma once

#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace appkeeper::daemon {

class LogSink {
 public:
  // `level`: trace, debug, info, warn, error, critical or off (validated by the config).
  explicit LogSink(const std::string& level);
  std::shared_ptr<spdlog::logger> logger(const std::string& name) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace appkeeper::daemon
