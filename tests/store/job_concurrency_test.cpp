// Two connections on one file, as two worker threads have in production.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <vector>

#include "store_test_support.h"

namespace appkeeper::store::testing {

TEST_CASE("two connections claiming from two threads never get the same job", "[store][threads]") {
  constexpr int kJobs = 500;
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("queue.db");
  auto storeA = openOk(path, clock);
  auto storeB = openOk(path, clock);
  std::vector<JobSpec> batch;
  for (int i = 0; i < kJobs; ++i) batch.push_back(spec("team-" + std::to_string(i)));
  REQUIRE(must(storeA->enqueue(batch)) == static_cast<size_t>(kJobs));

  struct Outcome {
    std::vector<int64_t> claimed;
    int errors = 0;
    std::string lastError;
  };
  // Catch2 assertions are not thread-safe: the threads only record, the test checks after join.
  const auto work = [](Store& store, const std::string& owner, Outcome& out) {
    for (int i = 0; i < 4 * kJobs; ++i) {  // bounded: far more iterations than jobs
      auto claimed = store.claimJob(owner, std::chrono::minutes(10));
      if (!claimed) {
        ++out.errors;
        out.lastError = claimed.error().message;
        continue;
      }
      if (!claimed.value()) return;  // queue drained (the other thread's leases are long)
      out.claimed.push_back(claimed.value()->id);
      auto finished = store.finishJob(claimed.value()->id, owner, JobState::kSucceeded, {});
      if (!finished) {
        ++out.errors;
        out.lastError = finished.error().message;
      }
    }
  };
  Outcome a, b;
  {
    std::thread ta(work, std::ref(*storeA), "worker-a", std::ref(a));
    std::thread tb(work, std::ref(*storeB), "worker-b", std::ref(b));
    ta.join();
    tb.join();
  }
  INFO(a.lastError << b.lastError);
  CHECK(a.errors + b.errors == 0);
  std::set<int64_t> all(a.claimed.begin(), a.claimed.end());
  for (int64_t id : b.claimed) {
    INFO("job " << id);
    CHECK(all.insert(id).second);  // never claimed by both
  }
  CHECK(all.size() == static_cast<size_t>(kJobs));
  CHECK(must(storeA->jobCounts()).at(JobState::kSucceeded) == kJobs);
}

}  // namespace appkeeper::store::testing
