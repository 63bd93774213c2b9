#include "daemon/retry_policy.h"

#include <algorithm>

#include "graph/graph_client.h"

namespace appkeeper::daemon {

RetryPolicy::RetryPolicy(RetryPolicyOptions options, Random& random)
    : options_(options), backoff_(options.base, options.cap, random) {}

bool RetryPolicy::counts(const Error& error) {
  return error.httpStatus != 429 && error.code != graph::kTokenUnavailableCode;
}

RetryDecision RetryPolicy::decide(const Error& error, int countedFailuresBefore) const {
  RetryDecision d;
  d.attempt = std::max(0, countedFailuresBefore) + (counts(error) ? 1 : 0);
  if (error.kind != ErrorKind::kTransient) return d;
  if (counts(error) && d.attempt >= options_.maxAttempts) return d;
  d.retry = true;
  if (error.retryAfter) {
    d.delay = std::max(*error.retryAfter, std::chrono::milliseconds::zero());
  } else {
    // Backoff counts from 0: the first counted failure waits up to `base`.
    d.delay = backoff_.delay(std::max(1, d.attempt) - 1);
  }
  return d;
}

}  // namespace appkeeper::daemon
