// queue_bench: throughput of appkeeper's job queue (store/store.h) alone, printed as Markdown.
//   queue_bench [--jobs N] [--batch B] [--dir DIR]...
// Each scenario runs on a fresh database in a temp dir under each DIR (default: $TMPDIR or /tmp,
// then /dev/shm when it exists), opened by store::Store::open, i.e. with the store's real pragmas
// (WAL, synchronous=FULL, foreign keys) and its real audit hash chain: every finishJob appends
// an "upgraded" audit record, as a worker does.
//
// Scenarios (jobs/s counts a job once it is enqueued, claimed and completed):
//   unbatched   enqueue({one job}), claimJob, finishJob: three transactions per job
//   batched     enqueue(B jobs) in one transaction, then claimJob + finishJob per job (the store
//               has no batch claim or batch finish: that is what exists)
// plus the phases of the batched run on their own, and the floor the disk sets: write(4 KiB) +
// fdatasync in the same directory, which a synchronous=FULL WAL commit pays once.
// On tmpfs fdatasync is free, so that column shows the store's CPU cost without the disk.
// Not a test: nothing is asserted.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bench/store_bench_support.h"
#include "common/clock.h"
#include "store/store.h"

namespace bench = appkeeper::bench;
namespace store = appkeeper::store;
using Steady = std::chrono::steady_clock;

namespace {

struct Options {
  size_t jobs = 1000;
  size_t batch = 100;
  std::vector<std::string> dirs;
};

double secondsSince(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

store::JobSpec spec(size_t i) {
  store::JobSpec s;
  s.tenantId = "11111111-1111-1111-1111-111111111111";
  s.teamId = "team-" + std::to_string(i);
  s.installationId = "installation-" + std::to_string(i);
  s.teamsAppId = "app-0001";
  s.fromVersion = "1.0.0";
  s.targetVersion = "1.1.0";
  return s;
}

std::unique_ptr<store::Store> openStore(const std::string& path, const appkeeper::Clock& clock) {
  auto opened = store::Store::open(path, clock);
  if (!opened) throw std::runtime_error("cannot open the store: " + opened.error().message);
  return std::move(opened.value());
}

void check(const appkeeper::Status& s, const char* what) {
  if (!s) throw std::runtime_error(std::string(what) + ": " + s.error().message);
}

// Claims one job and finishes it as a worker does after a successful upgrade.
void claimAndFinish(store::Store& st) {
  auto claimed = st.claimJob("bench-worker", std::chrono::seconds(60));
  if (!claimed) throw std::runtime_error("claimJob: " + claimed.error().message);
  if (!claimed->has_value()) throw std::runtime_error("claimJob found no due job");
  store::AuditRecord audit;
  audit.outcome = "upgraded";
  audit.httpStatus = 204;
  audit.requestId = "bench-request";
  check(st.finishJob((*claimed)->id, "bench-worker", store::JobState::kSucceeded, audit),
        "finishJob");
}

struct Row {
  std::string where, scenario;
  size_t jobs = 0;
  double seconds = 0;
  double transactionsPerJob = 0;
  double cpu = 0;  // CPU seconds spent
};

void printRow(const Row& r) {
  const double jobs = static_cast<double>(r.jobs);
  std::printf("| %s | %s | %zu | %.2f | %.0f | %.2f | %.0f | %.0f | %s |\n", r.where.c_str(),
              r.scenario.c_str(), r.jobs, r.seconds, jobs / r.seconds, r.transactionsPerJob,
              r.cpu * 1e6 / jobs, r.cpu > 0 ? jobs / r.cpu : 0.0,
              bench::loadavgLine().substr(0, 4).c_str());
  std::fflush(stdout);
}

// write(4 KiB) + fdatasync appended, `n` times, the mean in µs (-1: the disk refused).
double fdatasyncMicros(const std::string& dir, int n) {
  try {
    bench::SyncProbe probe(dir);
    const std::string page(4096, 'x');
    double seconds = 0;
    for (int i = 0; i < n; ++i) seconds += probe.writeAndSync(page, 4096LL * i);
    return seconds * 1e6 / n;
  } catch (const std::runtime_error&) {
    return -1;
  }
}

void runIn(const std::string& parent, const Options& o) {
  const appkeeper::SystemClock clock;
  const bool tmpfs = parent.rfind("/dev/shm", 0) == 0;
  const std::string where = parent + (tmpfs ? " (tmpfs)" : "");
  bench::ScratchDir dir(parent, "queue-bench");

  const double syncUs = fdatasyncMicros(dir.path(), 200);
  std::printf(
      "| %s | write 4 KiB + fdatasync (%.0f µs each): commits/s ceiling | 200 | %.2f | %.0f | 1.00 "
      "| - | - | %s |\n",
      where.c_str(), syncUs, syncUs * 200 / 1e6, syncUs > 0 ? 1e6 / syncUs : 0.0,
      bench::loadavgLine().substr(0, 4).c_str());

  {  // unbatched
    auto st = openStore(dir.path() + "/unbatched.db", clock);
    const auto start = Steady::now();
    const double cpu0 = bench::cpuSeconds();
    for (size_t i = 0; i < o.jobs; ++i) {
      auto added = st->enqueue({spec(i)});
      if (!added || *added != 1) throw std::runtime_error("enqueue failed");
      claimAndFinish(*st);
    }
    printRow({where, "unbatched: enqueue 1 + claim + finish", o.jobs, secondsSince(start), 3,
              bench::cpuSeconds() - cpu0});
  }

  {  // batched enqueue, then claim + finish one by one
    auto st = openStore(dir.path() + "/batched.db", clock);
    const auto start = Steady::now();
    const double cpu0 = bench::cpuSeconds();
    for (size_t first = 0; first < o.jobs; first += o.batch) {
      std::vector<store::JobSpec> batch;
      for (size_t i = first; i < std::min(o.jobs, first + o.batch); ++i) batch.push_back(spec(i));
      auto added = st->enqueue(batch);
      if (!added || *added != batch.size()) throw std::runtime_error("batch enqueue failed");
    }
    const double enqueueSeconds = secondsSince(start);
    const double cpu1 = bench::cpuSeconds();
    const auto claimStart = Steady::now();
    double claimSeconds = 0;
    // claim and finish timed apart, so each phase's own rate shows.
    std::vector<int64_t> ids;
    ids.reserve(o.jobs);
    for (size_t i = 0; i < o.jobs; ++i) {
      auto claimed = st->claimJob("bench-worker", std::chrono::seconds(60));
      if (!claimed || !claimed->has_value()) throw std::runtime_error("claimJob failed");
      ids.push_back((*claimed)->id);
    }
    claimSeconds = secondsSince(claimStart);
    const double cpu2 = bench::cpuSeconds();
    const auto finishStart = Steady::now();
    for (int64_t id : ids) {
      store::AuditRecord audit;
      audit.outcome = "upgraded";
      audit.httpStatus = 204;
      audit.requestId = "bench-request";
      check(st->finishJob(id, "bench-worker", store::JobState::kSucceeded, audit), "finishJob");
    }
    const double finishSeconds = secondsSince(finishStart);
    const double cpu3 = bench::cpuSeconds();
    const double batchesPerJob = 1.0 / static_cast<double>(o.batch);
    printRow({where, "batched: enqueue " + std::to_string(o.batch) + "/tx + claim + finish",
              o.jobs, enqueueSeconds + claimSeconds + finishSeconds, 2 + batchesPerJob,
              cpu3 - cpu0});
    printRow({where, "  phase: enqueue " + std::to_string(o.batch) + "/tx", o.jobs,
              enqueueSeconds, batchesPerJob, cpu1 - cpu0});
    printRow({where, "  phase: claimJob", o.jobs, claimSeconds, 1, cpu2 - cpu1});
    printRow({where, "  phase: finishJob (+ audit record)", o.jobs, finishSeconds, 1, cpu3 - cpu2});
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool hasValue = i + 1 < argc;
    if (a == "--jobs" && hasValue && bench::parseCount(argv[i + 1], o.jobs)) {
      ++i;
    } else if (a == "--batch" && hasValue && bench::parseCount(argv[i + 1], o.batch)) {
      ++i;
    } else if (a == "--dir" && hasValue) {
      o.dirs.emplace_back(argv[++i]);
    } else {
      std::cerr << "usage: queue_bench [--jobs N] [--batch B] [--dir DIR]...\n"
                   "  N, B: positive integers (defaults 1000, 100); DIR: where the temp databases "
                   "go (repeatable; default $TMPDIR or /tmp, then /dev/shm)\n";
      return 2;
    }
  }
  if (o.dirs.empty()) o.dirs = bench::defaultScratchParents();

  std::printf("## queue_bench: store enqueue + claim + finish\n\n");
  std::printf("nproc: %u, loadavg before: %s\n\n", std::thread::hardware_concurrency(),
              bench::loadavgLine().c_str());
  std::printf(
      "| where | scenario | jobs | seconds | jobs/s | commits/job | CPU µs/job | jobs per CPU "
      "second | load (1 min) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  try {
    for (const auto& dir : o.dirs) runIn(dir, o);
  } catch (const std::exception& e) {
    std::cerr << "queue_bench: " << e.what() << "\n";
    return 1;
  }
  std::printf("\nloadavg after: %s\n", bench::loadavgLine().c_str());
  return 0;
}
