// RetryPolicy: what a worker does after a failed attempt. Deterministic given the injected
// Random (jitter), so tests assert exact sequences.
//
//   kTransient (429, 5xx, timeouts, dropped connections, transient 400) -> retry after
//     Retry-After when the error carries one (it wins), else full jitter: uniform in
//     [0, min(cap, base * 2^(n-1))] after the n-th counted failure;
//     once the n-th counted failure reaches maxAttempts -> give up.
//   kPermanent (403, 404, consent-mismatch 400), kInvalidInput, kInternal -> give up at once.
//
// A 429 is not counted as a failure of the job: it is the tenant's shared budget speaking, and
// its Retry-After says exactly when to come back (the worker bounds such jobs by age instead).
// Nor is a token endpoint that fails transiently (graph::kTokenUnavailableCode): an outage of
// the identity platform would otherwise fail every job it meets once it outlasts maxAttempts.
//
// Borrows the Random for its lifetime. Thread-safe when the Random is (every Random is).
#pragma once

#include <chrono>

#include "common/random.h"
#include "common/result.h"
#include "graph/backoff.h"

namespace appkeeper::daemon {

struct RetryPolicyOptions {
  int maxAttempts = 8;
  std::chrono::milliseconds base{2'000};
  std::chrono::milliseconds cap{600'000};
};

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds delay{0};  // when retry
  int attempt = 0;                     // counted failures including this one
};

class RetryPolicy {
 public:
  RetryPolicy(RetryPolicyOptions options, Random& random);

  // `countedFailuresBefore`: failures of this job counted so far (not including `error`).
  RetryDecision decide(const Error& error, int countedFailuresBefore) const;
  // Whether `error` counts toward maxAttempts (everything but a 429 and an unavailable token).
  static bool counts(const Error& error);
  int maxAttempts() const { return options_.maxAttempts; }

 private:
  RetryPolicyOptions options_;
  graph::Backoff backoff_;
};

}  // namespace appkeeper::daemon
