#!/usr/bin/env bash
# The built unit under a real systemd (issue 6). When systemd is PID 1, the system is up
# (running or degraded) and we are root: install a copy of the unit under a unique name in
# /run/systemd/system (gone at reboot), pointed at the built binary and at a graph-emulator this
# script starts, start it, wait (bounded) for it to be active, check its STATUS= text and the
# structured APPKEEPER_* fields in the journal, stop it and clean everything up.
# Otherwise: `systemd-analyze verify` the unit and exit 77 (ctest SKIP_RETURN_CODE) with one line
# saying why the live run was skipped.
# Usage: run_unit_live.sh UNIT_FILE APPKEEPER_BINARY GRAPH_EMULATOR_BINARY
set -euo pipefail
unit=$(realpath "$1") binary=$(realpath "$2") emulator=$(realpath "$3")
say() { echo "run_unit_live: $*"; }
fail() { echo "run_unit_live: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (apt-get install systemd)"

verify_and_skip() {
  local work
  work=$(mktemp -d)
  # verify needs the ExecStart binary to exist: point the copy at the one just built.
  sed -E "s|^ExecStart=[^ ]+|ExecStart=$binary|" "$unit" >"$work/appkeeper.service"
  local out
  if ! out=$(systemd-analyze verify "$work/appkeeper.service" 2>&1) || [ -n "$out" ]; then
    rm -rf "$work"
    fail "systemd-analyze verify complained: $out"
  fi
  rm -rf "$work"
  say "live run skipped ($1); systemd-analyze verify is clean"
  exit 77
}

[ "$(id -u)" = 0 ] || verify_and_skip "not root"
pid1=$(cat /proc/1/comm 2>/dev/null || echo unknown)
[ "$pid1" = systemd ] || verify_and_skip "PID 1 is $pid1, not systemd"
state=$(systemctl is-system-running 2>/dev/null || true)
case "$state" in
  running | degraded) ;;
  *) verify_and_skip "systemctl is-system-running says '${state:-nothing}'" ;;
esac

# --- the live run -----------------------------------------------------------------------------
name="appkeeper-live-test-$$"
service="$name.service"
work="/run/$name"  # /run: visible to the unit (ProtectHome= and PrivateTmp= hide the usual temp dirs)
emulator_pid=""
cleanup() {
  set +e  # every step runs, whatever the one before it did
  systemctl stop "$service" >/dev/null 2>&1 || true
  rm -f "/run/systemd/system/$service"
  systemctl daemon-reload >/dev/null 2>&1 || true
  systemctl reset-failed "$service" >/dev/null 2>&1 || true
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null
    wait "$emulator_pid" 2>/dev/null
  fi
  rm -rf "$work" "/var/lib/$name" "/var/lib/private/$name"
}
trap cleanup EXIT
install -d -m 0755 "$work" "$work/credentials"

tenant=11111111-1111-1111-1111-111111111111
client_id=22222222-2222-2222-2222-222222222222
client_secret="live-test-$RANDOM$RANDOM"
"$emulator" --port 0 --tenant "$tenant" --client-id "$client_id" --client-secret "$client_secret" \
  --teams 5 --seed 7 >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
emulator_url=""
for _ in $(seq 1 100); do  # 10 s at most
  emulator_url=$(sed -n 's/^listening on //p' "$work/emulator.out" | head -n 1)
  [ -n "$emulator_url" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || fail "graph-emulator exited: $(cat "$work/emulator.log")"
  sleep 0.1
done
[ -n "$emulator_url" ] || fail "graph-emulator did not say where it listens"

# The daemon's user is dynamic: everything it reads directly must be world-readable (no secret
# is: they come through LoadCredential=, read by systemd as root).
install -m 0755 "$binary" "$work/appkeeper"
printf '%s' "$client_secret" >"$work/credentials/client_secret"
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" >"$work/credentials/catalog_secret"
chmod 0600 "$work/credentials/"*
cat >"$work/appkeeper.ini" <<INI
[listen]
address = 127.0.0.1
port = 0
[graph]
base_url = $emulator_url/v1.0
token_url = $emulator_url/{tenant}/oauth2/v2.0/token
tenant_id = $tenant
client_id = $client_id
client_secret_file = client_secret
[store]
path = /var/lib/$name/appkeeper.db
[workers]
count = 2
[catalog_events]
secret_file = catalog_secret
[log]
target = auto
INI
chmod 0644 "$work/appkeeper.ini"

sed -E \
  -e "s|^ExecStart=.*|ExecStart=$work/appkeeper serve --config $work/appkeeper.ini|" \
  -e "s|^StateDirectory=.*|StateDirectory=$name|" \
  -e "s|^LoadCredential=client_secret:.*|LoadCredential=client_secret:$work/credentials/client_secret|" \
  -e "s|^LoadCredential=catalog_secret:.*|LoadCredential=catalog_secret:$work/credentials/catalog_secret|" \
  "$unit" >"/run/systemd/system/$service"
systemctl daemon-reload

show_journal() { journalctl -u "$service" --no-pager -n 50 >&2 || true; }
# Type=notify: start returns once READY=1 arrived (or fails); bounded either way.
if ! timeout 90 systemctl start "$service"; then
  show_journal
  fail "systemctl start $service failed"
fi
active=""
for _ in $(seq 1 60); do  # 30 s at most
  active=$(systemctl is-active "$service" || true)
  [ "$active" = active ] && break
  sleep 0.5
done
[ "$active" = active ] || { show_journal; fail "$service is '$active', not active"; }

status=$(systemctl show -p StatusText --value "$service")
case "$status" in
  *"running, "*"queued"*) say "STATUS: $status" ;;
  *) show_journal; fail "StatusText is '$status', not the job counts" ;;
esac

fields=""
for _ in $(seq 1 20); do  # 10 s at most: journald may lag behind
  journalctl --sync 2>/dev/null || true
  fields=$(journalctl -u "$service" -o verbose --no-pager 2>/dev/null | grep -E '^ *APPKEEPER_COMPONENT=' || true)
  [ -n "$fields" ] && break
  sleep 0.5
done
[ -n "$fields" ] || { show_journal; fail "no APPKEEPER_COMPONENT field in the journal of $service"; }
journalctl -u "$service" -o verbose --no-pager | grep -q '^ *SYSLOG_IDENTIFIER=appkeeper' ||
  fail "journal lines of $service lack SYSLOG_IDENTIFIER=appkeeper"

timeout 90 systemctl stop "$service" || fail "systemctl stop $service failed"
state=$(systemctl is-active "$service" || true)
[ "$state" = inactive ] || { show_journal; fail "$service is '$state' after stop, not inactive"; }
say "live run passed: active with STATUS, APPKEEPER_* fields in the journal, stopped cleanly"
