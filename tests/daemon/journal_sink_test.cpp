#include "daemon/journal_sink.h"

#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>

using namespace appkeeper;
using namespace appkeeper::daemon;
using Fields = std::vector<std::string>;

namespace {

// The seam: records each line's fields instead of calling sd_journal_sendv.
struct RecordingWriter {
  std::shared_ptr<std::vector<Fields>> lines = std::make_shared<std::vector<Fields>>();
  JournalWriter writer() {
    return [lines = lines](const Fields& f) { lines->push_back(f); };
  }
};

}  // namespace

TEST_CASE("a line outside any job carries message, priority, identifier and component only",
          "[daemon][journal]") {
  RecordingWriter rec;
  spdlog::logger logger("maintenance", std::make_shared<JournalSink>(rec.writer()));
  logger.warn("subscriptions are not all in place (retrying in {} s)", 30);
  REQUIRE(rec.lines->size() == 1);
  CHECK(rec.lines->at(0) == Fields{"MESSAGE=subscriptions are not all in place (retrying in 30 s)",
                                   "PRIORITY=4", "SYSLOG_IDENTIFIER=appkeeper",
                                   "APPKEEPER_COMPONENT=maintenance"});
}

TEST_CASE("a line inside a job carries the job, team, app and Graph request ids",
          "[daemon][journal]") {
  RecordingWriter rec;
  spdlog::logger logger("worker-2", std::make_shared<JournalSink>(rec.writer()));
  {
    LogScope job({.jobId = "17", .teamId = "team-a", .appId = "app-b"});
    LogScope response({.graphRequestId = "3f6c-req"});
    logger.info("job 17 upgraded");
  }
  logger.error("after the job");
  REQUIRE(rec.lines->size() == 2);
  CHECK(rec.lines->at(0) == Fields{"MESSAGE=job 17 upgraded", "PRIORITY=6",
                                   "SYSLOG_IDENTIFIER=appkeeper", "APPKEEPER_COMPONENT=worker-2",
                                   "APPKEEPER_JOB_ID=17", "APPKEEPER_TEAM_ID=team-a",
                                   "APPKEEPER_APP_ID=app-b", "GRAPH_REQUEST_ID=3f6c-req"});
  CHECK(rec.lines->at(1) == Fields{"MESSAGE=after the job", "PRIORITY=3",
                                   "SYSLOG_IDENTIFIER=appkeeper", "APPKEEPER_COMPONENT=worker-2"});
}

TEST_CASE("spdlog levels map to syslog priorities", "[daemon][journal]") {
  CHECK(journalPriority(spdlog::level::trace) == 7);
  CHECK(journalPriority(spdlog::level::debug) == 7);
  CHECK(journalPriority(spdlog::level::info) == 6);
  CHECK(journalPriority(spdlog::level::warn) == 4);
  CHECK(journalPriority(spdlog::level::err) == 3);
  CHECK(journalPriority(spdlog::level::critical) == 2);
}
