// ServiceMetrics: what GET /metrics shows, from the recorded events and a real store on a temp
// file (written through a connection of the test's own, read through the metrics' read-only one).
#include "daemon/service_metrics.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "store/store.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::unique_ptr<store::Store> writer = open(store::OpenMode::kReadWrite);
  ServiceMetrics metrics{"1.2.3", open(store::OpenMode::kReadOnly), clock};

  std::unique_ptr<store::Store> open(store::OpenMode mode) {
    auto s = store::Store::open(dir.file("appkeeper.db"), clock, mode);
    REQUIRE(s.ok());
    return std::move(s.value());
  }
};

// The value of one series ("name{labels}" exactly as rendered); fails the test when absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  FAIL("no series " << series << " in:\n" << text);
  return 0;
}

bool has(const std::string& text, const std::string& series) {
  return text.find("\n" + series + " ") != std::string::npos;
}

store::JobSpec job(const std::string& installation) {
  return store::JobSpec{"tenant-1", "team-1", installation, "app-1", "1.0.0", "2.0.0", {}};
}

}  // namespace

TEST_CASE("a scrape shows the build, every job state and the oldest queued job's age",
          "[daemon][metrics]") {
  Fixture f;
  REQUIRE(f.writer->enqueue({job("i-1")}).ok());
  f.clock.advance(30s);
  REQUIRE(f.writer->enqueue({job("i-2"), job("i-3")}).ok());
  f.clock.advance(60s);
  const std::string text = f.metrics.scrape();
  CHECK(sample(text, "appkeeper_build_info{version=\"1.2.3\"}") == 1);
  CHECK(sample(text, "appkeeper_jobs{state=\"queued\"}") == 3);
  CHECK(sample(text, "appkeeper_jobs{state=\"succeeded\"}") == 0);
  CHECK(sample(text, "appkeeper_jobs{state=\"blocked\"}") == 0);
  CHECK(sample(text, "appkeeper_oldest_queued_job_age_seconds") == 90);
  CHECK(sample(text, "appkeeper_store_up") == 1);
}

TEST_CASE("subscriptions show their expiry and a removed one leaves the scrape",
          "[daemon][metrics]") {
  Fixture f;
  const WallTime expiry = fromUnixMillis(1'900'000'000'500);
  REQUIRE(f.writer->putSubscription({"sub-1", "/r", "client-state-1", expiry, "app-1"}).ok());
  REQUIRE(f.writer->putSubscription({"sub-2", "/r", "client-state-2", expiry, "app-2"}).ok());
  const std::string before = f.metrics.scrape();
  CHECK(sample(before,
               "appkeeper_subscription_expiry_timestamp_seconds{subscription_id=\"sub-1\","
               "app_id=\"app-1\"}") == 1'900'000'000.5);
  CHECK(before.find("client-state") == std::string::npos);  // a secret: never shown
  REQUIRE(f.writer->removeSubscription("sub-1").ok());
  const std::string after = f.metrics.scrape();
  CHECK(after.find("sub-1") == std::string::npos);
  CHECK(after.find("sub-2") != std::string::npos);
}

TEST_CASE("reconciliation progress follows the running scan, then the last completed one",
          "[daemon][metrics]") {
  Fixture f;
  std::string text = f.metrics.scrape();
  CHECK(sample(text, "appkeeper_reconciliation_running") == 0);
  CHECK(sample(text, "appkeeper_reconciliation_last_completed_timestamp_seconds") == 0);

  auto id = f.writer->requestReconciliation("test");
  REQUIRE(id.ok());
  REQUIRE(f.writer->startReconciliation(*id).ok());
  store::Reconciliation delta;
  delta.teamsScanned = 5;
  REQUIRE(f.writer->recordReconciliationProgress(*id, "cursor", delta).ok());
  text = f.metrics.scrape();
  CHECK(sample(text, "appkeeper_reconciliation_running") == 1);
  CHECK(sample(text, "appkeeper_reconciliation_teams_scanned") == 5);

  f.clock.advance(10s);
  REQUIRE(f.writer->finishReconciliation(*id, {}).ok());
  text = f.metrics.scrape();
  CHECK(sample(text, "appkeeper_reconciliation_running") == 0);
  CHECK(sample(text, "appkeeper_reconciliation_teams_scanned") == 5);
  CHECK(sample(text, "appkeeper_reconciliation_last_completed_timestamp_seconds") ==
        static_cast<double>(toUnixMillis(f.clock.now())) / 1000);
}

TEST_CASE("Graph attempts are counted by operation and status class, 429s and waits apart",
          "[daemon][metrics]") {
  Fixture f;
  f.metrics.onAttempt({"upgrade", 204, 20ms, 0ms});
  f.metrics.onAttempt({"upgrade", 429, 10ms, 1500ms});
  f.metrics.onAttempt({"listTeams", 0, 5s, 500ms});
  f.metrics.onAttempt({"listTeams", 503, 5ms, 0ms});
  const std::string text = f.metrics.scrape();
  CHECK(sample(text,
               "appkeeper_graph_requests_total{operation=\"upgrade\",status_class=\"2xx\"}") == 1);
  CHECK(sample(text,
               "appkeeper_graph_requests_total{operation=\"upgrade\",status_class=\"4xx\"}") == 1);
  CHECK(sample(text,
               "appkeeper_graph_requests_total{operation=\"listTeams\",status_class=\"error\"}") ==
        1);
  CHECK(sample(text,
               "appkeeper_graph_requests_total{operation=\"listTeams\",status_class=\"5xx\"}") ==
        1);
  CHECK(sample(text, "appkeeper_graph_throttled_total") == 1);
  CHECK(sample(text, "appkeeper_rate_limiter_wait_seconds_total") == 2);
  CHECK(sample(text, "appkeeper_graph_request_duration_seconds_count{operation=\"upgrade\"}") == 2);
  CHECK(sample(text,
               "appkeeper_graph_request_duration_seconds_bucket{operation=\"listTeams\","
               "le=\"1\"}") == 1);
}

TEST_CASE("inbound requests are counted by endpoint and code with a duration histogram",
          "[daemon][metrics]") {
  Fixture f;
  f.metrics.onInboundRequest("/events/catalog", 202, 3ms);
  f.metrics.onInboundRequest("/events/catalog", 202, 4ms);
  f.metrics.onInboundRequest("other", 404, 1ms);
  const std::string text = f.metrics.scrape();
  CHECK(sample(text,
               "appkeeper_inbound_requests_total{endpoint=\"/events/catalog\",code=\"202\"}") == 2);
  CHECK(sample(text, "appkeeper_inbound_requests_total{endpoint=\"other\",code=\"404\"}") == 1);
  CHECK(sample(text,
               "appkeeper_inbound_request_duration_seconds_count{endpoint=\"/events/catalog\"}") ==
        2);
}

TEST_CASE("job outcomes start at zero and count what the workers recorded", "[daemon][metrics]") {
  Fixture f;
  std::string text = f.metrics.scrape();
  for (const char* outcome :
       {"upgraded", "skipped", "retrying", "waiting", "needs-delegated-consent", "failed"}) {
    CHECK(sample(text, std::string("appkeeper_job_outcomes_total{outcome=\"") + outcome + "\"}") ==
          0);
  }
  f.metrics.onJobOutcome("upgraded");
  f.metrics.onJobOutcome("upgraded");
  f.metrics.onJobOutcome("retrying");
  text = f.metrics.scrape();
  CHECK(sample(text, "appkeeper_job_outcomes_total{outcome=\"upgraded\"}") == 2);
  CHECK(sample(text, "appkeeper_job_outcomes_total{outcome=\"retrying\"}") == 1);
  CHECK_FALSE(has(text, "appkeeper_graph_throttled_total{"));
}
