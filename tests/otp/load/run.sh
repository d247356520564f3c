#!/usr/bin/env bash
# Load measurement of /otp/send and /otp/validate (not a test: it prints figures). Release
# build, SQLite, wrk on loopback with 64 connections for DURATION seconds per scenario:
#   send:            a code for a different user each time, e-mailed to a real SMTP server
#                    (tests/otp/smtp_sink.py, which writes every message to disk)
#   validate-wrong:  a wrong code for a different user each time (every answer 10 and a write:
#                    the failure is counted in the user's record)
#   validate-locked: wrong codes for 1,000 users already locked out by a preparatory run
#                    (answers 12: nothing to write but the payload's use)
# Payloads are protocol 2.0 with a fresh ts (5-minute age limit) and are accepted once, so the
# bodies are made just before each run, each with its own jti, more of them than a run sends.
# The per-address flood limit of validations is off: every request comes from loopback.
# Needs: wrk, node, python3, curl (scripts/bootstrap.d/otp.sh). Usage: run.sh [DURATION]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
DURATION=${1:-10}
USERS=${KC_USERS:-60000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && cargo build -q --release -p keycadence-server)
BIN="$CARGO_TARGET_DIR/release/keycadence-server"
WORK=$(mktemp -d /tmp/keycadence-otp-load.XXXXXX)
SERVER_PID=""
SINK_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir "$WORK/mail"
python3 "$HERE/../smtp_sink.py" "$WORK/mail" >"$WORK/sink.out" < <(sleep infinity) &
SINK_PID=$!
until grep -q '^PORT ' "$WORK/sink.out" 2>/dev/null; do sleep 0.1; done
SMTP_PORT=$(awk '/^PORT/ {print $2}' "$WORK/sink.out")
DB="sqlite:$WORK/load.db"
APP=$("$BIN" --database-url "$DB" apps create --domain load.example.com \
    --email-from codes@load.example.com --max-failed-attempts 3 2>/dev/null)
CLIENT_ID=$(echo "$APP" | awk '/clientId/ {print $2}')
APP_ID=$(echo "$APP" | awk '/applicationId/ {print $2}')
SECRET=$(echo "$APP" | awk '/secret/ {print $2}')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
KEYCADENCE_LOG=warn "$BIN" --database-url "$DB" serve --listen "127.0.0.1:$PORT" \
    --max-connections 16 --smtp-host 127.0.0.1 --smtp-port "$SMTP_PORT" --smtp-tls off \
    --validations-per-ip-per-minute 0 --sends-per-ip-per-minute 0 --sends-per-app-per-minute 0 \
    2>"$WORK/server.log" &
SERVER_PID=$!
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.1; done

bodies() { node "$HERE/make_bodies.mjs" "$CLIENT_ID" "$APP_ID" "$SECRET" "$1" 000000 "$2" >"$WORK/bodies"; }
run() {
    echo "== $1 (wrk -t2 -c64 -d${2}s, $3 users; load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
    KC_BODIES="$WORK/bodies" KC_PATH="$4" wrk -t2 -c64 -d"${2}s" --latency -s "$HERE/requests.lua" \
        "http://127.0.0.1:$PORT" | grep -E "Requests/sec|Latency |50%|90%|99%|requests in|Non-2xx|Socket errors"
}
answers() {
    echo "answers so far by code (from /metrics):"
    curl -s "http://127.0.0.1:$PORT/metrics" | grep '^keycadence_http_requests_total' | grep "route=\"$1\""
}
bodies "$USERS" "$USERS"
echo "one body: $(head -c 200 "$WORK/bodies")..."
run send "$DURATION" "$USERS" /otp/send
answers /otp/send
bodies "$USERS" "$USERS"
run validate-wrong "$DURATION" "$USERS" /otp/validate
answers /otp/validate
bodies "$USERS" 1000
run lock-out-1000-users 5 1000 /otp/validate >/dev/null
bodies "$USERS" 1000
run validate-locked "$DURATION" 1000 /otp/validate
answers /otp/validate
grep VmHWM "/proc/$SERVER_PID/status"
