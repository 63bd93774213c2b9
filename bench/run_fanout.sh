#!/usr/bin/env bash
# Issue 7 items 1, 2 and 5 in one command: builds what it needs (Release, -j2) and runs
# bench/fanout_bench at the sizes the issue names, printing Markdown tables.
#
#   bench/run_fanout.sh [--build-dir DIR] [--with-100k] [--quick]
#
#  1. scaled: 10,000 installations, GET and POST budgets 300/s, 80 ms ± 40 ms (cold + warm);
#  2. real:   1,000 installations at Graph's 30/s, same latency, beside the Node.js peer
#             (bench/peer/peer.mjs: sequential, then 8 at once);
#  5. cost:   peak RSS and CPU s per 1,000 jobs at 1,000 / 10,000 (from runs 1 and 2 and a
#             latency-off run) and, with --with-100k, 100,000 installations with latency off
#             (cold phase only; ~15 minutes on a shared 2-core machine).
# --quick runs tiny sizes only (a smoke run, seconds).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build="$root/build-bench"
with100k=0
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --with-100k) with100k=1; shift ;;
    --quick) quick=1; shift ;;
    *) echo "usage: $0 [--build-dir DIR] [--with-100k] [--quick]" >&2; exit 2 ;;
  esac
done

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target fanout_bench -j2 >/dev/null
bench="$build/bench/fanout_bench"
(cd "$here/peer" && [ -d node_modules/@microsoft/microsoft-graph-client ] ||
   npm ci --silent --no-audit --no-fund --prefer-offline)

echo "# fan-out, peer and cost ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
if [ "$quick" = 1 ]; then
  "$bench" --installations 40 --budget 100 --latency-ms 5 --jitter-ms 10 --label quick
  exit
fi
"$bench" --installations 10000 --budget 300 --label "1. scaled"
"$bench" --installations 1000 --budget 30 --peer --peer-concurrency 8 --label "1+2. real limits, with the peer"
"$bench" --installations 1000 --budget 300 --latency-ms 0 --jitter-ms 0 --no-throttle --label "5. cost, latency off"
"$bench" --installations 10000 --budget 300 --latency-ms 0 --jitter-ms 0 --no-throttle --label "5. cost, latency off"
if [ "$with100k" = 1 ]; then
  # Seeded by the emulator itself: a scenario file of 100,000 teams takes longer to load than
  # the harness waits for the emulator to start.
  "$bench" --seeded --installations 100000 --budget 300 --latency-ms 0 --jitter-ms 0 \
           --no-throttle --timeout-s 3600 --label "5. cost, latency off, seeded 100,000 teams"
fi
