#!/usr/bin/env bash
# Load measurement of keycadence-server (not a test: it prints figures). Release build, SQLite
# (or the PostgreSQL database in KEYCADENCE_LOAD_DATABASE_URL), wrk on loopback with 64
# connections for DURATION seconds per scenario:
#   verify-open:    /verify of a type-1 pattern against 10 enrolled, replay protection off
#   verify-replay:  the same with replay protection on (every probe distinct, digest stored)
#   save:           /save of distinct type-1 patterns, 500 users per wrk thread (1,000 with two,
#                   per server)
#   otp-validate:   /otp/validate of a wrong code, each body a new protocol 2.0 payload (made
#                   beforehand with python3-cryptography) for one of 1,000 e-mail users
# Prints wrk's latency distribution, the CPU the servers (and, given its postmaster's pid, the
# PostgreSQL cluster) used per second of the run, and the servers' peak resident memory.
# wrk runs on the same machine and shares its cores with the server.
# Needs: wrk (apt-get install wrk), python3 (with cryptography for otp-validate), curl.
# Usage: tests/server/load/run.sh [DURATION]
# Environment: KEYCADENCE_SERVER_BIN (a prebuilt server instead of a release build),
# WRK_THREADS (2), SCENARIOS (all four by default, e.g. "verify-replay save"),
# KEYCADENCE_LOAD_DATABASE_URL (postgres://...: an empty database, one per run, instead of
# SQLite in a temporary directory; what the run stores stays there), REPLICAS (1: servers on
# the database; with more, one wrk per server, each with 64/REPLICAS connections, and their
# throughputs added up), KEYCADENCE_LOAD_PG_PID (the postmaster's pid, for the database's CPU).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
DURATION=${1:-15}
WRK_THREADS=${WRK_THREADS:-2}
SCENARIOS=${SCENARIOS:-verify-open verify-replay save otp-validate}
REPLICAS=${REPLICAS:-1}
GOLDEN=${KEYCADENCE_GOLDEN_DIR:-$ROOT/crates/core/tests/golden}/v01_lowercase.json
BIN=${KEYCADENCE_SERVER_BIN:-}
if [ -z "$BIN" ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
    (cd "$ROOT" && cargo build -q --release -p keycadence-server)
    BIN="$CARGO_TARGET_DIR/release/keycadence-server"
fi
WORK=$(mktemp -d /tmp/keycadence-load.XXXXXX)
SERVER_PIDS=()
trap 'for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null; done; rm -rf "$WORK"' EXIT
DB=${KEYCADENCE_LOAD_DATABASE_URL:-sqlite:$WORK/load.db}
# The OTP key files the server generates on first start: beside a SQLite file, but for
# PostgreSQL in the working directory (the source tree) unless told otherwise.
export KEYCADENCE_DATA_DIR=${KEYCADENCE_DATA_DIR:-$WORK}
KEYS=$("$BIN" --database-url "$DB" keys create 2>/dev/null)
KEY=$(echo "$KEYS" | awk '/apiKey/ {print $2}')
SECRET=$(echo "$KEYS" | awk '/apiSecret/ {print $2}')
"$BIN" --database-url "$DB" keys set "$KEY" auto_enroll=false allow_identical_on_verify=true max_patterns_per_verify=3 >/dev/null
# Flood limits of /otp/validate off: every request comes from one address here.
export KEYCADENCE_OTP_VALIDATIONS_PER_IP_PER_MINUTE=0
PORTS=()
for _ in $(seq 1 "$REPLICAS"); do
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    KEYCADENCE_LOG=warn "$BIN" --database-url "$DB" serve --listen "127.0.0.1:$PORT" --max-connections 16 2>"$WORK/server-$PORT.log" &
    SERVER_PIDS+=($!)
    PORTS+=("$PORT")
done
for PORT in "${PORTS[@]}"; do
    until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.1; done
done
PORT=${PORTS[0]}

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
# CPU seconds (user + system) used so far by the processes $@ and their children.
cpu_seconds() {
    python3 - "$@" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
def stat(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
children = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        fields = stat(entry)
        if fields:
            children.setdefault(fields[1], []).append(entry)
total, todo = 0, list(sys.argv[1:])
while todo:
    pid = todo.pop()
    fields = stat(pid)
    if fields:
        # utime, stime, and those of its children that ended (cutime, cstime)
        total += sum(int(fields[i]) for i in (11, 12, 13, 14))
        todo.extend(children.get(pid, []))
print(total / tick)
PY
}
db_cpu_seconds() {
    if [ -n "${KEYCADENCE_LOAD_PG_PID:-}" ]; then cpu_seconds "$KEYCADENCE_LOAD_PG_PID"; else echo 0; fi
}
run() {
    wanted "$1" || return 0
    local per=$((64 / REPLICAS)) server_cpu db_cpu i wrk_pids=()
    echo "== $1 (wrk -t$WRK_THREADS -c64 -d${DURATION}s over $REPLICAS server(s); load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
    server_cpu=$(cpu_seconds "${SERVER_PIDS[@]}")
    db_cpu=$(db_cpu_seconds)
    for i in "${!PORTS[@]}"; do
        KC_MODE=$2 KC_INSTANCE=$i KC_BODIES="$WORK/bodies$i" KC_THREADS=$WRK_THREADS wrk -t"$WRK_THREADS" -c"$per" -d"${DURATION}s" --latency \
            -s "$HERE/requests.lua" "http://127.0.0.1:${PORTS[$i]}" >"$WORK/wrk$i" &
        wrk_pids+=($!)
    done
    wait "${wrk_pids[@]}"
    python3 -c 'import sys; d = float(sys.argv[1]); s = float(sys.argv[2]); p = float(sys.argv[3])
print(f"   CPU per second of the run: servers {s / d:.2f} cores" + (f", PostgreSQL {p / d:.2f} cores" if p else ""))' \
        "$DURATION" "$(python3 -c "print($(cpu_seconds "${SERVER_PIDS[@]}") - $server_cpu)")" \
        "$(python3 -c "print($(db_cpu_seconds) - $db_cpu)")"
    for i in "${!PORTS[@]}"; do
        [ "$REPLICAS" -gt 1 ] && echo "-- server $((i + 1)) (wrk -c$per)"
        grep -E "Requests/sec|Latency |50%|90%|99%|requests in|Non-2xx|Socket errors|codes" "$WORK/wrk$i"
    done
    if [ "$REPLICAS" -gt 1 ]; then
        echo "   all servers: $(cat "$WORK"/wrk[0-9]* | awk '/Requests\/sec/ {s += $2} END {printf "%.1f", s}') requests/sec"
    fi
    return 0
}
run verify-open verify
"$BIN" --database-url "$DB" keys set "$KEY" allow_identical_on_verify=false >/dev/null
sleep 6 # the server re-reads key settings after its auth cache time (5 s)
run verify-replay verify-distinct
run save save
if wanted otp-validate; then
    APP=$("$BIN" --database-url "$DB" apps create --domain example.com \
        --email-from "codes@example.com" --max-failed-attempts 1000000 2>/dev/null)
    field() { echo "$APP" | awk -v name="$1" '$1 == name {print $2}'; }
    python3 - "$(field clientId:)" "$(field applicationId:)" "$(field secret:)" "$WORK" "$REPLICAS" "$((DURATION * 4000))" <<'PY'
import base64, hashlib, hmac, json, os, sys, time
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
client_id, app_id, secret, work, replicas, count = sys.argv[1:7]
context = b"keycadence/verify-payload/2.0"
# The application's 2.0 payload key: HKDF-SHA256 (salt: the context, key material: the
# secret, info: the application id), 32 bytes.
prk = hmac.new(context, secret.encode(), hashlib.sha256).digest()
key = hmac.new(prk, app_id.encode() + b"\x01", hashlib.sha256).digest()
aad = context + b"\0backend\0" + app_id.encode()
aes = AESGCM(key)
for r in range(int(replicas)):
    with open(f"{work}/bodies{r}", "w") as out:
        for n in range(int(count)):
            fields = {"email": f"load-{n % 1000}@example.com", "ts": int(time.time() * 1000),
                      "purpose": "backend", "jti": os.urandom(16).hex()}
            nonce = os.urandom(12)
            sealed = nonce + aes.encrypt(nonce, json.dumps(fields, separators=(",", ":")).encode(), aad)
            payload = "v2." + base64.urlsafe_b64encode(sealed).decode().rstrip("=")
            out.write(json.dumps({"clientId": client_id, "applicationId": app_id, "payload": payload,
                                  "version": "2.0", "code": "000000"}) + "\n")
PY
    echo "one validation: $(head -1 "$WORK/bodies0" | curl -s -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$PORT/otp/validate")"
    run otp-validate otp-validate
fi
echo "== answers by route and message_code (from /metrics, each server)"
for PORT in "${PORTS[@]}"; do
    curl -s "http://127.0.0.1:$PORT/metrics" | grep '^keycadence_http_requests_total' | grep -E 'route="/(verify|save|otp/validate)"'
done
for pid in "${SERVER_PIDS[@]}"; do grep VmHWM "/proc/$pid/status"; done
