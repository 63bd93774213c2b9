// fsync_probe: how long the disk under a directory takes to make a write durable, printed as
// Markdown. Every 202 of `appkeeper serve` waits for a commit, and a commit waits for one
// fdatasync of the database's WAL, so no latency figure of the ingest benchmark can be better
// than this disk's, and a disk that now and then takes 100+ ms to sync shows up as a p99 of
// 100+ ms whatever the daemon does (issue 7 item 3). bench/run_ingest.sh runs it in its work dir.
//   fsync_probe [--dir DIR] [--seconds S] [--rate R] [--bytes B]
// Writes B bytes (default 41,200: ten WAL frames of a 4 KiB page) and fdatasyncs them, R times a
// second (default 300, about the daemon's commits at 5,000 deliveries/s; 0: back to back), for
// S seconds (default 20), appending in a 4 MiB file that wraps around as a WAL does after a
// checkpoint. Times each write + fdatasync. The file lives in a temp dir under DIR (default
// $TMPDIR or /tmp) and is removed. Not a test: nothing is asserted.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/store_bench_support.h"

namespace bench = appkeeper::bench;
using Steady = std::chrono::steady_clock;

namespace {

constexpr long long kWindowBytes = 4 << 20;
constexpr double kSlowMs = 100;

struct Sync {
  double atSeconds;  // since the start
  double ms;
};

std::vector<Sync> probe(const std::string& dir, double seconds, size_t rate, size_t bytes) {
  bench::SyncProbe file(dir);
  const std::string block(bytes, 'w');
  std::vector<Sync> syncs;
  const auto start = Steady::now();
  const auto end =
      start + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(seconds));
  const auto interval = rate == 0
                            ? Steady::duration::zero()
                            : std::chrono::duration_cast<Steady::duration>(
                                  std::chrono::duration<double>(1.0 / static_cast<double>(rate)));
  long long offset = 0;
  for (auto due = start; due < end; due += interval) {
    // Paced from the start, not from the last sync: a slow sync is followed by no burst.
    const auto now = Steady::now();
    if (now < due) std::this_thread::sleep_until(due);
    if (now > due + interval) due = now;
    const double at = std::chrono::duration<double>(Steady::now() - start).count();
    syncs.push_back({at, file.writeAndSync(block, offset) * 1e3});
    offset += static_cast<long long>(block.size());
    if (offset + static_cast<long long>(block.size()) > kWindowBytes) offset = 0;
  }
  return syncs;
}

double percentile(const std::vector<double>& sorted, double p) {
  const auto i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  std::string parent = bench::defaultScratchParents().front();
  size_t seconds = 20;
  size_t rate = 300;
  size_t bytes = 41200;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool hasValue = i + 1 < argc;
    if (a == "--dir" && hasValue) {
      parent = argv[++i];
    } else if (a == "--seconds" && hasValue && bench::parseCount(argv[i + 1], seconds)) {
      ++i;
    } else if (a == "--rate" && hasValue && std::string(argv[i + 1]) == "0") {
      rate = 0;
      ++i;
    } else if (a == "--rate" && hasValue && bench::parseCount(argv[i + 1], rate)) {
      ++i;
    } else if (a == "--bytes" && hasValue && bench::parseCount(argv[i + 1], bytes)) {
      ++i;
    } else {
      std::cerr << "usage: fsync_probe [--dir DIR] [--seconds S] [--rate R] [--bytes B]\n"
                   "  S, B: positive integers (default 20 s, 41200 bytes); R: syncs per second "
                   "(default 300, 0: back to back); DIR: where the temp file goes (default "
                   "$TMPDIR or /tmp)\n";
      return 2;
    }
  }
  std::vector<Sync> syncs;
  try {
    bench::ScratchDir dir(parent, "fsync-probe");
    syncs = probe(dir.path(), static_cast<double>(seconds), rate, bytes);
  } catch (const std::exception& e) {
    std::cerr << "fsync_probe: " << e.what() << "\n";
    return 1;
  }
  if (syncs.empty()) {
    std::cerr << "fsync_probe: no sync completed\n";
    return 1;
  }
  std::vector<double> ms;
  for (const auto& s : syncs) ms.push_back(s.ms);
  std::sort(ms.begin(), ms.end());
  const auto over = [&](double limit) {
    return std::count_if(ms.begin(), ms.end(), [&](double v) { return v >= limit; });
  };
  std::printf(
      "| dir | bytes per sync | syncs | seconds | p50 ms | p99 ms | p99.9 ms | max ms | "
      "≥ 10 ms | ≥ 100 ms |\n|---|---|---|---|---|---|---|---|---|---|\n");
  std::printf("| %s | %zu | %zu | %zu | %.2f | %.2f | %.2f | %.1f | %td | %td |\n", parent.c_str(),
              bytes, syncs.size(), seconds, percentile(ms, 0.5), percentile(ms, 0.99),
              percentile(ms, 0.999), ms.back(), over(10), over(kSlowMs));
  std::string slow;
  for (const auto& s : syncs) {
    if (s.ms < kSlowMs) continue;
    char one[64];
    std::snprintf(one, sizeof(one), "%s%.0f ms at %.1f s", slow.empty() ? "" : ", ", s.ms,
                  s.atSeconds);
    slow += one;
  }
  std::printf("\nsyncs of %.0f ms or more: %s\n", kSlowMs, slow.empty() ? "none" : slow.c_str());
  return 0;
}
