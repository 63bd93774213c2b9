#include "daemon/logging.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <sstream>

using namespace appkeeper::daemon;

TEST_CASE("auto logs to the journal only when JOURNAL_STREAM names our own stderr",
          "[daemon][logging]") {
  const StreamId stderrId{2049, 123456};
  CHECK(chooseLogTarget("auto", {{"JOURNAL_STREAM", "2049:123456"}}, stderrId) ==
        LogTarget::kJournal);
  // Inherited by a child whose stderr was redirected elsewhere: not ours.
  CHECK(chooseLogTarget("auto", {{"JOURNAL_STREAM", "2049:999"}}, stderrId) ==
        LogTarget::kStderr);
  CHECK(chooseLogTarget("auto", {}, stderrId) == LogTarget::kStderr);
  CHECK(chooseLogTarget("auto", {{"JOURNAL_STREAM", "2049:123456"}}, std::nullopt) ==
        LogTarget::kStderr);
  CHECK(chooseLogTarget("auto", {{"JOURNAL_STREAM", "garbage"}}, stderrId) ==
        LogTarget::kStderr);
  CHECK(chooseLogTarget("auto", {{"JOURNAL_STREAM", "2049:123456x"}}, stderrId) ==
        LogTarget::kStderr);
}

TEST_CASE("journal and stderr force their target whatever the environment says",
          "[daemon][logging]") {
  const StreamId stderrId{1, 2};
  CHECK(chooseLogTarget("journal", {}, std::nullopt) == LogTarget::kJournal);
  CHECK(chooseLogTarget("stderr", {{"JOURNAL_STREAM", "1:2"}}, stderrId) == LogTarget::kStderr);
}

TEST_CASE("setLevel applies to loggers handed out before and after it", "[daemon][logging]") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_pattern("%l [%n] %v");
  LogSink logs("info", sink);
  auto early = logs.logger("planner");
  early->debug("hidden");
  logs.setLevel("debug");
  CHECK(logs.level() == "debug");
  auto late = logs.logger("worker-1");
  early->debug("planner detail");
  late->debug("worker detail");
  logs.setLevel("warn");
  early->info("hidden again");
  early->flush();
  late->flush();
  CHECK(out.str() == "debug [planner] planner detail\ndebug [worker-1] worker detail\n");
}

TEST_CASE("a copy of a LogSink shares its loggers and level", "[daemon][logging]") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_pattern("%v");
  LogSink logs("warn", sink);
  auto logger = logs.logger("service");
  LogSink copy = logs;
  copy.setLevel("info");
  logger->info("seen");
  logger->flush();
  CHECK(out.str() == "seen\n");
  CHECK(logs.level() == "info");
}
