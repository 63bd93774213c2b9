#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, runs every test (unit, integration, and the
# official Graph JS SDK against the emulator) through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure -j"$(nproc)" --timeout 600
