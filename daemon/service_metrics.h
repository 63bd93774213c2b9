// ServiceMetrics: what `appkeeper serve` exposes on GET /metrics (issue 6), in the Prometheus
// text format. It owns the metrics registry and is fed from three places:
//   - the inbound listeners (onInboundRequest): appkeeper_inbound_requests_total{endpoint,code},
//     appkeeper_inbound_request_duration_seconds{endpoint};
//   - the GraphClient, as its GraphObserver (onAttempt): appkeeper_graph_requests_total
//     {operation,status_class}, appkeeper_graph_request_duration_seconds{operation},
//     appkeeper_graph_throttled_total, appkeeper_rate_limiter_wait_seconds_total;
//   - the upgrade workers (onJobOutcome): appkeeper_job_outcomes_total{outcome};
// and at scrape time reads the store for appkeeper_jobs{state},
// appkeeper_oldest_queued_job_age_seconds, appkeeper_subscription_expiry_timestamp_seconds
// {subscription_id,app_id}, appkeeper_reconciliation_running, _teams_scanned and
// _last_completed_timestamp_seconds, and appkeeper_store_up (0 when those reads failed: the
// store-derived values are then the last ones read). appkeeper_build_info{version} is 1.
//
// Owns its own Store connection (read-only is enough), used only by scrape() under a mutex:
// scrapes are rare, and no lock is shared with the threads doing the work.
//
// Thread contract: thread-safe. The recording functions are cheap (one short mutex and atomics;
// no allocation once a label set was seen) and never throw. The Clock is borrowed and must
// outlive it.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "graph/graph_observer.h"
#include "metrics/registry.h"

namespace appkeeper::store {
class Store;
}

namespace appkeeper::daemon {

class ServiceMetrics final : public graph::GraphObserver {
 public:
  ServiceMetrics(std::string version, std::unique_ptr<store::Store> store, const Clock& clock);
  ~ServiceMetrics() override;

  void onAttempt(const graph::GraphAttempt& attempt) override;
  // `endpoint` is already bounded (handlers::endpointLabel).
  void onInboundRequest(std::string_view endpoint, int status, std::chrono::nanoseconds elapsed);
  void onJobOutcome(std::string_view outcome);

  // Reads the store and renders every metric (the body of GET /metrics).
  std::string scrape();

 private:
  void readStore();  // requires scrapeMu_

  const Clock& clock_;
  metrics::Registry registry_;
  metrics::Family<metrics::Counter>& inboundRequests_;
  metrics::Family<metrics::Histogram>& inboundDuration_;
  metrics::Family<metrics::Counter>& graphRequests_;
  metrics::Family<metrics::Histogram>& graphDuration_;
  metrics::Counter& graphThrottled_;
  metrics::Counter& limiterWait_;
  metrics::Family<metrics::Counter>& jobOutcomes_;
  metrics::Family<metrics::Gauge>& jobs_;
  metrics::Gauge& oldestQueuedAge_;
  metrics::Family<metrics::Gauge>& subscriptionExpiry_;
  metrics::Gauge& reconciliationRunning_;
  metrics::Gauge& reconciliationTeams_;
  metrics::Gauge& reconciliationLastCompleted_;
  metrics::Gauge& storeUp_;

  std::mutex scrapeMu_;
  std::unique_ptr<store::Store> store_;  // guarded by scrapeMu_
};

}  // namespace appkeeper::daemon
