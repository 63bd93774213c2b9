// inbox_bench: the store's share of accepting one inbound delivery (issue 7 item 3), printed as
// Markdown. `appkeeper serve` answers a delivery 202 only after its group-commit writer has put
// it in the inbox with its audit record (Store::acceptInboundBatch); this measures that call
// alone, one thread, no HTTP, so a change to the rows or indexes shows without the closed loop's
// spread.
//   inbox_bench [--writes N] [--batch B] [--dir DIR]...
// Each scenario runs on a fresh database in a temp dir under each DIR (default: $TMPDIR or /tmp,
// then /dev/shm when it exists), opened by store::Store::open with the store's real pragmas
// (WAL, synchronous=FULL) and audit hash chain. The writes are what the router builds for the
// benchmark's notification (bench/run_ingest.sh): an 832-byte body and one "accepted" audit
// record. Batches of 1, 8 and 32 writes per transaction (a lone delivery, a steady 5,000/s, a
// flood), or only B (e.g. to profile one). On tmpfs fdatasync is free, so that row shows the
// store's CPU cost without the disk. Not a test: nothing is asserted.

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

// The benchmark's notification, as bench/run_ingest.sh builds it, and the audit record the
// router writes for it (handlers/graph_notifications.cpp: its detail is describe()'s).
store::InboundWrite notificationWrite() {
  const std::string app = "2298eb42-cbbe-4db8-a383-0d21dc859216";
  const std::string installation =
      "OWY1N2VhNjMtMGU2MC00Zjk0LWEzZTAtMjYzMTllMDBkYmY1IyMyMjk4ZWI0Mi1jYmJlLTRkYjgtYTM4My0wZDIxZGM4"
      "NTkyMTY=";
  const std::string resource =
      "appCatalogs/teamsApps('" + app + "')/installations('" + installation + "')";
  store::InboundWrite w;
  w.kind = store::InboundWrite::Kind::kNotification;
  w.payload =
      R"({"value":[{"subscriptionId":"5f0ad6c1-6a4e-4d35-9d5e-0c1b2a3f4e5d","subscriptionExpirationDateTime":"2030-01-01T00:00:00.0000000Z","changeType":"updated","clientState":"Zq3c0d9rS1c2V3b4N5m6L7k8J9h0G1f2D3s4A5p6","tenantId":"11111111-1111-1111-1111-111111111111","resource":")" +
      resource + R"(","resourceData":{"id":")" + installation +
      R"(","@odata.type":"#Microsoft.Graph.teamsAppInstallation","@odata.id":")" + resource +
      R"("}}]})";
  store::AuditRecord audit;
  audit.event = "graph-notification";
  audit.tenantId = "11111111-1111-1111-1111-111111111111";
  audit.teamsAppId = app;
  audit.installationId = installation;
  audit.outcome = "accepted";
  audit.detail = "changeType updated (subscription 5f0ad6c1-6a4e-4d35-9d5e-0c1b2a3f4e5d)";
  w.audits.push_back(std::move(audit));
  return w;
}

void runIn(const std::string& parent, size_t writes, const std::vector<size_t>& batches) {
  const appkeeper::SystemClock clock;
  const bool tmpfs = parent.rfind("/dev/shm", 0) == 0;
  const std::string where = parent + (tmpfs ? " (tmpfs)" : "");
  for (size_t batch : batches) {
    bench::ScratchDir dir(parent, "inbox-bench");
    auto opened = store::Store::open(dir.path() + "/inbox.db", clock);
    if (!opened) throw std::runtime_error("cannot open the store: " + opened.error().message);
    store::Store& st = **opened;
    // Built and grouped before the clock starts: the request threads build the writes and the
    // writer moves them into its batch, so neither is the store's cost.
    std::vector<std::vector<store::InboundWrite>> groups;
    for (size_t first = 0; first < writes; first += batch) {
      auto& group = groups.emplace_back();
      for (size_t i = first; i < std::min(writes, first + batch); ++i) {
        group.push_back(notificationWrite());
      }
    }
    const auto start = Steady::now();
    const double cpu0 = bench::cpuSeconds();
    for (const auto& group : groups) {
      auto done = st.acceptInboundBatch(group);
      if (!done) throw std::runtime_error("acceptInboundBatch: " + done.error().message);
      for (const auto& one : *done) {
        if (!one) throw std::runtime_error("a write failed: " + one.error().message);
      }
    }
    const double cpu = bench::cpuSeconds() - cpu0;
    const double wall = std::chrono::duration<double>(Steady::now() - start).count();
    const double n = static_cast<double>(writes);
    std::printf("| %s | %zu | %zu | %.2f | %.0f | %.1f | %.1f | %s |\n", where.c_str(), batch,
                writes, wall, n / wall, cpu * 1e6 / n, wall * 1e6 / n,
                bench::loadavgLine().substr(0, 4).c_str());
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  size_t writes = 20000;
  std::vector<std::string> dirs;
  std::vector<size_t> batches = {1, 8, 32};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool hasValue = i + 1 < argc;
    if (a == "--writes" && hasValue && bench::parseCount(argv[i + 1], writes)) {
      ++i;
    } else if (size_t one = 0; a == "--batch" && hasValue && bench::parseCount(argv[i + 1], one)) {
      batches = {one};
      ++i;
    } else if (a == "--dir" && hasValue) {
      dirs.emplace_back(argv[++i]);
    } else {
      std::cerr << "usage: inbox_bench [--writes N] [--batch B] [--dir DIR]...\n"
                   "  N, B: positive integers (default 20000; batches of 1, 8 and 32); DIR: where "
                   "the temp databases go "
                   "(repeatable; default $TMPDIR or /tmp, then /dev/shm)\n";
      return 2;
    }
  }
  if (dirs.empty()) dirs = bench::defaultScratchParents();
  std::printf("## inbox_bench: Store::acceptInboundBatch, one thread\n\n");
  std::printf("nproc: %u, loadavg before: %s\n\n", std::thread::hardware_concurrency(),
              bench::loadavgLine().c_str());
  std::printf(
      "| where | writes per transaction | writes | seconds | writes/s | CPU µs per write | wall µs "
      "per write | load (1 min) |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  try {
    for (const auto& dir : dirs) runIn(dir, writes, batches);
  } catch (const std::exception& e) {
    std::cerr << "inbox_bench: " << e.what() << "\n";
    return 1;
  }
  std::printf("\nloadavg after: %s\n", bench::loadavgLine().c_str());
  return 0;
}
