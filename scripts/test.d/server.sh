#!/usr/bin/env bash
# keycadence-server suites beyond `cargo test`:
#  1. the Rust integration suite again, on a PostgreSQL cluster this script starts and stops;
#  2. the official TypingDNA Node client (npm `typingdnaclient`) against the real server.
# Exits non-zero when either fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
bash scripts/bootstrap.d/server.sh
. scripts/lib/workspace-tests.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
GOLDEN_DIR=${KEYCADENCE_GOLDEN_DIR:-$ROOT/crates/core/tests/golden}

WORK=$(mktemp -d /tmp/keycadence-server-test.XXXXXX)
chmod 755 "$WORK"
PG_BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
PG_DATA="$WORK/pg"
SERVER_PID=""

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [ -f "$PG_DATA/postmaster.pid" ]; then as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

echo "== keycadence-server on PostgreSQL"
mkdir -p "$PG_DATA"
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DATA"
as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres >/dev/null
PG_PORT=$(free_port)
as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/log" -w \
    -o "-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE keycadence_test" >/dev/null
# The crate's test executables, run as `cargo test` runs them: from the crate's directory.
mapfile -t SERVER_TESTS < <(workspace_tests_in crates/server)
[ "${#SERVER_TESTS[@]}" -gt 0 ] || { echo "no test executables found for crates/server" >&2; exit 1; }
for test in "${SERVER_TESTS[@]}"; do
    echo "     Running ${test#"$CARGO_TARGET_DIR"/}"
    (cd crates/server && KEYCADENCE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/keycadence_test" "$test")
done

echo "== official TypingDNA Node client against keycadence-server"
BIN="$CARGO_TARGET_DIR/debug/keycadence-server"  # left there by the workspace test build
DB="sqlite:$WORK/node.db"
KEYS=$("$BIN" --database-url "$DB" keys create --label node-client 2>/dev/null)
API_KEY=$(echo "$KEYS" | awk '/apiKey/ {print $2}')
API_SECRET=$(echo "$KEYS" | awk '/apiSecret/ {print $2}')
"$BIN" --database-url "$DB" keys set "$API_KEY" min_initial_enrollments=3 >/dev/null
PORT=$(free_port)
"$BIN" --database-url "$DB" serve --listen "127.0.0.1:$PORT" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost" -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
(cd tests/server && npm install --no-audit --no-fund --loglevel=error >/dev/null)
(cd tests/server && NODE_EXTRA_CA_CERTS="$WORK/tls.crt" KC_TLS_CERT="$WORK/tls.crt" KC_TLS_KEY="$WORK/tls.key" \
    KC_BACKEND_PORT="$PORT" KC_API_KEY="$API_KEY" KC_API_SECRET="$API_SECRET" KC_GOLDEN_DIR="$GOLDEN_DIR" \
    node --test node_client.test.js)
if grep -q "$API_SECRET" "$WORK/server.log"; then
    echo "the API secret appeared in the server log" >&2
    exit 1
fi
