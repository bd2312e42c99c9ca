#!/usr/bin/env bash
# Starts the real server the way the README does (npm start) on a fresh data directory and drives it
# over HTTP: token -> seed -> search -> download with Range -> delete -> 404. Exits non-zero on any
# unexpected answer.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${SMOKE_PORT:-18080}
BASE="http://127.0.0.1:$PORT"
DATA=$(mktemp -d)
LOG="$DATA/server.log"
V3='Accept: application/vnd.newvoicemedia.v3+json'
export PORT ICS_DATA_DIR="$DATA"

# npm start runs the server as a child of npm: start it in its own process group (setsid) and stop
# the whole group, or the server outlives the script.
start_server() {
  setsid npm start >"$LOG" 2>&1 &
  SERVER=$!
}
stop_server() {
  if [ -n "${SERVER:-}" ]; then
    kill -TERM -- "-$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=
  fi
}
cleanup() {
  stop_server
  rm -rf "$DATA"
}
trap cleanup EXIT
fail() {
  echo "smoke: FAIL: $*" >&2
  echo "--- server log ---" >&2
  tail -n 40 "$LOG" >&2 || true
  exit 1
}
json() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const v=JSON.parse(s);console.log(eval('v'+process.argv[1]))})" "$1"; }

if curl -fs "$BASE/healthz" >/dev/null 2>&1; then
  echo "smoke: port $PORT is already in use; set SMOKE_PORT" >&2
  exit 1
fi
start_server
for _ in $(seq 1 100); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || fail "server exited during start-up"
  sleep 0.2
done
curl -fs "$BASE/healthz" >/dev/null || fail "server did not become healthy"
grep -q "No API clients existed" "$LOG" || fail "first start did not announce the bootstrap client"
grep -q "$(json .clientSecret <"$DATA/bootstrap-client.json")" "$LOG" && fail "the bootstrap secret was printed"
[ "$(stat -c %a "$DATA/bootstrap-client.json")" = 600 ] || fail "bootstrap-client.json is not mode 0600"

ID=$(json .clientId <"$DATA/bootstrap-client.json")
SECRET=$(json .clientSecret <"$DATA/bootstrap-client.json")
TOKEN=$(curl -fs -u "$ID:$SECRET" -d grant_type=client_credentials "$BASE/Auth/connect/token" | json .access_token) || fail "token"
echo "smoke: token ok"

# The CLI works against the same data while the server runs.
npx ics seed --demo --count 5 --json >"$DATA/seed.json" || fail "seed"
GUID=$(json '.guids[0]' <"$DATA/seed.json")
echo "smoke: seeded, first interaction $GUID"

START=$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%SZ)
END=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
COUNT=$(curl -fs -H "Authorization: Bearer $TOKEN" -H "$V3" "$BASE/interaction-content/interactions?start=$START&end=$END" | json .items.length) || fail "search"
[ "$COUNT" = 5 ] || fail "search found $COUNT interactions, expected 5"
echo "smoke: search ok ($COUNT)"

CODE=$(curl -s -o "$DATA/part" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Range: bytes=0-43' "$BASE/interaction-content/interactions/$GUID/content/callRecording")
[ "$CODE" = 206 ] || fail "ranged download answered $CODE"
[ "$(stat -c %s "$DATA/part")" = 44 ] || fail "ranged download size"
head -c 4 "$DATA/part" | grep -q RIFF || fail "the recording is not a WAV"
echo "smoke: ranged download ok"

CODE=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TOKEN" -H "$V3" "$BASE/interaction-content/interactions/$GUID/content/callRecording")
[ "$CODE" = 204 ] || fail "delete answered $CODE"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/interaction-content/interactions/$GUID/content/callRecording")
[ "$CODE" = 404 ] || fail "download after delete answered $CODE"
echo "smoke: delete ok, then 404"

stop_server
curl -fs "$BASE/healthz" >/dev/null 2>&1 && fail "the server did not stop"
# A second start must not print or change the bootstrap client.
BEFORE=$(cat "$DATA/bootstrap-client.json")
start_server
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "$BASE/healthz" >/dev/null || fail "the server did not restart"
grep -q "No API clients existed" "$LOG" && fail "second start created a bootstrap client"
[ "$BEFORE" = "$(cat "$DATA/bootstrap-client.json")" ] || fail "second start changed bootstrap-client.json"
stop_server
curl -fs "$BASE/healthz" >/dev/null 2>&1 && fail "the server did not stop"
echo "smoke: passed"
