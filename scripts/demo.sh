#!/usr/bin/env bash
# The appkeeper demo, against the embedded Graph emulator (no tenant needed):
#   1. starts graph-emulator with a few hundred teams,
#   2. starts `appkeeper serve` against it,
#   3. publishes a new version of "Contoso Tasks" (no RSC) and of "Contoso Insights" (RSC),
#   4. sends the signed teamsApp.published events (Standard Webhooks),
#   5. shows progress while the jobs run: Contoso Insights waits, blocked, for a delegated sign-in,
#   6. runs `appkeeper login` (device code) and approves it the way an admin would in a browser
#      (here: the emulator's control API); the blocked upgrades are released and run,
#   7. prints `appkeeper status`, a summary and the tail of `appkeeper audit`.
# Exits 0 only if every installation of both apps ended at 9.0.0.
# Graph and the identity platform are HTTPS-only, so the emulator serves HTTPS (--tls) with a CA
# it makes at start; appkeeper trusts that CA through [graph] ca_file and verifies the
# certificate and host name like it would against graph.microsoft.com. DEMO_PLAIN_HTTP=1 runs
# the emulator over plain http instead (for looking at the traffic).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
teams=${DEMO_TEAMS:-300}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
bin=${BUILD_DIR:-$root/build}
emulator=$bin/emulator/graph-emulator
appkeeper=$bin/daemon/appkeeper

work=$(mktemp -d /tmp/appkeeper-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

tenant=11111111-1111-1111-1111-111111111111
client=22222222-2222-2222-2222-222222222222
printf 'demo-secret-%s' "$RANDOM$RANDOM" > "$work/client_secret"
echo "whsec_$(openssl rand -base64 32)" > "$work/catalog_secret"
openssl rand -base64 32 > "$work/delegated_key"
chmod 600 "$work/client_secret" "$work/catalog_secret" "$work/delegated_key"

tls_args=(--tls --tls-ca-out "$work/emulator-ca.pem")
curl_tls=(--cacert "$work/emulator-ca.pem")
ca_line="ca_file = $work/emulator-ca.pem"
scheme_label="HTTPS, certificate verified by appkeeper"
if [ "${DEMO_PLAIN_HTTP:-0}" = 1 ]; then tls_args=(); curl_tls=(); ca_line=""; scheme_label="plain http"; fi
echo "== starting the Graph emulator ($teams teams, 40 ms ± 20 ms latency, Graph's throttling limits, $scheme_label)"
coproc EMU { exec "$emulator" --port 0 --teams "$teams" --seed 42 --tenant "$tenant" \
  --client-id "$client" --client-secret "$(cat "$work/client_secret")" "${tls_args[@]}" \
  --latency-ms 40 --latency-jitter-ms 20 --device-code-interval 1 2>"$work/emulator.log"; }
pids+=("$EMU_PID")
read -r -t 20 line <&"${EMU[0]}" || { echo "emulator did not start"; cat "$work/emulator.log"; exit 1; }
graph=${line#listening on }
echo "   $graph"

emu_curl() { curl "${curl_tls[@]}" "$@"; }  # the emulator's control API, verified like appkeeper does
app_id() { emu_curl -fsS "$graph/_emulator/apps" | jq -r --arg n "$1" '(if type=="object" then .value else . end)[] | select(.displayName==$n) | .id'; }
installs() { emu_curl -fsS "$graph/_emulator/installations?teamsAppId=$1"; }
tasks=$(app_id "Contoso Tasks")
insights=$(app_id "Contoso Insights")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)
cat > "$work/appkeeper.ini" <<INI
[listen]
address = 127.0.0.1
port = $port
public_url = http://127.0.0.1:$port
[graph]
base_url = $graph/v1.0
token_url = $graph/{tenant}/oauth2/v2.0/token
tenant_id = $tenant
client_id = $client
client_secret_file = $work/client_secret
requests_per_second = 25
$ca_line
[store]
path = $work/appkeeper.db
[workers]
count = 8
[catalog_events]
secret_file = $work/catalog_secret
[apps]
watch = $tasks, $insights
[delegated]
key_file = $work/delegated_key
device_code_url = $graph/{tenant}/oauth2/v2.0/devicecode
INI

echo "== starting appkeeper serve (config $work/appkeeper.ini)"
"$appkeeper" serve --config "$work/appkeeper.ini" 2>"$work/appkeeper.log" &
pids+=("$!")
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "appkeeper did not become ready"; cat "$work/appkeeper.log"; exit 1; }

publish() {  # app-id version rsc-json
  emu_curl -fsS -X POST "$graph/_emulator/apps/$1/versions" -H 'Content-Type: application/json' \
    -d "{\"version\":\"$2\",\"resourceSpecificPermissions\":$3}" >/dev/null
}
send_event() {  # app-id version
  local id="msg_$(openssl rand -hex 8)" ts body key sig
  ts=$(date +%s)
  body="{\"type\":\"teamsApp.published\",\"timestamp\":\"$(date -u +%FT%TZ)\",\"data\":{\"tenantId\":\"$tenant\",\"teamsAppId\":\"$1\",\"version\":\"$2\"}}"
  key=$(sed 's/^whsec_//' "$work/catalog_secret" | base64 -d | od -An -tx1 -v | tr -d " \n")
  sig=$(printf '%s' "$id.$ts.$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)
  curl -sS -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/events/catalog" \
    -H 'Content-Type: application/json' -H "webhook-id: $id" -H "webhook-timestamp: $ts" \
    -H "webhook-signature: v1,$sig" -d "$body"
}

behind() { installs "$1" | jq '[.[] | select(.version != "9.0.0")] | length'; }
echo "== first start: appkeeper subscribes to installation changes and reconciles every team"
for _ in $(seq 300); do
  subs=$(emu_curl -fsS "$graph/_emulator/subscriptions" | jq '.value | length')
  "$appkeeper" status --db "$work/appkeeper.db" --format json 2>/dev/null | jq -e '.reconciliation.last != null' >/dev/null 2>&1 && break
  sleep 0.2
done
echo "   Graph subscriptions: $subs; $("$appkeeper" audit --db "$work/appkeeper.db" --outcome reconciled --format jsonl | jq -r .detail | tail -n 1)"
outdated=$(behind "$tasks")
echo "== publishing Contoso Tasks 9.0.0 ($outdated installations to upgrade) and Contoso Insights 9.0.0 (needs RSC)"
publish "$tasks" 9.0.0 '[]'
publish "$insights" 9.0.0 '[{"permissionValue":"ChannelMessage.Read.Group","permissionType":"application"},{"permissionValue":"TeamSettings.Read.Group","permissionType":"application"}]'
start=$(date +%s.%N)
echo "   signed event for Contoso Tasks    -> HTTP $(send_event "$tasks" 9.0.0)"
echo "   signed event for Contoso Insights -> HTTP $(send_event "$insights" 9.0.0)"

echo "== upgrading"
deadline=$(( $(date +%s) + 600 ))
while :; do
  left=$(behind "$tasks")
  jobs=$("$appkeeper" jobs --db "$work/appkeeper.db" --format jsonl 2>/dev/null | jq -rs 'map("\(.state)=\(.count)") | join(" ")' 2>/dev/null || true)
  printf '\r   %4d of %d left   jobs: %-60s' "$left" "$outdated" "$jobs"
  [ "$left" -eq 0 ] && break
  [ "$(date +%s)" -gt "$deadline" ] && { echo; echo "timed out"; break; }
  sleep 1
done
echo
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
blocked=$("$appkeeper" jobs --db "$work/appkeeper.db" --format jsonl | jq -r 'select(.state=="blocked") | .count' | head -n 1)
echo "   Contoso Insights: ${blocked:-0} upgrades blocked (needs-delegated-consent): Graph refuses RSC upgrades with an app-only token"

echo "== appkeeper login (device code); the emulator plays the admin approving it in a browser"
"$appkeeper" login --config "$work/appkeeper.ini" >"$work/login.out" 2>"$work/login.err" &
login_pid=$!
pids+=("$login_pid")
code=""
for _ in $(seq 100); do
  code=$(sed -n 's/^user code: //p' "$work/login.out" 2>/dev/null | head -n 1)
  [ -n "$code" ] && break
  sleep 0.1
done
[ -n "$code" ] || { echo "appkeeper login printed no user code"; cat "$work/login.err"; exit 1; }
sed -n '1p' "$work/login.out" | sed 's/^/   /'
emu_curl -fsS -X POST "$graph/_emulator/devicecodes/$code/approve" -H 'Content-Type: application/json' \
  -d '{"user":"teams-admin@contoso.example"}' >/dev/null
wait "$login_pid" || { echo "appkeeper login failed:"; cat "$work/login.err"; exit 1; }
tail -n 1 "$work/login.out" | sed 's/^/   /'
deadline=$(( $(date +%s) + 300 ))
while :; do
  left_insights=$(behind "$insights")
  printf '\r   Contoso Insights: %4d left' "$left_insights"
  [ "$left_insights" -eq 0 ] && break
  [ "$(date +%s)" -gt "$deadline" ] && { echo; echo "timed out"; break; }
  sleep 1
done
echo
sleep 1  # let the last audit records land

echo "== appkeeper status"
"$appkeeper" status --db "$work/appkeeper.db" | sed 's/^/   /'

audit_json=$("$appkeeper" audit --db "$work/appkeeper.db" --format jsonl)
count() { jq -s --arg o "$1" '[.[] | select(.event=="upgrade" and .outcome==$o)] | length' <<<"$audit_json"; }
echo "== summary"
printf '   upgraded %s, skipped %s, needs-delegated-consent %s, failed %s; Contoso Tasks 9.0.0 rollout %.1f s\n' \
  "$(count upgraded)" "$(count skipped)" "$(count needs-delegated-consent)" "$(count failed)" "$elapsed"
printf '   upgrades Graph reported back (confirmed): %s\n' \
  "$(jq -s '[.[] | select(.outcome=="confirmed")] | length' <<<"$audit_json")"
echo "== appkeeper audit --outcome upgraded (tail)"
"$appkeeper" audit --db "$work/appkeeper.db" --outcome upgraded --limit 6
echo "== appkeeper audit --app Contoso Insights (tail): blocked, released after the sign-in, upgraded"
"$appkeeper" audit --db "$work/appkeeper.db" --app "$insights" --limit 6

if [ "$left" -eq 0 ] && [ "$left_insights" -eq 0 ]; then
  echo "== OK: every installation of Contoso Tasks and Contoso Insights is at 9.0.0"
  exit 0
fi
echo "== FAILED: left behind: $left of Contoso Tasks, $left_insights of Contoso Insights"; exit 1
