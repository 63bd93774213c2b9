// GraphClient reports every HTTP attempt to its GraphObserver (the metrics seam).
#include "graph/graph_observer.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "graph/graph_client_harness.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using namespace appkeeper::testing;
using std::chrono::milliseconds;

namespace {

struct Seen {
  std::string operation;
  int status;
  std::chrono::nanoseconds duration;
  milliseconds limiterWait;
};

class RecordingObserver final : public GraphObserver {
 public:
  void onAttempt(const GraphAttempt& a) override {
    seen.push_back({std::string(a.operation), a.status, a.duration, a.limiterWait});
  }
  std::vector<Seen> seen;
};

struct ObservedHarness : GraphClientHarness {
  RecordingObserver observer;
  ObservedHarness() { options.observer = &observer; }
};

}  // namespace

TEST_CASE("each attempt of a retried GET is reported with its operation and status",
          "[graph][client]") {
  ObservedHarness h;
  h.net.respond(503, graphErrorJson("ServiceUnavailable", ""));
  h.net.respondJson(200, kInstallationJson);
  REQUIRE(h.make().getInstallation("team-1", "aW5zdA==").ok());
  REQUIRE(h.observer.seen.size() == 2);
  CHECK(h.observer.seen[0].operation == "getInstallation");
  CHECK(h.observer.seen[0].status == 503);
  CHECK(h.observer.seen[1].operation == "getInstallation");
  CHECK(h.observer.seen[1].status == 200);
}

TEST_CASE("a transport error is reported as status 0", "[graph][client]") {
  ObservedHarness h;
  h.net.fail(Error::transient("connection reset"));
  auto& client = h.make();
  CHECK_FALSE(client.upgrade("team-1", "aW5zdA==", std::nullopt).ok());
  REQUIRE(h.observer.seen.size() == 1);
  CHECK(h.observer.seen[0].operation == "upgrade");
  CHECK(h.observer.seen[0].status == 0);
}

TEST_CASE("a throttled upgrade is reported as a 429", "[graph][client]") {
  ObservedHarness h;
  h.net.respond(429, graphErrorJson("TooManyRequests", ""), {{"Retry-After", "1"}});
  CHECK_FALSE(h.make().upgrade("team-1", "aW5zdA==", std::nullopt).ok());
  REQUIRE(h.observer.seen.size() == 1);
  CHECK(h.observer.seen[0].status == 429);
}

TEST_CASE("the duration covers the exchange and the limiter's wait is reported apart",
          "[graph][client]") {
  ObservedHarness h;
  h.limiter.setLimits({1, 1, 0});  // one GET per second: the second waits a second
  h.net.setHandler([&](const HttpRequest&) -> Result<HttpResponse> {
    h.clock.advance(milliseconds(30));  // the "network" takes 30 ms
    return HttpResponse{200, {{"Content-Type", "application/json"}}, teamsPageJson({"t1"}, "")};
  });
  auto& client = h.make();
  REQUIRE(client.teamsPage("").ok());
  REQUIRE(client.teamsPage("").ok());
  REQUIRE(h.observer.seen.size() == 2);
  CHECK(h.observer.seen[0].operation == "listTeams");
  CHECK(h.observer.seen[0].limiterWait == milliseconds(0));
  CHECK(h.observer.seen[1].limiterWait > milliseconds(900));
  CHECK(h.observer.seen[1].duration == milliseconds(30));
}

TEST_CASE("a 401 and the re-send with a refreshed token are two attempts", "[graph][client]") {
  ObservedHarness h;
  h.net.respond(401, graphErrorJson("InvalidAuthenticationToken", ""));
  h.net.respondJson(200, kInstallationJson);
  REQUIRE(h.make().getInstallation("team-1", "aW5zdA==").ok());
  REQUIRE(h.observer.seen.size() == 2);
  CHECK(h.observer.seen[0].status == 401);
  CHECK(h.observer.seen[1].status == 200);
}
