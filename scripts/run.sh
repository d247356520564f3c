#!/usr/bin/env bash
# The main job: the keycadence server (Authentication API and one-time codes) on
# http://127.0.0.1:8080 with its SQLite database in ./data, the recorder demo page (the npm
# package's wasm recorder in a page you can type into), and the Verify 2FA demo site on its own
# origin (http://localhost:8090: sign up, enrol by typing, sign in by typing; e-mails go to the
# server's development outbox, data/outbox, shown at /outbox). Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

npm run --silent build
cargo build -q --release -p keycadence-server
server=${CARGO_TARGET_DIR:-target}/release/keycadence-server
export KEYCADENCE_DATABASE_URL="sqlite:data/keycadence.db"
mkdir -p data

# A first API key, printed once (its secret is stored only as a hash), kept in data/ for you.
if [ ! -s data/first-api-key.txt ]; then
  "$server" keys create --tenant demo --label "created by scripts/run.sh" | tee data/first-api-key.txt
fi

# The Verify demo's application (domain localhost, e-mail codes), bound to the demo tenant, its
# credentials kept in data/ for the demo site.
if [ ! -s data/verify-demo.json ]; then
  created=$("$server" apps create --domain localhost --email-from "Demo shop <codes@demo.example>")
  field() { echo "$created" | awk -v name="$1:" '$1 == name {print $2}'; }
  printf '{"clientId":"%s","applicationId":"%s","secret":"%s"}\n' \
    "$(field clientId)" "$(field applicationId)" "$(field secret)" >data/verify-demo.json
  "$server" signin enable "$(field applicationId)" --tenant demo >/dev/null
fi

trap 'kill 0' EXIT
# --email-outbox is for development only (the server refuses it beyond loopback).
"$server" serve --listen 127.0.0.1:8080 --email-outbox data/outbox \
  --recorder-script pkg/keycadence.js &
node tests/browser/support/serve.js &
KC_SERVER=http://127.0.0.1:8080 KC_DEMO_APP=data/verify-demo.json KC_OUTBOX=data/outbox \
  node examples/verify-demo/server.mjs &
echo "API: http://127.0.0.1:8080 (OpenAPI at /openapi.json); API key in data/first-api-key.txt"
echo "Verify 2FA demo: http://localhost:8090/ (its e-mails: http://localhost:8090/outbox)"
wait
