#!/usr/bin/env bash
# The appkeeper demo, against the embedded Graph emulator (no tenant needed):
#   1. starts graph-emulator with a few hundred teams,
#   2. starts `appkeeper serve` against it,
#   3. publishes a new version of "Contoso Tasks" (no RSC) and of "Contoso Insights" (RSC),
#   4. sends the signed teamsApp.published events (Standard Webhooks),
#   5. shows progress while the jobs run, then a summary and the tail of `appkeeper audit`.
# Exits 0 only if every outdated installation of Contoso Tasks was upgraded.
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
chmod 600 "$work/client_secret" "$work/catalog_secret"

echo "== starting the Graph emulator ($teams teams, 40 ms ± 20 ms latency, Graph's throttling limits)"
coproc EMU { exec "$emulator" --port 0 --teams "$teams" --seed 42 --tenant "$tenant" \
  --client-id "$client" --client-secret "$(cat "$work/client_secret")" \
  --latency-ms 40 --latency-jitter-ms 20 2>"$work/emulator.log"; }
pids+=("$EMU_PID")
read -r -t 20 line <&"${EMU[0]}" || { echo "emulator did not start"; cat "$work/emulator.log"; exit 1; }
graph=${line#listening on }
echo "   $graph"

app_id() { curl -fsS "$graph/_emulator/apps" | jq -r --arg n "$1" '(if type=="object" then .value else . end)[] | select(.displayName==$n) | .id'; }
installs() { curl -fsS "$graph/_emulator/installations?teamsAppId=$1"; }
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
[store]
path = $work/appkeeper.db
[workers]
count = 8
[catalog_events]
secret_file = $work/catalog_secret
INI

echo "== starting appkeeper serve (config $work/appkeeper.ini)"
"$appkeeper" serve --config "$work/appkeeper.ini" 2>"$work/appkeeper.log" &
pids+=("$!")
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "appkeeper did not become ready"; cat "$work/appkeeper.log"; exit 1; }

publish() {  # app-id version rsc-json
  curl -fsS -X POST "$graph/_emulator/apps/$1/versions" -H 'Content-Type: application/json' \
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

outdated=$(installs "$tasks" | jq '[.[] | select(.version != "9.0.0")] | length')
echo "== publishing Contoso Tasks 9.0.0 ($outdated installations to upgrade) and Contoso Insights 9.0.0 (needs RSC)"
publish "$tasks" 9.0.0 '[]'
publish "$insights" 9.0.0 '[{"permissionValue":"ChannelMessage.Read.Group","permissionType":"application"},{"permissionValue":"TeamSettings.Read.Group","permissionType":"application"}]'
start=$(date +%s.%N)
echo "   signed event for Contoso Tasks    -> HTTP $(send_event "$tasks" 9.0.0)"
echo "   signed event for Contoso Insights -> HTTP $(send_event "$insights" 9.0.0)"

echo "== upgrading"
deadline=$(( $(date +%s) + 600 ))
while :; do
  left=$(installs "$tasks" | jq '[.[] | select(.version != "9.0.0")] | length')
  jobs=$("$appkeeper" jobs --db "$work/appkeeper.db" --format jsonl 2>/dev/null | jq -rs 'map("\(.state)=\(.count)") | join(" ")' 2>/dev/null || true)
  printf '\r   %4d of %d left   jobs: %-60s' "$left" "$outdated" "$jobs"
  [ "$left" -eq 0 ] && break
  [ "$(date +%s)" -gt "$deadline" ] && { echo; echo "timed out"; break; }
  sleep 1
done
echo
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
sleep 1  # let the last audit records land

audit_json=$("$appkeeper" audit --db "$work/appkeeper.db" --format jsonl)
count() { jq -s --arg o "$1" '[.[] | select(.event=="upgrade" and .outcome==$o)] | length' <<<"$audit_json"; }
echo "== summary"
printf '   upgraded %s, skipped %s, needs-delegated-consent %s, failed %s, elapsed %.1f s\n' \
  "$(count upgraded)" "$(count skipped)" "$(count needs-delegated-consent)" "$(count failed)" "$elapsed"
echo "== appkeeper audit (tail)"
"$appkeeper" audit --db "$work/appkeeper.db" --limit 12

[ "$left" -eq 0 ] && echo "== OK: every outdated installation of Contoso Tasks is at 9.0.0" && exit 0
echo "== FAILED: $left installations of Contoso Tasks were left behind"; exit 1
