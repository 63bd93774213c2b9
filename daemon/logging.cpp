#include "daemon/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace appkeeper::daemon {

struct LogSink::State {
  std::shared_ptr<spdlog::sinks::stderr_sink_mt> sink;
  spdlog::level::level_enum level = spdlog::level::info;
};

LogSink::LogSink(const std::string& level) : state_(std::make_shared<State>()) {
  state_->sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  state_->sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %-5l [%n] %v");
  state_->level = spdlog::level::from_str(level);
}

std::shared_ptr<spdlog::logger> LogSink::logger(const std::string& name) const {
  auto logger = std::make_shared<spdlog::logger>(name, state_->sink);
  logger->set_level(state_->level);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

}  // namespace appkeeper::daemon
