#!/usr/bin/env bash
# The ctest side of the fuzz targets (fuzz/CMakeLists.txt).
#   run_fuzzer.sh replay FUZZER DIR...
#       Runs every file under the DIRs once (regression inputs, then the seed corpus).
#   run_fuzzer.sh fuzz FUZZER CORPUS DICT SECONDS WORKDIR TIMEOUT RSS_MB
#       Fuzzes for SECONDS from a fresh copy of CORPUS in WORKDIR (the checkout is never
#       written). A crash, leak, slow input or broken property fails the test; the input is
#       kept in WORKDIR/artifacts/ - fix the bug, then commit the input under
#       fuzz/regressions/<target>/ so every run replays it.
set -euo pipefail
mode=$1 fuzzer=$2
shift 2

case $mode in
  replay)
    inputs=()
    for dir in "$@"; do
      [ -d "$dir" ] || continue
      while IFS= read -r -d '' f; do inputs+=("$f"); done \
        < <(find "$dir" -type f ! -name '.*' ! -name '*.md' -print0 | sort -z)
    done
    if ((${#inputs[@]} == 0)); then
      echo "run_fuzzer: no inputs under $*" >&2
      exit 1
    fi
    # With files as arguments libFuzzer runs each once and does not fuzz.
    exec "$fuzzer" -runs=1 "${inputs[@]}"
    ;;
  fuzz)
    corpus=$1 dict=$2 seconds=$3 work=$4 timeout=$5 rss=$6
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$corpus"/* "$work/corpus/"
    dict_arg=()
    [ -f "$dict" ] && dict_arg=(-dict="$dict")
    status=0
    "$fuzzer" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" \
      -artifact_prefix="$work/artifacts/" -print_final_stats=1 "${dict_arg[@]}" \
      "$work/corpus" || status=$?
    if ((status != 0)); then
      echo "run_fuzzer: $(basename "$fuzzer") failed (exit $status); the input is in" \
           "$work/artifacts/. Reproduce with: $fuzzer <file>" >&2
    fi
    exit "$status"
    ;;
  *)
    echo "usage: run_fuzzer.sh replay FUZZER DIR... | fuzz FUZZER CORPUS DICT SECONDS WORKDIR TIMEOUT RSS_MB" >&2
    exit 2
    ;;
esac
