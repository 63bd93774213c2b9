// LogContext: the ids a log line is about (upgrade job, team, app, Graph request), kept per
// thread so the journal sink can attach them as structured fields (APPKEEPER_JOB_ID, ...)
// without every log call passing them. A LogScope sets some fields for its lifetime and
// restores the previous values when it ends, so nested scopes (a job, then the Graph response
// within it) compose. Only ids belong here: the fields reach the journal verbatim, so never a
// secret, a token or a payload.
//
// Thread-safety: the context is thread_local; a LogScope must end on the thread that made it
// (it is neither copyable nor movable). No errors.
#pragma once

#include <optional>
#include <string>

namespace appkeeper {

struct LogFields {
  std::string jobId;  // empty: not set
  std::string teamId;
  std::string appId;
  std::string graphRequestId;

  bool operator==(const LogFields&) const = default;
};

// The calling thread's current fields.
const LogFields& currentLogFields();

class LogScope {
 public:
  // nullopt leaves a field as it is; a value (even empty) replaces it for the scope.
  struct Set {
    std::optional<std::string> jobId = std::nullopt;
    std::optional<std::string> teamId = std::nullopt;
    std::optional<std::string> appId = std::nullopt;
    std::optional<std::string> graphRequestId = std::nullopt;
  };
  explicit LogScope(const Set& fields);
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  LogFields previous_;
};

}  // namespace appkeeper
