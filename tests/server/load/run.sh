#!/usr/bin/env bash
# Load measurement of keycadence-server (not a test: it prints figures). Release build, SQLite
# (or the PostgreSQL database in KEYCADENCE_LOAD_DATABASE_URL), wrk on loopback with 64
# connections for DURATION seconds per scenario:
#   verify-open:    /verify of a type-1 pattern against 10 enrolled, replay protection off
#   verify-replay:  the same with replay protection on (every probe distinct, digest stored)
#   save:           /save of distinct type-1 patterns, 500 users per wrk thread (1,000 with two)
# Prints wrk's latency distribution and the server's peak resident memory (VmHWM).
# wrk runs on the same machine and shares its cores with the server.
# Needs: wrk (apt-get install wrk), python3, curl. Usage: tests/server/load/run.sh [DURATION]
# Environment: KEYCADENCE_SERVER_BIN (a prebuilt server instead of a release build),
# WRK_THREADS (2), SCENARIOS (all three by default, e.g. "verify-replay save"),
# KEYCADENCE_LOAD_DATABASE_URL (postgres://...: an empty database, one per run, instead of
# SQLite in a temporary directory; what the run stores stays there).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
DURATION=${1:-15}
WRK_THREADS=${WRK_THREADS:-2}
SCENARIOS=${SCENARIOS:-verify-open verify-replay save}
GOLDEN=${KEYCADENCE_GOLDEN_DIR:-$ROOT/crates/core/tests/golden}/v01_lowercase.json
BIN=${KEYCADENCE_SERVER_BIN:-}
if [ -z "$BIN" ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
    (cd "$ROOT" && cargo build -q --release -p keycadence-server)
    BIN="$CARGO_TARGET_DIR/release/keycadence-server"
fi
WORK=$(mktemp -d /tmp/keycadence-load.XXXXXX)
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
DB=${KEYCADENCE_LOAD_DATABASE_URL:-sqlite:$WORK/load.db}
# The OTP key files the server generates on first start: beside a SQLite file, but for
# PostgreSQL in the working directory (the source tree) unless told otherwise.
export KEYCADENCE_DATA_DIR=${KEYCADENCE_DATA_DIR:-$WORK}
KEYS=$("$BIN" --database-url "$DB" keys create 2>/dev/null)
KEY=$(echo "$KEYS" | awk '/apiKey/ {print $2}')
SECRET=$(echo "$KEYS" | awk '/apiSecret/ {print $2}')
"$BIN" --database-url "$DB" keys set "$KEY" auto_enroll=false allow_identical_on_verify=true max_patterns_per_verify=3 >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
KEYCADENCE_LOG=warn "$BIN" --database-url "$DB" serve --listen "127.0.0.1:$PORT" --max-connections 16 2>"$WORK/server.log" &
SERVER_PID=$!
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.1; done

# Eleven samples of a real type-1 pattern ("hello world", golden vector v01), timings shifted.
python3 - "$GOLDEN" "$WORK" <<'PY'
import json, sys
vector = json.load(open(sys.argv[1]))
base = next(op["expect"] for op in vector["ops"]
            if op["op"] == "call" and op["method"] == "getTypingPattern" and op["args"][0]["type"] == 1)
header, *rows = base.split("|")
for s in range(1, 12):
    shifted = []
    for i, row in enumerate(rows):
        seek, press = map(int, row.split(","))
        shifted.append(f"{seek + (s * 7 + i * 3) % 11 - 5},{press + (s * 5 + i) % 7 - 3}")
    open(f"{sys.argv[2]}/tp{s}", "w").write("|".join([header] + shifted))
PY
for s in $(seq 1 10); do
    curl -sf -u "$KEY:$SECRET" --data-urlencode "tp@$WORK/tp$s" "http://127.0.0.1:$PORT/save/load-user-000" >/dev/null
done
curl -s -u "$KEY:$SECRET" "http://127.0.0.1:$PORT/user/load-user-000"; echo
curl -s -u "$KEY:$SECRET" --data-urlencode "tp@$WORK/tp11" "http://127.0.0.1:$PORT/verify/load-user-000"; echo

AUTH=$(printf '%s:%s' "$KEY" "$SECRET" | base64 -w0)
export KC_AUTH="$AUTH" KC_PROBE="$WORK/tp11"
wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }
run() {
    wanted "$1" || return 0
    echo "== $1 (wrk -t$WRK_THREADS -c64 -d${DURATION}s; load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
    KC_MODE=$2 wrk -t"$WRK_THREADS" -c64 -d"${DURATION}s" --latency -s "$HERE/requests.lua" "http://127.0.0.1:$PORT" | \
        grep -E "Requests/sec|Latency |50%|90%|99%|requests in|Non-2xx|Socket errors|codes"
}
run verify-open verify
"$BIN" --database-url "$DB" keys set "$KEY" allow_identical_on_verify=false >/dev/null
sleep 6 # the server re-reads key settings after its auth cache time (5 s)
run verify-replay verify-distinct
run save save
echo "== answers by route and message_code (from /metrics)"
curl -s "http://127.0.0.1:$PORT/metrics" | grep '^keycadence_http_requests_total' | grep -E 'route="/(verify|save)"'
grep VmHWM "/proc/$SERVER_PID/status"
