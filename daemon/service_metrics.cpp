#include "daemon/service_metrics.h"

#include <algorithm>
#include <charconv>

#include "daemon/audit_outcomes.h"
#include "store/store.h"

namespace appkeeper::daemon {
namespace {

using metrics::defaultDurationBuckets;

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

double unixSeconds(WallTime t) { return static_cast<double>(toUnixMillis(t)) / 1000.0; }

std::string_view statusClass(int status) {
  if (status >= 200 && status < 300) return "2xx";
  if (status >= 300 && status < 400) return "3xx";
  if (status >= 400 && status < 500) return "4xx";
  if (status >= 500 && status < 600) return "5xx";
  return "error";  // no answer (transport error, timeout) or nothing HTTP would send
}

// The outcomes a worker records for a job; shown from the start (as 0) so a rate is defined.
constexpr const char* kJobOutcomes[] = {kOutcomeUpgraded,
                                        kOutcomeSkipped,
                                        kOutcomeRetrying,
                                        kOutcomeWaiting,
                                        kOutcomeNeedsDelegatedConsent,
                                        kOutcomeFailed};

constexpr store::JobState kJobStates[] = {store::JobState::kQueued,    store::JobState::kRunning,
                                          store::JobState::kSucceeded, store::JobState::kSkipped,
                                          store::JobState::kFailed,    store::JobState::kBlocked};

}  // namespace

ServiceMetrics::ServiceMetrics(std::string version, std::unique_ptr<store::Store> store,
                               const Clock& clock)
    : clock_(clock),
      inboundRequests_(registry_.counter("appkeeper_inbound_requests_total",
                                         "HTTP requests answered by appkeeper's listeners, by "
                                         "endpoint (\"other\" for unknown paths) and status code.",
                                         {"endpoint", "code"})),
      inboundDuration_(registry_.histogram("appkeeper_inbound_request_duration_seconds",
                                           "Time to read, handle and answer an inbound request.",
                                           defaultDurationBuckets(), {"endpoint"})),
      graphRequests_(registry_.counter("appkeeper_graph_requests_total",
                                       "HTTP requests sent to Microsoft Graph (every attempt), by "
                                       "operation and status class (error: no answer).",
                                       {"operation", "status_class"})),
      graphDuration_(registry_.histogram("appkeeper_graph_request_duration_seconds",
                                         "Time from sending a Graph request to its answer, "
                                         "without the rate limiter's wait.",
                                         defaultDurationBuckets(), {"operation"})),
      graphThrottled_(
          registry_
              .counter("appkeeper_graph_throttled_total", "Graph answers 429 Too Many Requests.")
              .get()),
      limiterWait_(registry_
                       .counter("appkeeper_rate_limiter_wait_seconds_total",
                                "Time Graph requests were held back by appkeeper's own rate "
                                "limiter (its budgets and the pauses a 429 set).")
                       .get()),
      jobOutcomes_(registry_.counter("appkeeper_job_outcomes_total",
                                     "Outcomes the upgrade workers recorded, one per job run.",
                                     {"outcome"})),
      jobs_(registry_.gauge("appkeeper_jobs", "Upgrade jobs in the store, by state.", {"state"})),
      oldestQueuedAge_(registry_
                           .gauge("appkeeper_oldest_queued_job_age_seconds",
                                  "Age of the oldest queued upgrade job (0: none queued).")
                           .get()),
      subscriptionExpiry_(
          registry_.gauge("appkeeper_subscription_expiry_timestamp_seconds",
                          "When each Graph change-notification subscription expires (Unix time).",
                          {"subscription_id", "app_id"})),
      reconciliationRunning_(
          registry_.gauge("appkeeper_reconciliation_running", "1 while a full reconciliation runs.")
              .get()),
      reconciliationTeams_(registry_
                               .gauge("appkeeper_reconciliation_teams_scanned",
                                      "Teams scanned by the running reconciliation, or by the "
                                      "last completed one when none runs.")
                               .get()),
      reconciliationLastCompleted_(
          registry_
              .gauge("appkeeper_reconciliation_last_completed_timestamp_seconds",
                     "When the last full reconciliation completed (Unix time; 0: never).")
              .get()),
      storeUp_(registry_
                   .gauge("appkeeper_store_up",
                          "1 when the last scrape could read the store, else 0 (the "
                          "store-derived values are then stale).")
                   .get()),
      store_(std::move(store)) {
  registry_.gauge("appkeeper_build_info", "The running appkeeper's version; always 1.", {"version"})
      .labels({version})
      .set(1);
  for (const char* outcome : kJobOutcomes) jobOutcomes_.labels({outcome});
  for (store::JobState state : kJobStates) jobs_.labels({store::toString(state)});
}

ServiceMetrics::~ServiceMetrics() = default;

void ServiceMetrics::onAttempt(const graph::GraphAttempt& attempt) {
  try {
    graphRequests_.labels({attempt.operation, statusClass(attempt.status)}).inc();
    graphDuration_.labels({attempt.operation}).observe(seconds(attempt.duration));
    if (attempt.status == 429) graphThrottled_.inc();
    if (attempt.limiterWait.count() > 0) limiterWait_.inc(seconds(attempt.limiterWait));
  } catch (...) {  // out of memory for a new label set: lose the sample, not the request
  }
}

void ServiceMetrics::onInboundRequest(std::string_view endpoint, int status,
                                      std::chrono::nanoseconds elapsed) {
  try {
    char code[12];
    const auto written = std::to_chars(code, code + sizeof code, status);
    inboundRequests_.labels({endpoint, std::string_view(code, written.ptr)}).inc();
    inboundDuration_.labels({endpoint}).observe(seconds(elapsed));
  } catch (...) {  // see onAttempt
  }
}

void ServiceMetrics::onJobOutcome(std::string_view outcome) {
  try {
    jobOutcomes_.labels({outcome}).inc();
  } catch (...) {  // see onAttempt
  }
}

void ServiceMetrics::readStore() {
  bool ok = true;
  if (auto counts = store_->jobCounts()) {
    for (const auto& [state, n] : *counts) {
      jobs_.labels({store::toString(state)}).set(static_cast<double>(n));
    }
  } else {
    ok = false;
  }
  if (auto oldest = store_->listJobs(store::JobState::kQueued, 1)) {
    double age = 0;
    if (!oldest->empty()) {
      age = std::max(0.0, seconds(clock_.now() - oldest->front().createdAt));
    }
    oldestQueuedAge_.set(age);
  } else {
    ok = false;
  }
  if (auto subscriptions = store_->subscriptions()) {
    subscriptionExpiry_.clear();  // a removed subscription disappears from the scrape
    for (const auto& s : *subscriptions) {
      subscriptionExpiry_.labels({s.id, s.teamsAppId}).set(unixSeconds(s.expiration));
    }
  } else {
    ok = false;
  }
  auto active = store_->activeReconciliation();
  auto last = store_->lastReconciliation();
  if (active && last) {
    const bool running = *active && (*active)->state == store::ReconciliationState::kRunning;
    reconciliationRunning_.set(running ? 1 : 0);
    const auto& shown = running ? *active : *last;
    reconciliationTeams_.set(shown ? static_cast<double>(shown->teamsScanned) : 0);
    reconciliationLastCompleted_.set(*last ? unixSeconds((*last)->finishedAt) : 0);
  } else {
    ok = false;
  }
  storeUp_.set(ok ? 1 : 0);
}

std::string ServiceMetrics::scrape() {
  std::lock_guard lock(scrapeMu_);
  if (store_) readStore();
  return registry_.render();
}

}  // namespace appkeeper::daemon
