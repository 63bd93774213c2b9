#!/usr/bin/env bash
# Configures and builds appkeeper into ${BUILD_DIR:-build} (Release with debug info).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
extra=()
[ "${CI:-}" = "true" ] && extra+=(-DAPPKEEPER_WERROR=ON)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
