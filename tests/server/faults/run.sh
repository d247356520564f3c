#!/usr/bin/env bash
# Faults under /save load, each bounded in time (DURATION seconds of load, 8 by default):
#   sqlite-kill:  one server on SQLite, kill -9 mid-load: every save answered with success is in
#                 the file afterwards, and the server restarted on it serves again.
#   pg-kill:      three servers on one PostgreSQL database, kill -9 of one mid-load: every
#                 acknowledged save is stored, and the other two kept answering with success.
#   pg-restart:   two servers, PostgreSQL stopped for 3 s mid-load and started again: while it
#                 is down the servers answer 49 / HTTP 503 (never 48 / 500) once a request has
#                 waited --database-acquire-timeout-seconds (2 here) for a connection, no
#                 answer takes longer than ANSWER_BOUND seconds, they serve again within RECOVERY_BOUND
#                 seconds of the database's return without a restart, and nothing acknowledged
#                 is lost.
# Load: tests/server/faults/driver.py, requests round robin over the servers, one user per save.
# Usage: tests/server/faults/run.sh [DURATION]. Environment: KEYCADENCE_SERVER_BIN (default: a
# debug build), SCENARIOS (default: all three), KEYCADENCE_GOLDEN_DIR.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
DURATION=${1:-8}
SCENARIOS=${SCENARIOS:-sqlite-kill pg-kill pg-restart}
ANSWER_BOUND=${ANSWER_BOUND:-15}
RECOVERY_BOUND=${RECOVERY_BOUND:-10}
# Shorter than the outage, so that requests are answered 49/503 rather than kept waiting.
ACQUIRE_TIMEOUT=2
GOLDEN=${KEYCADENCE_GOLDEN_DIR:-$ROOT/crates/core/tests/golden}/v01_lowercase.json
BIN=${KEYCADENCE_SERVER_BIN:-}
if [ -z "$BIN" ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
    (cd "$ROOT" && cargo build -q -p keycadence-server)
    BIN="$CARGO_TARGET_DIR/debug/keycadence-server"
fi
DRIVER="python3 $HERE/driver.py"

WORK=$(mktemp -d /tmp/keycadence-faults.XXXXXX)
chmod 755 "$WORK"
PG_BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
PG_DATA="$WORK/pg"
PIDS=()

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_servers() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
cleanup() {
    stop_servers
    if [ -f "$PG_DATA/postmaster.pid" ]; then as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
now() { python3 -c 'import time; print(time.time())'; }

# A type-1 pattern ("hello world", golden vector v01); the driver makes each save's unique.
python3 - "$GOLDEN" "$WORK/pattern" <<'PY'
import json, sys
vector = json.load(open(sys.argv[1]))
base = next(op["expect"] for op in vector["ops"]
            if op["op"] == "call" and op["method"] == "getTypingPattern" and op["args"][0]["type"] == 1)
open(sys.argv[2], "w").write(base)
PY

PG_OPTIONS=""
start_postgres() {
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/log" -w -o "$PG_OPTIONS" start >/dev/null
}
psql_query() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" -tAc "$2"; }

# New server on $DB with the shared keys; appends "base URL" to SERVERS and its pid to PIDS.
SERVERS=()
start_server() {
    local port log
    port=$(free_port)
    log="$WORK/server-$port.log"
    KEYCADENCE_LOG=warn "$BIN" --database-url "$DB" serve --listen "127.0.0.1:$port" \
        --max-connections 8 --shutdown-grace-seconds 2 \
        --database-acquire-timeout-seconds "$ACQUIRE_TIMEOUT" 2>"$log" &
    PIDS+=($!)
    SERVERS+=("http://127.0.0.1:$port")
    for _ in $(seq 1 200); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$log" >&2; fail "a server exited on start"; }
        sleep 0.1
    done
    fail "a server did not answer /healthz within 20 s"
}
new_key() {
    local keys
    keys=$("$BIN" --database-url "$DB" keys create 2>/dev/null)
    AUTH="$(echo "$keys" | awk '/apiKey/ {print $2}'):$(echo "$keys" | awk '/apiSecret/ {print $2}')"
}
joined() { local IFS=,; echo "$*"; }
# The user ids with at least one stored pattern.
STORED_SQL="SELECT DISTINCT u.external_id FROM users u JOIN patterns p ON p.user_id = u.id"

export KEYCADENCE_DATA_DIR="$WORK"  # the generated pepper and at-rest key, shared by the servers
wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }

if wanted sqlite-kill; then
    echo "== sqlite-kill: kill -9 of the server under /save load (${DURATION}s)"
    DB="sqlite:$WORK/faults.db"
    SERVERS=()
    start_server
    new_key
    $DRIVER load --servers "$(joined "${SERVERS[@]}")" --auth "$AUTH" --pattern "$WORK/pattern" \
        --seconds "$DURATION" --threads 8 --out "$WORK/sqlite" &
    DRIVER_PID=$!
    sleep "$(python3 -c "print($DURATION / 2)")"
    kill -9 "${PIDS[0]}"
    wait "${PIDS[0]}" 2>/dev/null || true
    PIDS=()
    wait "$DRIVER_PID"
    python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (user,) in db.execute(sys.argv[2]):
    print(user)' "$WORK/faults.db" "$STORED_SQL" >"$WORK/sqlite/stored"
    $DRIVER check --acked "$WORK/sqlite/acked" --stored "$WORK/sqlite/stored"
    SERVERS=()
    start_server
    code=$(curl -s -u "$AUTH" "${SERVERS[0]}/user/$(head -1 "$WORK/sqlite/acked")" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["message_code"])')
    [ "$code" = 1 ] || fail "the restarted server answered $code"
    echo "   restarted on the same file: serves again"
    stop_servers
fi

if wanted pg-kill || wanted pg-restart; then
    mkdir -p "$PG_DATA"
    [ "$(id -u)" -eq 0 ] && chown postgres "$PG_DATA"
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres >/dev/null
    PG_PORT=$(free_port)
    # fsync stays on: acknowledged means committed to disk here.
    PG_OPTIONS="-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1 -c max_connections=100"
    start_postgres
fi

if wanted pg-kill; then
    echo "== pg-kill: three servers on PostgreSQL, kill -9 of one under /save load (${DURATION}s)"
    psql_query postgres "CREATE DATABASE faults_kill" >/dev/null
    DB="postgres://postgres@127.0.0.1:$PG_PORT/faults_kill"
    SERVERS=()
    start_server; start_server; start_server
    new_key
    $DRIVER load --servers "$(joined "${SERVERS[@]}")" --auth "$AUTH" --pattern "$WORK/pattern" \
        --seconds "$DURATION" --threads 8 --out "$WORK/pg-kill" &
    DRIVER_PID=$!
    sleep "$(python3 -c "print($DURATION / 3)")"
    KILLED_AT=$(now)
    { kill -9 "${PIDS[1]}"; wait "${PIDS[1]}"; } 2>/dev/null || true
    wait "$DRIVER_PID"
    psql_query faults_kill "$STORED_SQL" >"$WORK/pg-kill/stored"
    $DRIVER check --acked "$WORK/pg-kill/acked" --stored "$WORK/pg-kill/stored"
    echo "   answers after the kill:"
    $DRIVER summary --answers "$WORK/pg-kill/answers.jsonl" --since "$KILLED_AT"
    python3 - "$WORK/pg-kill/answers.jsonl" "$KILLED_AT" "${SERVERS[0]}" "${SERVERS[2]}" <<'PY' || fail "a surviving server stopped answering"
import json, sys
answers = [json.loads(l) for l in open(sys.argv[1])]
killed_at = float(sys.argv[2])
for server in sys.argv[3:]:
    after = [a for a in answers if a["server"] == server and a["start"] > killed_at + 0.5]
    ok = sum(1 for a in after if a.get("status") == 200 and a.get("code") == 1)
    bad = [a for a in after if not (a.get("status") == 200 and a.get("code") == 1)]
    print(f"   {server}: {ok} successes after the kill, {len(bad)} other answers")
    if ok == 0 or bad:
        sys.exit(1)
PY
    stop_servers
fi

if wanted pg-restart; then
    echo "== pg-restart: two servers, PostgreSQL down for 3 s under /save load ($((DURATION + 6))s)"
    psql_query postgres "CREATE DATABASE faults_restart" >/dev/null
    DB="postgres://postgres@127.0.0.1:$PG_PORT/faults_restart"
    SERVERS=()
    start_server; start_server
    new_key
    $DRIVER load --servers "$(joined "${SERVERS[@]}")" --auth "$AUTH" --pattern "$WORK/pattern" \
        --seconds "$((DURATION + 6))" --threads 8 --out "$WORK/pg-restart" &
    DRIVER_PID=$!
    sleep "$(python3 -c "print($DURATION / 3)")"
    DOWN_AT=$(now)
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    sleep 3
    start_postgres
    UP_AT=$(now)
    wait "$DRIVER_PID"
    psql_query faults_restart "$STORED_SQL" >"$WORK/pg-restart/stored"
    $DRIVER check --acked "$WORK/pg-restart/acked" --stored "$WORK/pg-restart/stored"
    echo "   answers from the stop until 1 s after the start:"
    $DRIVER summary --answers "$WORK/pg-restart/answers.jsonl" --since "$DOWN_AT" \
        --until "$(python3 -c "print($UP_AT + 1)")"
    python3 - "$WORK/pg-restart/answers.jsonl" "$DOWN_AT" "$UP_AT" "$ANSWER_BOUND" "$RECOVERY_BOUND" <<'PY'
import json, sys
answers = [json.loads(l) for l in open(sys.argv[1])]
down_at, up_at, answer_bound, recovery_bound = map(float, sys.argv[2:6])
failures = []
slow = [a for a in answers if a["seconds"] > answer_bound]
if slow:
    failures.append(f"{len(slow)} answers took longer than {answer_bound} s")
ok = lambda a: a.get("status") == 200 and a.get("code") == 1
other = [a for a in answers if not ok(a)]
wrong = [a for a in other if (a.get("status"), a.get("code")) != (503, 49)]
if wrong:
    failures.append(f"{len(wrong)} failures other than 49/503, e.g. {wrong[:3]}")
unavailable = sum(1 for a in other if a.get("code") == 49)
print(f"   {unavailable} answers 49/503 while the database was away")
if not unavailable:
    failures.append("no answer 49/503: the outage was not seen")
for server in sorted({a["server"] for a in answers}):
    back = sorted(a["start"] + a["seconds"] for a in answers
                  if a["server"] == server and ok(a) and a["start"] >= up_at)
    if not back:
        failures.append(f"{server} never served again")
        continue
    print(f"   {server}: first success {back[0] - up_at:.2f} s after the database's return")
    if back[0] - up_at > recovery_bound:
        failures.append(f"{server} took longer than {recovery_bound} s to recover")
if failures:
    sys.exit("FAILED: " + "; ".join(failures))
PY
    stop_servers
fi
echo "== faults: all scenarios passed"
