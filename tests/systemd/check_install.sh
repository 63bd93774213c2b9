#!/usr/bin/env bash
# Stages `cmake --install` into a temporary DESTDIR and checks the layout an admin relies on:
# the binary, the unit (pointing at that binary and config), the sample config, the drop-ins.
# Usage: check_install.sh BUILD_DIR
set -euo pipefail
build=$1
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
DESTDIR="$stage" cmake --install "$build" >/dev/null

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
fail=0
need() {
  if [ ! -e "$stage$1" ]; then echo "check_install: missing $1" >&2; fail=1; fi
}
need "$prefix/bin/appkeeper"
need "$prefix/lib/systemd/system/appkeeper.service"
unit="$stage$prefix/lib/systemd/system/appkeeper.service"
execstart=$(sed -n 's/^ExecStart=//p' "$unit" 2>/dev/null || true)
bin=${execstart%% *}
conf=$(echo "$execstart" | sed -nE 's/.*--config ([^ ]+).*/\1/p')
need "$bin"
need "$conf"
if [ -e "$stage$conf" ] && ! grep -q '^\[graph\]' "$stage$conf"; then
  echo "check_install: $conf is not the sample config" >&2; fail=1
fi
if ! find "$stage" -path '*systemd-drop-ins/credentials.conf' | grep -q .; then
  echo "check_install: the drop-in examples were not installed" >&2; fail=1
fi
[ -x "$stage$bin" ] && "$stage$bin" --version >/dev/null || { echo "check_install: $bin does not run" >&2; fail=1; }
[ $fail -eq 0 ] && echo "check_install: binary $bin, config $conf, unit and drop-ins in place"
exit $fail
