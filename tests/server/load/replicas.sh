#!/usr/bin/env bash
# The figures of the several-servers deployment (not a test): run.sh on SQLite with one server,
# then on a PostgreSQL cluster this script starts (fsync and synchronous_commit on, as in
# production) with 1, 2 and 3 servers, each on a new database, with the cluster's CPU measured.
# Usage: tests/server/load/replicas.sh [DURATION]. Environment: as run.sh (SCENARIOS,
# KEYCADENCE_SERVER_BIN, WRK_THREADS), COUNTS (servers per PostgreSQL run: "1 2 3").
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
DURATION=${1:-10}
COUNTS=${COUNTS:-1 2 3}
if [ -z "${KEYCADENCE_SERVER_BIN:-}" ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
    (cd "$ROOT" && cargo build -q --release -p keycadence-server)
    export KEYCADENCE_SERVER_BIN="$CARGO_TARGET_DIR/release/keycadence-server"
fi
WORK=$(mktemp -d /tmp/keycadence-replicas.XXXXXX)
chmod 755 "$WORK"
PG_BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
PG_DATA="$WORK/pg"
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
trap 'as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

echo "######## SQLite, 1 server"
REPLICAS=1 bash "$HERE/run.sh" "$DURATION"

mkdir -p "$PG_DATA"
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DATA"
as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres >/dev/null
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/log" -w \
    -o "-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
PG_PID=$(head -1 "$PG_DATA/postmaster.pid")
for n in $COUNTS; do
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE load_$n" >/dev/null
    echo "######## PostgreSQL, $n server(s)"
    REPLICAS=$n KEYCADENCE_LOAD_PG_PID=$PG_PID \
        KEYCADENCE_LOAD_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/load_$n" \
        bash "$HERE/run.sh" "$DURATION"
done
