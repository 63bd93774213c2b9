#!/usr/bin/env bash
# Configures and builds appkeeper. APPKEEPER_BUILD_PROFILE picks the tree:
#   release   (default) gcc, RelWithDebInfo (-O2 -g1), into ${BUILD_DIR:-build}
#   sanitize  clang, ASan+UBSan at -O1 with the libFuzzer targets (fuzz/), no benchmarks, into
#             ${BUILD_DIR:-build-sanitize}; APPKEEPER_FUZZ_SECONDS sets each fuzz run's length
#             (default 30: the CI budget, see fuzz/README.md; 0 = replay the corpus only)
# Warnings are errors when CI=true. Extra arguments go to cmake's configure step.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
profile=${APPKEEPER_BUILD_PROFILE:-release}
args=(-G Ninja)
[ "${CI:-}" = "true" ] && args+=(-DAPPKEEPER_WERROR=ON)
case $profile in
  release)
    build=${BUILD_DIR:-$root/build}
    # -g1: line tables and function names, what backtraces and perf need; full -g made every
    # translation unit about a quarter slower to compile, for types and locals in a debugger.
    args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG")
    ;;
  sanitize)
    build=${BUILD_DIR:-$root/build-sanitize}
    # Debug: assertions on; the sanitizer options in cmake/targets.cmake set -O1 and line tables.
    args+=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DAPPKEEPER_SANITIZE=ON
           -DAPPKEEPER_FUZZ=ON -DAPPKEEPER_BENCH=OFF
           -DAPPKEEPER_FUZZ_SECONDS="${APPKEEPER_FUZZ_SECONDS:-30}")
    ;;
  *)
    echo "build.sh: APPKEEPER_BUILD_PROFILE must be release or sanitize, not '$profile'" >&2
    exit 2
    ;;
esac
cmake -S "$root" -B "$build" "${args[@]}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
