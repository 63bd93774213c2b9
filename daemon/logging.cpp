#include "daemon/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <vector>

#include "daemon/journal_sink.h"

namespace appkeeper::daemon {
namespace {

std::optional<StreamId> parseStreamId(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  StreamId id;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto dev = std::from_chars(begin, begin + colon, id.device);
  auto ino = std::from_chars(begin + colon + 1, end, id.inode);
  if (dev.ec != std::errc() || dev.ptr != begin + colon || ino.ec != std::errc() ||
      ino.ptr != end) {
    return std::nullopt;
  }
  return id;
}

std::shared_ptr<spdlog::sinks::sink> stderrSink() {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %-5l [%n] %v");
  return sink;
}

}  // namespace

LogTarget chooseLogTarget(const std::string& configured, const Environment& env,
                          std::optional<StreamId> stderrId) {
  if (configured == "journal") return LogTarget::kJournal;
  if (configured == "stderr") return LogTarget::kStderr;
  auto it = env.find("JOURNAL_STREAM");
  if (it == env.end() || !stderrId) return LogTarget::kStderr;
  auto stream = parseStreamId(it->second);
  if (!stream) return LogTarget::kStderr;
  return stream->device == stderrId->device && stream->inode == stderrId->inode
             ? LogTarget::kJournal
             : LogTarget::kStderr;
}

std::optional<StreamId> stderrStreamId() {
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return std::nullopt;
  return StreamId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

const char* toString(LogTarget target) {
  return target == LogTarget::kJournal ? "journal" : "stderr";
}

struct LogSink::State {
  std::shared_ptr<spdlog::sinks::sink> sink;
  LogTarget target = LogTarget::kStderr;
  mutable std::mutex mu;
  spdlog::level::level_enum level = spdlog::level::info;  // guarded by mu
  std::string levelName = "info";                         // as configured; guarded by mu
  // Every logger handed out, so a reload reaches them all; expired ones are pruned.
  mutable std::vector<std::weak_ptr<spdlog::logger>> loggers;  // guarded by mu
};

LogSink::LogSink(const std::string& level) : LogSink(level, stderrSink()) {}

LogSink::LogSink(const LogConfig& config, const Environment& env)
    : LogSink(config.level, nullptr) {
  state_->target = chooseLogTarget(config.target, env, stderrStreamId());
  state_->sink = state_->target == LogTarget::kJournal
                     ? std::shared_ptr<spdlog::sinks::sink>(std::make_shared<JournalSink>())
                     : stderrSink();
}

LogSink::LogSink(const std::string& level, std::shared_ptr<spdlog::sinks::sink> sink)
    : state_(std::make_shared<State>()) {
  state_->sink = std::move(sink);
  state_->level = spdlog::level::from_str(level);
  state_->levelName = level;
}

std::shared_ptr<spdlog::logger> LogSink::logger(const std::string& name) const {
  auto logger = std::make_shared<spdlog::logger>(name, state_->sink);
  logger->flush_on(spdlog::level::warn);
  std::lock_guard lock(state_->mu);
  logger->set_level(state_->level);
  auto& all = state_->loggers;
  all.erase(std::remove_if(all.begin(), all.end(), [](const auto& w) { return w.expired(); }),
            all.end());
  all.push_back(logger);
  return logger;
}

void LogSink::setLevel(const std::string& level) {
  std::lock_guard lock(state_->mu);
  state_->level = spdlog::level::from_str(level);
  state_->levelName = level;
  for (const auto& weak : state_->loggers) {
    if (auto logger = weak.lock()) logger->set_level(state_->level);
  }
}

std::string LogSink::level() const {
  std::lock_guard lock(state_->mu);
  return state_->levelName;
}

LogTarget LogSink::target() const { return state_->target; }

}  // namespace appkeeper::daemon
