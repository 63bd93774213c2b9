#include "common/log_context.h"

#include <catch2/catch.hpp>
#include <thread>

using appkeeper::currentLogFields;
using appkeeper::LogFields;
using appkeeper::LogScope;

TEST_CASE("a log scope sets its fields and restores the previous ones when it ends",
          "[log_context]") {
  REQUIRE(currentLogFields() == LogFields{});
  {
    LogScope job({.jobId = "42", .teamId = "team-1", .appId = "app-1"});
    CHECK(currentLogFields() == LogFields{"42", "team-1", "app-1", ""});
    {
      LogScope response({.graphRequestId = "req-9"});
      CHECK(currentLogFields() == LogFields{"42", "team-1", "app-1", "req-9"});
      LogScope otherTeam({.teamId = "team-2", .graphRequestId = ""});
      CHECK(currentLogFields() == LogFields{"42", "team-2", "app-1", ""});
    }
    CHECK(currentLogFields() == LogFields{"42", "team-1", "app-1", ""});
  }
  CHECK(currentLogFields() == LogFields{});
}

TEST_CASE("each thread has its own log context", "[log_context]") {
  LogScope here({.jobId = "1"});
  LogFields seenThere{"unset", "", "", ""};
  std::thread other([&] { seenThere = currentLogFields(); });
  other.join();
  CHECK(seenThere == LogFields{});
  CHECK(currentLogFields().jobId == "1");
}
