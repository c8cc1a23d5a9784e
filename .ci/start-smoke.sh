#!/usr/bin/env bash
# Smoke of the README's first command on this clean clone: `npm start` as a newcomer runs it,
# wait for /health, send the demo request it prints, poll the task until it completes, press
# Ctrl-C (SIGINT to its process group, as a terminal does), and check that nothing it started is
# left running. Prints one line per step; exits non-zero on the first failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STATE="$(mktemp -d "${TMPDIR:-/tmp}/bosun-start-smoke.XXXXXX")"
OUT="$STATE/start.out"
ERR="$STATE/start.err"
export BOSUN_STATE_DIR="$STATE/state"
FACADE="http://127.0.0.1:${BOSUN_FACADE_PORT:-7002}"
pid=""

fail() {
  echo "start smoke: FAILED: $*"
  echo "--- npm start stdout"; tail -n 40 "$OUT" 2>/dev/null
  echo "--- npm start stderr"; tail -n 40 "$ERR" 2>/dev/null
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -INT -- "-$pid" 2>/dev/null; sleep 10; kill -KILL -- "-$pid" 2>/dev/null; fi
  # Servers the killed start left are in its stack record: stop exactly those.
  npx --no-install tsx infra/stack-cli.ts down >/dev/null 2>&1
  exit 1
}
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);const r=('"$1"');process.stdout.write(typeof r==="string"?r:JSON.stringify(r))})'; }

started=$(date +%s.%N)
setsid npm start >"$OUT" 2>"$ERR" < /dev/null &
pid=$!
for _ in $(seq 1 240); do
  curl -fsS "$FACADE/health" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || fail "npm start exited before it was ready"
  sleep 0.5
done
curl -fsS "$FACADE/health" >/dev/null 2>&1 || fail "no /health after 120 s"
echo "start smoke: /health answers $(node -e "console.log((Date.now()/1000 - $started).toFixed(1))") s after npm start"
for _ in $(seq 1 20); do grep -q "^Bosun is ready" "$OUT" && break; sleep 0.5; done
grep "^Bosun is ready" "$OUT" || fail "npm start did not print that it is ready"

# The printed request, exactly as a person would paste it.
body=$(grep -E "^\s+-d '" "$OUT" | sed -E "s/^\s+-d '(.*)'\$/\1/")
[[ -n "$body" ]] || fail "npm start printed no demo request"
account=$(grep -oE "X-SPINNAKER-ACCOUNTS: [^']+" "$OUT" | head -1 | cut -d' ' -f2)
answer=$(curl -fsS -X POST "$FACADE/aws/ops" -H 'Content-Type: application/json' -H 'X-SPINNAKER-USER: smoke@example.com' \
  -H "X-SPINNAKER-ACCOUNTS: $account" -d "$body") || fail "the demo request was refused"
id=$(json 'v.id' <<<"$answer") || fail "no task id in $answer"
echo "start smoke: demo request accepted as task $id"
status=""
for _ in $(seq 1 120); do
  task=$(curl -fsS "$FACADE/task/$id") || fail "GET /task/$id failed"
  status=$(json '`${v.status.completed} ${v.status.failed} ${v.status.status}`' <<<"$task")
  [[ "$status" == true* ]] && break
  sleep 0.5
done
[[ "$status" == "true false "* ]] || fail "the demo task did not complete: $status"
echo "start smoke: task completed: ${status#true false }"

# What npm start recorded as its servers, to check they are gone afterwards.
servers=$(json 'v.processes.map(p => p.pid).join(" ")' < "$BOSUN_STATE_DIR/stack.json") || fail "no stack record"
kill -INT -- "-$pid"
for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
kill -0 "$pid" 2>/dev/null && fail "npm start still running 30 s after Ctrl-C"
left=$(ps -o pid=,args= -g "$pid" 2>/dev/null)
for s in $servers; do kill -0 "$s" 2>/dev/null && left+=$'\n'"$(ps -o pid=,args= -p "$s")"; done
[[ -z "${left//[$'\n ']/}" ]] || fail "left running after Ctrl-C:$left"
[[ -e "$BOSUN_STATE_DIR/stack.json" ]] && fail "the stack record was not removed on a clean stop"
echo "start smoke: Ctrl-C stopped npm start and its servers (${servers}); nothing left"
rm -rf "$STATE"
