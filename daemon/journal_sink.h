// JournalSink: an spdlog sink that sends each line to the systemd journal as structured fields:
// MESSAGE (the text alone: the journal records time, unit and pid itself), PRIORITY (syslog
// level from the spdlog level: trace/debug 7, info 6, warn 4, error 3, critical 2),
// SYSLOG_IDENTIFIER=appkeeper, APPKEEPER_COMPONENT (the logger's name), and the ids of the
// calling thread's LogContext when set: APPKEEPER_JOB_ID, APPKEEPER_TEAM_ID, APPKEEPER_APP_ID,
// GRAPH_REQUEST_ID. No CODE_FILE/CODE_LINE/CODE_FUNC. Only ids and the message leave here; the
// message is the caller's, which never carries a secret (brief: no secret in a log line).
//
// The send is a seam: a JournalWriter receives the "NAME=value" fields; the default one calls
// sd_journal_sendv and, when the journal refuses the line, writes the message to stderr so it
// is not lost. (With no journald at all, sd_journal_sendv drops lines silently, by design:
// "[log] target = journal" is for hosts that run one; "auto" only picks it when it is there.)
//
// Thread-safety: thread-safe (base_sink's mutex). The context is read on the logging thread,
// which is why the sink must be used by synchronous loggers (as LogSink makes them).
#pragma once

#include <spdlog/common.h>
#include <spdlog/sinks/base_sink.h>

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/log_context.h"

namespace appkeeper::daemon {

using JournalWriter = std::function<void(const std::vector<std::string>& fields)>;

// syslog(3) priority for an spdlog level (off: 7, never sent).
int journalPriority(spdlog::level::level_enum level);

// The fields of one line, in a fixed order (pure).
std::vector<std::string> journalFields(spdlog::level::level_enum level,
                                       std::string_view component, std::string_view message,
                                       const LogFields& context);

// sd_journal_sendv, falling back to stderr.
JournalWriter systemJournalWriter();

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JournalSink(JournalWriter writer = systemJournalWriter());

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  JournalWriter writer_;
};

}  // namespace appkeeper::daemon
