// IngestFirst: the planner's turns give way to an inbound flood, at most maxDefer at a time.
#include "daemon/ingest_first.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <initializer_list>
#include <iostream>
#include <sstream>

#include "fakes/fake_clock.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using std::chrono::milliseconds;

namespace {

struct Gate {
  appkeeper::testing::FakeClock clock;
  std::ostringstream log;
  std::shared_ptr<handlers::InboundPressure> pressure =
      std::make_shared<handlers::InboundPressure>();
  IngestFirst gate{pressure, clock, IngestFirst::Options{8, milliseconds(1000)},
                   std::make_shared<spdlog::logger>(
                       "planner", std::make_shared<spdlog::sinks::ostream_sink_st>(log))};
};

}  // namespace

TEST_CASE("without an inbound flood the planner never defers a turn", "[daemon][ingest_first]") {
  Gate g;
  for (size_t writes : std::initializer_list<size_t>{0, 1, 2, 7}) {  // idle, a steady stream
    g.pressure->publish(writes);
    CHECK_FALSE(g.gate.deferTurn());
    g.clock.advance(milliseconds(10));
  }
  CHECK(g.gate.deferred() == 0);
  CHECK(g.log.str().empty());
}

TEST_CASE("in a flood the planner takes one turn per maxDefer, and all of them once it ends",
          "[daemon][ingest_first]") {
  Gate g;
  CHECK_FALSE(g.gate.deferTurn());  // a turn at t = 0
  g.pressure->publish(30);          // commits of 30 deliveries while more keep coming
  g.clock.advance(milliseconds(200));
  CHECK(g.gate.deferTurn());
  CHECK(g.log.str().find("an inbound flood (30 deliveries per commit): planning yields") !=
        std::string::npos);
  g.clock.advance(milliseconds(799));
  CHECK(g.gate.deferTurn());  // 999 ms since the last turn
  g.clock.advance(milliseconds(1));
  CHECK_FALSE(g.gate.deferTurn());  // 1 s: one batch, so a flood cannot starve planning
  CHECK(g.gate.deferTurn());        // and the next turn waits again
  g.clock.advance(milliseconds(1000));
  CHECK_FALSE(g.gate.deferTurn());
  CHECK(g.gate.deferred() == 3);

  g.pressure->publish(0);  // a commit left nothing queued: turns are taken at once
  g.clock.advance(milliseconds(10));
  CHECK_FALSE(g.gate.deferTurn());
  CHECK_FALSE(g.gate.deferTurn());
  // ... but a lull shorter than maxDefer does not end the flood: no line for each lull.
  CHECK(g.log.str().find("is over") == std::string::npos);
  g.pressure->publish(20);
  g.clock.advance(milliseconds(500));
  CHECK(g.gate.deferTurn());
  CHECK(g.gate.deferred() == 4);
  g.pressure->publish(0);
  g.clock.advance(milliseconds(999));
  CHECK_FALSE(g.gate.deferTurn());
  CHECK(g.log.str().find("is over") == std::string::npos);
  g.clock.advance(milliseconds(1));
  CHECK_FALSE(g.gate.deferTurn());  // a calm of maxDefer: over, from its first deferral to its last
  CHECK(g.log.str().find("the inbound flood is over: planning resumes (4 turns deferred in 2310 "
                         "ms)") != std::string::npos);
  size_t lines = 0;
  for (char c : g.log.str()) lines += c == '\n' ? 1 : 0;
  CHECK(lines == 2);  // one when it began, one when it ended
}

TEST_CASE("a gate without a pressure source never defers", "[daemon][ingest_first]") {
  appkeeper::testing::FakeClock clock;
  IngestFirst gate(nullptr, clock, IngestFirst::Options{},
                   std::make_shared<spdlog::logger>(
                       "planner", std::make_shared<spdlog::sinks::ostream_sink_st>(std::cerr)));
  CHECK_FALSE(gate.deferTurn());
  CHECK(gate.deferred() == 0);
}
