#!/usr/bin/env bash
# The whole test suite (what CI runs through .ci/run): installs dependencies, then for each
# profile builds a tree and runs every test in it through ctest (unit, integration, the official
# Graph JS SDK against the emulator, the systemd checks).
#   release   gcc RelWithDebInfo build in ${BUILD_DIR:-build}
#   sanitize  clang build in ${SANITIZE_BUILD_DIR:-build-sanitize}: the same suite with every
#             binary (also the daemon and emulator processes the integration tests start) under
#             AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer, plus the fuzz
#             targets: their corpus and regression replays and a fuzzing run of
#             APPKEEPER_FUZZ_SECONDS (default 30, see fuzz/README.md) each
# APPKEEPER_TEST_PROFILE=release|sanitize|all (default all, what CI runs) picks what runs.
# Budget: CI gives .ci/run 30 minutes on 2 cores. Measured on such a machine: each tree builds in
# about 4-7 minutes (unity builds, cmake/targets.cmake) and its suite runs in 2-4; the fuzz runs
# take about 2. The suites run 2 tests per core (APPKEEPER_CTEST_JOBS): most integration tests
# spend their time waiting on the emulator's latency and rate limits, not computing (the release
# suite used a third of 2 cores at 1 per core). In the sanitizer tree the crash test runs over
# 1,000 teams instead of 2,000 (APPKEEPER_CRASH_TEAMS), as ASan makes each process slower.
# Prints how long each step took.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
profile=${APPKEEPER_TEST_PROFILE:-all}
case $profile in
  release | sanitize | all) ;;
  *)
    echo "test.sh: APPKEEPER_TEST_PROFILE must be release, sanitize or all, not '$profile'" >&2
    exit 2
    ;;
esac
jobs=$(nproc)
ctest_jobs=${APPKEEPER_CTEST_JOBS:-$((2 * jobs))}
timings=()

# step NAME COMMAND...: runs and times one step; returns the command's status.
step() {
  local name=$1 start=$SECONDS rc=0
  shift
  echo "== test.sh: $name" >&2
  "$@" || rc=$?
  timings+=("$(printf '%-16s %5d s%s' "$name" $((SECONDS - start)) "$( ((rc == 0)) || echo "  FAILED ($rc)")")")
  return "$rc"
}
print_timings() {
  ((${#timings[@]})) && printf '   %s\n' "${timings[@]}" >&2
  return 0
}
trap print_timings EXIT

# suite DIR PARALLEL [ctest args...]
suite() {
  local dir=$1 parallel=$2
  shift 2
  (cd "$dir" && ctest --output-on-failure -j"$parallel" --timeout 600 "$@")
}

step install-deps "$root/scripts/install-deps.sh"

if [ "$profile" != sanitize ]; then
  release_dir=${BUILD_DIR:-$root/build}
  step release-build env APPKEEPER_BUILD_PROFILE=release BUILD_DIR="$release_dir" \
    "$root/scripts/build.sh"
  step release-suite suite "$release_dir" "$ctest_jobs"
fi

if [ "$profile" != release ]; then
  sanitize_dir=${SANITIZE_BUILD_DIR:-$root/build-sanitize}
  # build.sh passes APPKEEPER_FUZZ_SECONDS on (one default, there).
  step sanitize-build env APPKEEPER_BUILD_PROFILE=sanitize BUILD_DIR="$sanitize_dir" \
    "$root/scripts/build.sh"
  # Every finding ends the process with a report (UBSan too: -fno-sanitize-recover), leaks
  # included. Reports go to files, one per process, because a daemon or emulator started by an
  # integration test may die in a way its test does not look at: any report fails the run.
  reports=$sanitize_dir/sanitizer-reports
  rm -rf "$reports"
  mkdir -p "$reports"
  export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:log_path=$reports/asan
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:report_error_type=1:log_path=$reports/ubsan
  export LSAN_OPTIONS=report_objects=1
  export APPKEEPER_CRASH_TEAMS=${APPKEEPER_CRASH_TEAMS:-1000}
  if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
    for s in "$(command -v llvm-symbolizer || true)" /usr/lib/llvm-14/bin/llvm-symbolizer; do
      if [ -n "$s" ] && [ -x "$s" ]; then
        export ASAN_SYMBOLIZER_PATH=$s
        break
      fi
    done
  fi
  # The suite first, then the fuzz runs: a sanitizer finding in a test is the clearer report.
  status=0
  step sanitize-suite suite "$sanitize_dir" "$ctest_jobs" --label-exclude fuzz || status=$?
  if ((status == 0)); then
    # Each fuzz run keeps one core busy for its whole length: one per core.
    step fuzz suite "$sanitize_dir" "$jobs" --label-regex fuzz || status=$?
  fi
  if compgen -G "$reports/*" >/dev/null; then
    echo "== test.sh: sanitizer reports (also in $reports):" >&2
    cat "$reports"/* >&2
    status=1
  fi
  ((status == 0)) || exit "$status"
fi

echo "== test.sh: all passed ($((SECONDS / 60)) min $((SECONDS % 60)) s)" >&2
