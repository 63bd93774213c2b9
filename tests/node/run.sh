#!/usr/bin/env bash
# Runs the official Microsoft Graph JavaScript SDK against graph-emulator over HTTPS (sdk_test.mjs).
# Usage: tests/node/run.sh [path/to/graph-emulator]
#   (or set APPKEEPER_BUILD_DIR; the script then uses $APPKEEPER_BUILD_DIR/emulator/graph-emulator)
# Exits 0 with a SKIP line when node/npm is not installed; otherwise the script's exit code.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node and npm are not installed; the official Graph SDK test did not run"
  exit 0
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "SKIP: node $(node --version) is older than 18 (no global fetch); the SDK test did not run"
  exit 0
fi

cd "$here"
# The lock file pins the SDK; a warm npm cache is enough (no network needed then).
if ! npm ci --silent --no-audit --no-fund --prefer-offline >npm-ci.log 2>&1; then
  echo "FAIL: npm ci failed in $here (see npm-ci.log); is the npm cache or registry reachable?"
  cat npm-ci.log
  exit 1
fi
rm -f npm-ci.log
exec node sdk_test.mjs "$@"
