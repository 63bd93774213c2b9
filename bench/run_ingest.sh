#!/usr/bin/env bash
# Ingest benchmark (issue 7 item 3): how fast `appkeeper serve` accepts valid Graph change
# notifications (POST /graph/notifications) and signed catalog publish events
# (POST /events/catalog) with durable persistence on (its normal store: WAL, synchronous=FULL,
# one transaction per delivery with its audit records), beside bench/ingest_bare.cpp (a bare
# Poco HTTPServer with the inbound listener's thread settings, answering 202 without persisting),
# both measured in the same run. Prints Markdown tables.
#
#   bench/run_ingest.sh [BUILD_DIR]          (default: build)
#
# Needs: wrk, curl, jq, sqlite3, python3 (apt-get install wrk curl jq sqlite3 python3), and in
# BUILD_DIR the targets appkeeper graph-emulator ingest_bare ingest_sign ingest_load fsync_probe:
#   cmake --build BUILD_DIR --target appkeeper graph-emulator ingest_bare ingest_sign ingest_load fsync_probe
# Environment knobs (defaults): DURATION=10 (seconds per measurement), CONNECTIONS=64 (for both
# servers, wrk and ingest_load alike: Graph delivers over many concurrent connections, and with
# a 3-7 ms fsync per group commit 5,000/s needs some 25-35 deliveries in flight; below the inbound
# server's in-flight cap, 96 = 3/4 of its 128 threads, past which it sheds with 503 +
# Connection: close; Poco holds a thread per keep-alive connection), THREADS=128 (ingest_bare's
# threads: set it to the daemon's listener threads, so both servers run the same settings;
# 16 for a daemon built before 2026-11-29 16:30), WRK_THREADS=2,
# RATES="5000 200" (open-loop rates for ingest_load), CLOSED=1 (0: skip the wrk runs, so that
# the open-loop CPU figures hold no planning left over from a flood), PERF=0 (1: `perf record -g`
# on the daemon during the closed-loop notification run; report in PERF_OUT, default
# ./ingest-perf.txt; PERF_CALLGRAPH=fp, or dwarf to unwind through libc and libsqlite3, which
# have no frame pointers; the raw data is kept beside the report as PERF_OUT.data),
# KEEP=0 (1: keep the work dir with the daemon's log, database and core file if it crashed),
# SLOW_MS=10 (the daemon logs each commit this slow, and the open loop counts them; empty for a
# daemon built before 2026-11-30, which does not know [store] slow_commit_warn_ms),
# KIND=blocked (which installation the notifications name, and so the planner's path: blocked or
# upgraded, see below).
#
# Measures: (1) wrk, closed loop: the most requests/s each server answers, p50/p99 as wrk sees
# them; (2) build/bench/ingest_load, open loop at each fixed rate (what wrk2 would do; wrk2 is
# not in Debian): latency from each request's due time, so queueing shows, and each server's CPU
# per delivery at that rate (steadier than closed-loop throughput: compare builds by it).
# The daemon talks to a graph-emulator (5 teams) for its token and its subscription; the
# notifications carry that subscription's real id and clientState (read from the daemon's
# database), so they are accepted and persisted, not rejected.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd "${1:-$here/../build}" && pwd)"
duration="${DURATION:-10}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-128}"  # the bare server's; the daemon's inbound listener has 128
wrk_threads="${WRK_THREADS:-2}"
rates="${RATES-5000 200}"  # RATES="" skips the open loop
perf_on="${PERF:-0}"
perf_out="${PERF_OUT:-$PWD/ingest-perf.txt}"
perf_callgraph="${PERF_CALLGRAPH:-fp}"
keep="${KEEP:-0}"  # 1: keep the work dir (daemon log, database, a core file if it crashed)
closed="${CLOSED:-1}"  # 0: skip the closed loop (wrk), e.g. to measure CPU per delivery at a rate
kind="${KIND:-blocked}"
slow_ms="${SLOW_MS-10}"  # the daemon warns of each commit this slow ([store] slow_commit_warn_ms)  # which installation the notifications name: blocked or upgraded (below)

for tool in wrk curl jq sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "run_ingest: $tool is missing (apt-get install $tool)" >&2; exit 2; }
done
for exe in daemon/appkeeper emulator/graph-emulator bench/ingest_bare bench/ingest_sign bench/ingest_load bench/fsync_probe; do
  [[ -x "$build/$exe" ]] || { echo "run_ingest: $build/$exe is missing; build it (see the header of $0)" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/appkeeper-ingest-XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "$keep" == 1 ]]; then echo "work dir kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Polls `$@` every 0.1 s until it succeeds, at most $1 seconds.
wait_for() {
  local seconds="$1"; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
first_line_has() { [[ -s "$1" ]] && head -n1 "$1" | grep -q "^listening on "; }
url_of() { head -n1 "$1" | sed 's/^listening on //'; }
load1() { cut -d' ' -f1 /proc/loadavg; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU ticks of each of a process's thread names ("name ticks" lines, sorted): Poco's server
# threads keep the process name, the daemon names its own (ak-inbound-wr, ak-planner, ...).
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(tr ' ' _ <"$t/comm" 2>/dev/null)" "$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)"
  done | awk 'NF == 2 { a[$1] += $2 } END { for (k in a) print k, a[k] }' | sort
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

tenant=11111111-1111-1111-1111-111111111111
client=22222222-2222-2222-2222-222222222222

# --- the emulator and the daemon ---------------------------------------------------------------
# HTTPS, as Graph is: the daemon's production path. (Over plain http the daemon never initialises
# Poco's SSL, and the per-request Poco::Crypto::DigestEngine in handlers/hmac.cpp then races on
# OpenSSLInitializer's reference count: a segfault under load, see bench/RESULTS.md.)
"$build/emulator/graph-emulator" --port 0 --teams 5 --seed 3 --tenant "$tenant" \
  --client-id "$client" --client-secret emulator-secret --tls --tls-ca-out "$work/emulator-ca.pem" \
  >"$work/emulator.out" 2>"$work/emulator.log" &
pids+=($!)
wait_for 20 first_line_has "$work/emulator.out" || { cat "$work/emulator.log" >&2; exit 1; }
emulator="$(url_of "$work/emulator.out")"

port="$(free_port)"
printf 'emulator-secret\n' >"$work/client_secret"
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" >"$work/catalog_secret"
chmod 600 "$work/client_secret" "$work/catalog_secret"
cat >"$work/appkeeper.ini" <<EOF
[listen]
address = 127.0.0.1
port = $port
public_url = http://127.0.0.1:$port
[graph]
base_url = $emulator/v1.0
token_url = $emulator/{tenant}/oauth2/v2.0/token
tenant_id = $tenant
client_id = $client
client_secret_file = $work/client_secret
ca_file = $work/emulator-ca.pem
[store]
path = $work/appkeeper.db
$(if [[ -n "$slow_ms" ]]; then printf '; Each commit of %s ms or more is logged: the open loop counts them (slow_commits).\nslow_commit_warn_ms = %s' "$slow_ms" "$slow_ms"; fi)
[catalog_events]
secret_file = $work/catalog_secret
[log]
target = stderr
EOF
# In the work dir, so a crash leaves its core file there (KEEP=1 keeps it).
(cd "$work" && { [[ "$keep" == 1 ]] && ulimit -c unlimited; exec "$build/daemon/appkeeper" serve --config "$work/appkeeper.ini"; }) 2>"$work/daemon.log" &
daemon_pid=$!
pids+=("$daemon_pid")
daemon="http://127.0.0.1:$port"
ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "$daemon/readyz")" == 200 ]]; }
wait_for 30 ready || { echo "run_ingest: the daemon did not become ready" >&2; cat "$work/daemon.log" >&2; exit 1; }

# Every subscription the daemon makes (one per watched app) must exist before one is chosen.
subscriptions_made() {
  [[ "$(sqlite3 "$work/appkeeper.db" "SELECT count(*) FROM subscriptions WHERE id NOT LIKE 'pending:%'" 2>/dev/null)" -ge 1 ]]
}
wait_for 30 subscriptions_made || { echo "run_ingest: the daemon made no subscription" >&2; cat "$work/daemon.log" >&2; exit 1; }
# Settle before measuring: the daemon's first reconciliation queues upgrades, one of them maybe
# of the notified installation. While that job runs, the planner defers each "updated"
# notification for it (a second per try, five tries, a transaction each), and the floods then
# measure that instead of the usual path. So the jobs and the inbox must be idle first.
busy_work() {
  sqlite3 "$work/appkeeper.db" "SELECT (SELECT count(*) FROM jobs WHERE state IN ('queued', 'running'))
    + (SELECT count(*) FROM inbox WHERE state IN ('queued', 'running'))" 2>/dev/null || echo 1
}
idle() { [[ "$(busy_work)" == 0 ]]; }
# The notified installation decides the planner's path for every notification of the flood:
#   KIND=blocked   its last job is blocked (an RSC app without delegated consent): the planner
#                  reads it back from Graph once per batch, through the rate limiter it shares
#                  with the workers;
#   KIND=upgraded  its last job succeeded (our own upgrade): each "updated" notification is
#                  confirmed from the store, no Graph read, so the planner runs on the CPU alone.
# Runs of different kinds are not comparable (bench/RESULTS.md, 2026-11-30).
case "$kind" in
  upgraded) job_state=succeeded ;;
  blocked) job_state=blocked ;;
  *) echo "run_ingest: KIND must be blocked or upgraded, not \"$kind\"" >&2; exit 2 ;;
esac
# Subscription resources name their app as in "appCatalogs/teamsApps/{id}/installations".
chosen() {
  sqlite3 -separator $'\t' "$work/appkeeper.db" "
    SELECT s.id, s.client_state, j.teams_app_id, j.installation_id
    FROM jobs j JOIN subscriptions s ON instr(s.resource, '/' || j.teams_app_id || '/') > 0
    WHERE s.id NOT LIKE 'pending:%' AND j.state = '$job_state'
      AND j.id = (SELECT max(id) FROM jobs WHERE installation_id = j.installation_id)
    ORDER BY j.teams_app_id, j.installation_id LIMIT 1" >"$work/subscription" 2>/dev/null &&
    [[ -s "$work/subscription" ]]
}
# The first reconciliation may not have queued anything yet: wait for its jobs to end, too.
if ! wait_for 120 eval 'idle && chosen'; then
  echo "run_ingest: within 120 s no installation's last job was $job_state with the daemon idle (KIND=$kind); jobs by app and state:" >&2
  sqlite3 "$work/appkeeper.db" "SELECT teams_app_id, state, count(*) FROM jobs GROUP BY 1, 2" >&2
  exit 1
fi
IFS=$'\t' read -r sub_id client_state app_id installation <"$work/subscription"

# --- the bodies --------------------------------------------------------------------------------
jq -cn --arg s "$sub_id" --arg c "$client_state" --arg t "$tenant" --arg a "$app_id" --arg i "$installation" '
  {value: [{subscriptionId: $s, subscriptionExpirationDateTime: "2030-01-01T00:00:00.0000000Z",
            changeType: "updated", clientState: $c, tenantId: $t,
            resource: "appCatalogs/teamsApps(\u0027\($a)\u0027)/installations(\u0027\($i)\u0027)",
            resourceData: {id: $i, "@odata.type": "#Microsoft.Graph.teamsAppInstallation",
                           "@odata.id": "appCatalogs/teamsApps(\u0027\($a)\u0027)/installations(\u0027\($i)\u0027)"}}]}' \
  | tr -d '\n' >"$work/notify.json"
jq -cn --arg t "$tenant" --arg a "$app_id" --arg ts "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '
  {type: "teamsApp.published", timestamp: $ts, data: {tenantId: $t, teamsAppId: $a, version: "1.0.1"}}' \
  | tr -d '\n' >"$work/catalog.json"

# Probe once each, so a setup mistake shows as such and not as a slow server.
probe_notify="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$work/notify.json" "$daemon/graph/notifications")"
"$build/bench/ingest_sign" --secret-file "$work/catalog_secret" --body-file "$work/catalog.json" \
  --count 1 --out "$work/probe.tsv"
IFS=$'\t' read -r pid_ ts_ sig_ <"$work/probe.tsv"
probe_catalog="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -H "webhook-id: $pid_" -H "webhook-timestamp: $ts_" -H "webhook-signature: $sig_" \
  --data-binary @"$work/catalog.json" "$daemon/events/catalog")"
if [[ "$probe_notify" != 202 || "$probe_catalog" != 202 ]]; then
  echo "run_ingest: probe answers: notifications $probe_notify, catalog $probe_catalog (want 202)" >&2
  tail -n 20 "$work/daemon.log" >&2
  exit 1
fi
notified_job="$(sqlite3 "$work/appkeeper.db" "SELECT state FROM jobs WHERE installation_id = '$installation' ORDER BY id DESC LIMIT 1")"
accepted_before="$(sqlite3 "$work/appkeeper.db" "SELECT count(*) FROM audit WHERE outcome = 'accepted'")"

"$build/bench/ingest_bare" --threads "$threads" >"$work/bare.out" 2>"$work/bare.log" &
bare_pid=$!
pids+=("$bare_pid")
wait_for 10 first_line_has "$work/bare.out" || { cat "$work/bare.log" >&2; exit 1; }
bare="$(url_of "$work/bare.out")"

# --- closed loop: wrk ----------------------------------------------------------------------------
echo "## Ingest: appkeeper serve vs a bare Poco handler ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "nproc: $(nproc), loadavg at start: $(cat /proc/loadavg), $(uname -srm)"
echo "notifications name app $app_id, installation $installation (its last upgrade job: ${notified_job:-none})"
echo "wrk -t$wrk_threads -c$connections -d${duration}s; ingest_load --connections $connections --duration $duration (the same for both servers); ingest_bare --threads $threads"
echo
if [[ "$closed" == 1 ]]; then
  echo "### Closed loop (wrk): the most each server answers"
  echo
  echo "| route | server | answered/s | 2xx/s | p50 ms | p99 ms | max ms | non-2xx | socket errors | server CPU % | load (1 min) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
fi

declare -A rps thread_split
run_wrk() {  # route label url server_pid [signed]
  local route="$1" label="$2" url="$3" spid="$4" signed="${5:-}"
  local env_signed=""
  if [[ -n "$signed" ]]; then
    "$build/bench/ingest_sign" --secret-file "$work/catalog_secret" --body-file "$work/catalog.json" \
      --count 100000 --out "$work/signed.tsv"
    env_signed="$work/signed.tsv"
  fi
  local perf_pid=""
  if [[ "$perf_on" == 1 && "$label" == appkeeper && "$route" == /graph/notifications ]]; then
    perf record --call-graph "$perf_callgraph" -p "$spid" -o "$work/perf.data" -- sleep "$duration" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  if [[ "$perf_on" == 1 && "$label" == appkeeper && "$route" == /events/catalog ]]; then
    # Where the threads wait, not just where they run: a per-thread syscall summary.
    timeout -s INT "$duration" perf trace -s -p "$spid" -o "$work/trace.txt" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  local t0 c0 out threads0=""
  [[ "$label" == appkeeper ]] && threads0="$(thread_ticks "$spid")"
  t0="$(date +%s.%N)"; c0="$(cpu_ticks "$spid")"
  out="$(INGEST_BODY_FILE="$work/$( [[ $route == /events/catalog ]] && echo catalog || echo notify ).json" \
    INGEST_SIGNED="$env_signed" INGEST_THREADS="$wrk_threads" \
    wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --timeout 5s -s "$here/ingest_wrk.lua" "$url$route")"
  local c1 t1 cpu
  c1="$(cpu_ticks "$spid")"; t1="$(date +%s.%N)"
  if [[ -n "$threads0" ]]; then
    # Where the daemon's CPU went: the request threads, the group-commit writer, the planner.
    thread_split["$route"]="$(join -a 2 -e 0 -o 0,1.2,2.2 <(echo "$threads0") <(thread_ticks "$spid") | awk -v hz="$(getconf CLK_TCK)" -v a="$t0" -v b="$t1" '
      { d = $3 - $2; if (d > 0) printf "%s %.0f %%, ", ($1 == "appkeeper" ? "request threads" : $1), 100 * d / hz / (b - a) }' | sed 's/, $//')"
  fi
  cpu="$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", 100 * c / hz / (b - a) }')"
  [[ -n "$perf_pid" ]] && wait "$perf_pid" || true
  local line
  line="$(grep '^RESULT ' <<<"$out" || true)"
  if [[ -z "$line" ]]; then echo "| $route | $label | wrk failed | | | | | | | | |"; echo "$out" >&2; return; fi
  declare -A r
  for kv in ${line#RESULT }; do r[${kv%%=*}]="${kv#*=}"; done
  # Only 2xx answers count as ingested: a fast 503 ("busy, retry") is not throughput.
  local ok
  ok="$(awk -v n="${r[requests]}" -v bad="${r[non2xx]}" -v s="${r[seconds]}" 'BEGIN { printf "%.0f", (n - bad) / s }')"
  rps["$route $label"]="$ok"
  local note=""
  [[ "${r[wrapped]}" != 0 ]] && note=" (webhook-ids reused ${r[wrapped]}x)"
  kill -0 "$spid" 2>/dev/null || note="$note **(server died during the run)**"
  echo "| $route | $label$note | ${r[rps]} | $ok | ${r[p50_ms]} | ${r[p99_ms]} | ${r[max_ms]} | ${r[non2xx]} | ${r[socket_errors]} | $cpu | $(load1) |"
}

if [[ "$closed" == 1 ]]; then
  for route in /graph/notifications /events/catalog; do
    signed=""; [[ "$route" == /events/catalog ]] && signed=1
    run_wrk "$route" appkeeper "$daemon" "$daemon_pid" "$signed"
    run_wrk "$route" bare "$bare" "$bare_pid" "$signed"
  done
  echo
  echo "| route | appkeeper ÷ bare (2xx/s) | target |"
  echo "|---|---|---|"
  for route in /graph/notifications /events/catalog; do
    ratio="$(awk -v a="${rps["$route appkeeper"]:-0}" -v b="${rps["$route bare"]:-0}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')"
    echo "| $route | $ratio | ≥ 0.4 |"
  done
  echo
  echo "appkeeper's CPU by thread during its closed-loop runs (% of one core; from /proc):"
  echo
  for route in /graph/notifications /events/catalog; do
    echo "- $route: ${thread_split["$route"]:-not measured}"
  done
fi

if [[ "$perf_on" == 1 && -f "$work/perf.data" ]]; then
  {
    echo "# perf record -g, closed-loop /graph/notifications run: CPU by library"
    perf report -i "$work/perf.data" --stdio --sort dso 2>/dev/null | grep -E '^ +[0-9]' | head -15 || true
    echo "# the same, with children: the calls the CPU went to"
    perf report -i "$work/perf.data" --stdio --children --sort sym 2>/dev/null | grep -E '^ +[0-9]' | head -60 || true
    echo "# perf trace -s, closed-loop /events/catalog run: syscalls per thread"
    cat "$work/trace.txt" 2>/dev/null || true
  } >"$perf_out"
  cp "$work/perf.data" "$perf_out.data"
  echo
  echo "perf figures of the daemon during the closed-loop runs: $perf_out"
fi

# --- open loop: ingest_load at fixed rates -------------------------------------------------------
if [[ -n "$rates" ]]; then
  # Every 202 waits for an fdatasync of the daemon's WAL: a disk that sometimes takes 100+ ms to
  # sync sets the open loop's p99 whatever the daemon does. Measured here, on the work dir's disk.
  echo
  echo "### The work dir's disk: write + fdatasync latency (fsync_probe, $duration s at 300/s, before the open loop)"
  echo
  "$build/bench/fsync_probe" --dir "$work" --seconds "$duration" --rate 300
fi
echo
echo "### Open loop (ingest_load): latency from each request's due time"
echo
header="--header"
cpu_rows=()
# The daemon's commits of $slow_ms ms or more in its log since line $1 (it warns of each, and
# says whether the time went to the disk or to waiting for the planner's transactions):
# "N (slowest M ms, P of them the planner's)".
slow_commits() {
  tail -n +"$(($1 + 1))" "$work/daemon.log" | { grep -o 'inbound deliveries took [0-9]* ms.*' || true; } |
    awk '{ n++; if ($4 > m) m = $4; if (/planner.s transactions held/) p++ }
      END { if (n) printf "%d (slowest %d ms, %d of them the planner%cs)", n, m, p, 39; else printf "0" }'
}
for rate in $rates; do
  for route in /graph/notifications /events/catalog; do
    body="$work/notify.json"; secret=()
    if [[ "$route" == /events/catalog ]]; then body="$work/catalog.json"; secret=(--secret-file "$work/catalog_secret"); fi
    for target in appkeeper bare; do
      url="$daemon"; spid="$daemon_pid"
      [[ "$target" == bare ]] && { url="$bare"; spid="$bare_pid"; }
      t0="$(date +%s.%N)"; c0="$(cpu_ticks "$spid")"; log0="$(wc -l <"$work/daemon.log")"
      "$build/bench/ingest_load" $header --url "$url$route" --body-file "$body" "${secret[@]}" \
        --rate "$rate" --duration "$duration" --connections "$connections" --label "$route $target"
      c1="$(cpu_ticks "$spid")"; t1="$(date +%s.%N)"
      # At a fixed rate the server's CPU per delivery is far steadier than closed-loop
      # throughput, so this is the figure to compare two builds by. It includes the daemon's
      # planning of the flood (its planner runs meanwhile), as the closed-loop CPU column does.
      cpu_rows+=("$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v a="$t0" -v b="$t1" -v r="$rate" -v d="$duration" -v l="$route $target" \
        -v slow="$(if [[ "$target" == appkeeper && -n "$slow_ms" ]]; then slow_commits "$log0"; else echo "-"; fi)" \
        'BEGIN { s = c / hz; w = b - a; printf "| %s | %d | %.0f | %.1f | %s |", l, r, 100 * s / w, 1e6 * s / (r * d), slow }')")
      header=""
      if ! kill -0 "$daemon_pid" 2>/dev/null; then
        echo
        echo "**appkeeper serve died during the run** ($(grep -c . "$work/daemon.log") log lines; KEEP=1 keeps its log and core file)"
        exit 1
      fi
    done
  done
done

if ((${#cpu_rows[@]} > 0)); then
  echo
  echo "Server CPU during the open-loop runs (from /proc; per delivery: its CPU seconds over the run ÷ the rate × DURATION deliveries sent), and the daemon's commits that took $slow_ms ms or more (it logs a warning for each; every delivery in one waited that long; the planner's: most of its time went to waiting for the planner's transactions, the others' to the disk's sync):"
  echo
  echo "| run | rate/s | server CPU % | server CPU µs per delivery | commits ≥ $slow_ms ms |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${cpu_rows[@]}"
fi

accepted_after="$(sqlite3 "$work/appkeeper.db" "SELECT count(*) FROM audit WHERE outcome = 'accepted'")"
echo
echo "Deliveries the daemon persisted during the run (audit outcome accepted): $((accepted_after - accepted_before))"
echo "loadavg at end: $(cat /proc/loadavg)"
