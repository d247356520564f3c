#!/usr/bin/env bash
# One-time-code suites beyond `cargo test` (which already runs crates/server/tests/otp against a
# real SMTP server): the npm package's VerifyClient (pkg/verify-client.js) under `node --test`
# against the real keycadence-server binary. Exits non-zero when a test fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
bash scripts/bootstrap.d/otp.sh
. scripts/lib/workspace-tests.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

echo "== VerifyClient (node --test) against keycadence-server"
workspace_tests_in crates/server >/dev/null  # leaves the server binary in target/debug
KC_SERVER_BIN="$CARGO_TARGET_DIR/debug/keycadence-server" node --test tests/otp/
