// Loggers for the daemon: one sink shared by named loggers, one per component ("planner",
// "worker-3", "inbound"). Loggers are passed to the components that use them; nothing goes
// through spdlog's global registry.
//
// The sink is chosen from [log] target: "journal" (JournalSink: structured fields, see
// journal_sink.h), "stderr" (one line per message, "2026-01-02T10:00:00.123 info  [planner]
// text"), or "auto": the journal when stderr is connected to it. That is systemd's documented
// rule: $JOURNAL_STREAM holds "DEV:INODE" of the stream it gave us, and it is ours only when it
// equals fstat(2)'s st_dev:st_ino (a child whose stderr was redirected inherits the variable).
//
// LogSink is a cheap handle: copies share the sink, the loggers and the level. setLevel()
// (SIGHUP reload) applies to every logger handed out so far and to later ones.
// Thread-safety: thread-safe (one mutex for the list of loggers; spdlog levels are atomic and
// the sinks are the _mt variants). No errors: the config validates the level and the target.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "daemon/config.h"

namespace spdlog {
class logger;
namespace sinks {
class sink;
}
}  // namespace spdlog

namespace appkeeper::daemon {

enum class LogTarget { kStderr, kJournal };

struct StreamId {
  uint64_t device = 0;
  uint64_t inode = 0;
};

// Which sink [log] target `configured` means here. `stderrId`: fstat of fd 2 (nullopt: not
// known). Pure.
LogTarget chooseLogTarget(const std::string& configured, const Environment& env,
                          std::optional<StreamId> stderrId);
// fstat(STDERR_FILENO), for chooseLogTarget.
std::optional<StreamId> stderrStreamId();
const char* toString(LogTarget target);

class LogSink {
 public:
  // To stderr. `level`: trace, debug, info, warn, error, critical or off.
  explicit LogSink(const std::string& level);
  // [log] level and target; `env` is the process environment (JOURNAL_STREAM).
  LogSink(const LogConfig& config, const Environment& env);
  // Any sink (tests).
  LogSink(const std::string& level, std::shared_ptr<spdlog::sinks::sink> sink);

  std::shared_ptr<spdlog::logger> logger(const std::string& name) const;
  void setLevel(const std::string& level);
  std::string level() const;
  LogTarget target() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace appkeeper::daemon
