#include "daemon/journal_sink.h"

#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

namespace appkeeper::daemon {
namespace {

void addIfSet(std::vector<std::string>& fields, const char* name, const std::string& value) {
  if (!value.empty()) fields.push_back(std::string(name) + "=" + value);
}

}  // namespace

int journalPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2;  // LOG_CRIT
    case spdlog::level::err:
      return 3;  // LOG_ERR
    case spdlog::level::warn:
      return 4;  // LOG_WARNING
    case spdlog::level::info:
      return 6;  // LOG_INFO
    default:
      return 7;  // LOG_DEBUG: trace, debug
  }
}

std::vector<std::string> journalFields(spdlog::level::level_enum level,
                                       std::string_view component, std::string_view message,
                                       const LogFields& context) {
  std::vector<std::string> fields;
  fields.reserve(8);
  fields.push_back("MESSAGE=" + std::string(message));
  fields.push_back("PRIORITY=" + std::to_string(journalPriority(level)));
  fields.push_back("SYSLOG_IDENTIFIER=appkeeper");
  if (!component.empty()) fields.push_back("APPKEEPER_COMPONENT=" + std::string(component));
  addIfSet(fields, "APPKEEPER_JOB_ID", context.jobId);
  addIfSet(fields, "APPKEEPER_TEAM_ID", context.teamId);
  addIfSet(fields, "APPKEEPER_APP_ID", context.appId);
  addIfSet(fields, "GRAPH_REQUEST_ID", context.graphRequestId);
  return fields;
}

JournalWriter systemJournalWriter() {
  return [](const std::vector<std::string>& fields) {
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (const auto& f : fields) {
      // sd_journal_sendv only reads the buffers.
      iov.push_back(iovec{const_cast<char*>(f.data()), f.size()});
    }
    if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0) return;
    // The journal socket is gone (journald restarting): keep the line on stderr instead.
    const std::string& m = fields.front();
    std::string line = m.substr(m.find('=') + 1) + "\n";
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
  };
}

JournalSink::JournalSink(JournalWriter writer) : writer_(std::move(writer)) {}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  writer_(journalFields(msg.level, std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                        std::string_view(msg.payload.data(), msg.payload.size()),
                        currentLogFields()));
}

}  // namespace appkeeper::daemon
