#!/usr/bin/env bash
# Checks the generated unit the way an admin's tools would: `systemd-analyze verify` (syntax,
# directives, the ExecStart binary) and `systemd-analyze security --offline` (exposure <= 2.0).
# Usage: check_unit.sh UNIT_FILE APPKEEPER_BINARY
set -euo pipefail
unit=$1 binary=$2
command -v systemd-analyze >/dev/null || { echo "check_unit: systemd-analyze is missing (apt-get install systemd)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# verify needs the ExecStart binary to exist: point the copy at the one just built.
sed -E "s|^ExecStart=[^ ]+|ExecStart=$binary|" "$unit" >"$work/appkeeper.service"
if ! out=$(systemd-analyze verify "$work/appkeeper.service" 2>&1) || [ -n "$out" ]; then
  echo "check_unit: systemd-analyze verify complained:" >&2
  echo "$out" >&2
  exit 1
fi

report=$(systemd-analyze security --offline=yes "$work/appkeeper.service" 2>&1 || true)
echo "$report" | tail -n 1
exposure=$(echo "$report" | sed -nE 's/.*Overall exposure level for [^:]+: ([0-9.]+).*/\1/p')
if [ -z "$exposure" ]; then
  echo "check_unit: no exposure level in the systemd-analyze output:" >&2
  echo "$report" >&2
  exit 1
fi
if ! awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
  echo "check_unit: exposure $exposure is above 2.0; the failing checks:" >&2
  echo "$report" | grep '✗' >&2
  exit 1
fi
echo "check_unit: verify clean, exposure $exposure <= 2.0"
