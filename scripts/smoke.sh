#!/usr/bin/env bash
# Starts the real server the way the README does (npm start) on a fresh data directory and drives it
# over HTTP: token -> seed -> search -> download with Range -> delete -> 404; then a restart; then the
# README itself: its Quick start and every API example block, run as written against another fresh
# server. Exits non-zero on any unexpected answer.
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

# --- The README as written ------------------------------------------------------------------------
# The Quick start's first block is what CI (.ci/run: npm ci, npm test) and this script (npm start) do;
# it must say exactly that. The blocks marked "<!-- smoke: run -->" run in order as one script on a
# fresh data directory, the way a new user pastes them: only the address and the data directory are
# this run's. Every request must answer below 400, except the few listed in EXPECTED below.
readme_block() { # $1: marker word; the ```sh blocks right after a "<!-- smoke: $1 ... -->" line
  awk -v m="<!-- smoke: $1" 'index($0, m) == 1 { want = 1; next }
    want && /^```sh$/ { inside = 1; want = 0; next }
    inside && /^```$/ { inside = 0; next }
    inside { print } { want = want && /^$/ }' README.md
}
QUICKSTART=$(readme_block quickstart | sed -e 's/ *#.*//')
[ "$QUICKSTART" = $'npm install && npm start\nnpm test' ] || fail "README Quick start changed: '$QUICKSTART'"

README_DATA=$(mktemp -d)
WORK="$README_DATA/work"
mkdir "$WORK"
LOG="$README_DATA/server.log"
trap 'stop_server; [ -n "${S3:-}" ] && kill "$S3" 2>/dev/null; rm -rf "$DATA" "$README_DATA"' EXIT
ICS_DATA_DIR="$README_DATA/data"
export ICS_DATA_DIR
# The export examples write to a local S3 server (s3rver, a dev dependency) with its bucket.
node -e "
  const S3rver = require('s3rver');
  new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[1],
    configureBuckets: [{ name: 'acme-export' }] }).run().then(({ port }) => console.log(port));
" "$README_DATA/s3" >"$README_DATA/s3.port" 2>"$README_DATA/s3.log" &
S3=$!
for _ in $(seq 1 100); do [ -s "$README_DATA/s3.port" ] && break; sleep 0.1; done
[ -s "$README_DATA/s3.port" ] || fail "s3rver did not start: $(cat "$README_DATA/s3.log")"
S3_CREDENTIALS="\"accessKeyId\":\"S3RVER\",\"secretAccessKey\":\"S3RVER\",\"endpoint\":\"http://127.0.0.1:$(cat "$README_DATA/s3.port")\",\"forcePathStyle\":true"

readme_block run | sed -e "s#http://127.0.0.1:8080#$BASE#g" -e "s#\./data/#$ICS_DATA_DIR/#g" \
  -e "s#\"accessKeyId\":\"AKIA…\",\"secretAccessKey\":\"…\"#$S3_CREDENTIALS#" >"$WORK/readme.sh"
grep -q '"endpoint":"http://127.0.0.1' "$WORK/readme.sh" || fail "README: the export example's credentials changed"
[ "$(grep -c 'curl ' "$WORK/readme.sh")" -ge 30 ] || fail "README: too few API examples found between the markers"

start_server
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "$BASE/healthz" >/dev/null || fail "the README's server did not start"

# "<method> <url pattern> <status>": answers the README itself says to expect.
EXPECTED='DELETE /interaction-content/deletion-jobs/[^/]+$ 409'
STATUSES="$WORK/statuses"
# curl as the README calls it, recording each answer's status (the last one, after any 100 Continue).
curl() {
  local headers status method=GET url arg prev=
  headers=$(mktemp -p "$WORK")
  command curl -D "$headers" "$@" || return
  for arg in "$@"; do
    case "$prev" in -X) method=$arg ;; esac
    case "$arg" in http*) url=$arg ;; esac
    case "$arg" in -d | --data-binary) [ "$method" = GET ] && method=POST ;; esac
    prev=$arg
  done
  status=$(awk '/^HTTP\// { s = $2 } END { print s }' "$headers")
  echo "$status $method ${url#"$BASE"}" >>"$STATUSES"
}
# npx resolves `ics` from the project (never from the registry); the examples' files go to $WORK.
ROOT=$PWD
npx() { (cd "$ROOT" && command npx "$@"); }
export -f curl npx
export BASE WORK STATUSES ROOT
(cd "$WORK" && timeout 300 bash -euo pipefail readme.sh >"$WORK/readme.out" 2>&1) || {
  tail -n 20 "$WORK/readme.out" >&2
  fail "the README examples stopped (output above)"
}
while read -r status method path; do
  [ "$status" -lt 400 ] && continue
  ok=
  while read -r m pattern s; do
    [ "$method" = "$m" ] && [ "$status" = "$s" ] && [[ "${path%%\?*}" =~ $pattern ]] && ok=1
  done <<<"$EXPECTED"
  [ -n "$ok" ] || fail "README: $method $path answered $status"
done <"$STATUSES"
echo "smoke: README Quick start and API examples ok ($(wc -l <"$STATUSES") requests)"
stop_server
kill "$S3" 2>/dev/null || true
wait "$S3" 2>/dev/null || true
S3=
echo "smoke: passed"
