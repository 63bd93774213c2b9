#include "daemon/retry_policy.h"

#include <catch2/catch.hpp>

#include "fakes/fake_random.h"
#include "graph/graph_client.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using appkeeper::testing::FakeRandom;
using std::chrono::milliseconds;

namespace {

Error transient(int status) {
  Error e = Error::transient("Graph answered " + std::to_string(status));
  e.httpStatus = status;
  return e;
}

}  // namespace

TEST_CASE("transient errors back off with full jitter below a doubling ceiling",
          "[daemon][retry]") {
  FakeRandom random;
  random.script = {1'000, 4'000, 123, 7'999};
  RetryPolicy policy({8, milliseconds(2'000), milliseconds(600'000)}, random);
  std::vector<milliseconds> delays;
  for (int before = 0; before < 4; ++before) {
    auto d = policy.decide(transient(503), before);
    REQUIRE(d.retry);
    CHECK(d.attempt == before + 1);
    delays.push_back(d.delay);
  }
  CHECK(delays == std::vector<milliseconds>{milliseconds(1'000), milliseconds(4'000),
                                            milliseconds(123), milliseconds(7'999)});
  // Uniform in [0, base * 2^(n-1)]: the bounds asked for are ceiling + 1.
  CHECK(random.bounds == std::vector<uint64_t>{2'001, 4'001, 8'001, 16'001});
}

TEST_CASE("the backoff ceiling stops at the cap", "[daemon][retry]") {
  FakeRandom random;  // empty script: always the maximum
  RetryPolicy policy({100, milliseconds(2'000), milliseconds(10'000)}, random);
  std::vector<milliseconds> delays;
  for (int before = 0; before < 6; ++before)
    delays.push_back(policy.decide(transient(500), before).delay);
  CHECK(delays == std::vector<milliseconds>{milliseconds(2'000), milliseconds(4'000),
                                            milliseconds(8'000), milliseconds(10'000),
                                            milliseconds(10'000), milliseconds(10'000)});
}

TEST_CASE("Retry-After wins over the computed backoff, even beyond the cap", "[daemon][retry]") {
  FakeRandom random;
  RetryPolicy policy({8, milliseconds(2'000), milliseconds(10'000)}, random);
  Error e = transient(503);
  e.retryAfter = milliseconds(30'000);
  auto d = policy.decide(e, 2);
  CHECK(d.retry);
  CHECK(d.delay == milliseconds(30'000));
  CHECK(random.bounds.empty());
}

TEST_CASE("attempts run out at max_attempts", "[daemon][retry]") {
  FakeRandom random;
  RetryPolicy policy({3, milliseconds(2'000), milliseconds(600'000)}, random);
  CHECK(policy.decide(transient(504), 0).retry);
  CHECK(policy.decide(transient(504), 1).retry);
  auto last = policy.decide(transient(504), 2);
  CHECK_FALSE(last.retry);
  CHECK(last.attempt == 3);
}

TEST_CASE("a 429 is retried after Retry-After without using up an attempt", "[daemon][retry]") {
  FakeRandom random;
  RetryPolicy policy({3, milliseconds(2'000), milliseconds(600'000)}, random);
  Error throttled = transient(429);
  throttled.retryAfter = milliseconds(1'000);
  auto d = policy.decide(throttled, 2);
  CHECK(d.retry);
  CHECK(d.attempt == 2);
  CHECK(d.delay == milliseconds(1'000));
  CHECK_FALSE(RetryPolicy::counts(throttled));
  CHECK(RetryPolicy::counts(transient(503)));
}

TEST_CASE("permanent, invalid-input and internal errors are never retried", "[daemon][retry]") {
  FakeRandom random;
  RetryPolicy policy({8, milliseconds(2'000), milliseconds(600'000)}, random);
  Error notFound = Error::permanent("404");
  notFound.httpStatus = 404;
  Error consent = Error::permanent("400 consent");
  consent.httpStatus = 400;
  consent.innerCode = "InvalidRequest";
  CHECK_FALSE(policy.decide(notFound, 0).retry);
  CHECK_FALSE(policy.decide(consent, 0).retry);
  CHECK_FALSE(policy.decide(Error::internal("bug"), 0).retry);
  CHECK_FALSE(policy.decide(Error::invalidInput("bad"), 0).retry);
}

TEST_CASE("an unavailable token endpoint is retried without using up an attempt",
          "[daemon][retry]") {
  FakeRandom random;
  RetryPolicy policy({3, milliseconds(2'000), milliseconds(600'000)}, random);
  Error outage = transient(503);
  outage.code = graph::kTokenUnavailableCode;
  auto d = policy.decide(outage, 2);
  CHECK(d.retry);
  CHECK(d.attempt == 2);
  CHECK_FALSE(RetryPolicy::counts(outage));
  // A permanent token error (bad credentials) still ends the job at once.
  Error rejected = Error::permanent("invalid_client");
  rejected.code = "invalid_client";
  CHECK_FALSE(policy.decide(rejected, 0).retry);
}
