#!/usr/bin/env bash
# keycadence-server under faults, short form (about a minute): kill -9 of a server under /save
# load on SQLite and on PostgreSQL with three servers, and PostgreSQL stopped and started under
# load (tests/server/faults/run.sh says what each checks). Exits non-zero when one fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
bash scripts/bootstrap.d/server.sh
. scripts/lib/workspace-tests.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# Builds nothing after `cargo test --workspace`, which leaves the server binary in target/debug.
workspace_tests_in crates/server >/dev/null
KEYCADENCE_SERVER_BIN="$CARGO_TARGET_DIR/debug/keycadence-server" bash tests/server/faults/run.sh 6
