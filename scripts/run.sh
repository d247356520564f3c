#!/usr/bin/env bash
# The main job: the keycadence server (Authentication API and one-time codes) on
# http://127.0.0.1:8080 with its SQLite database in ./data, and the recorder demo page (the npm
# package's wasm recorder in a page you can type into). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

npm run --silent build
cargo build -q --release -p keycadence-server
server=target/release/keycadence-server
export KEYCADENCE_DATABASE_URL="sqlite:data/keycadence.db"
mkdir -p data

# A first API key, printed once (its secret is stored only as a hash), kept in data/ for you.
if [ ! -s data/first-api-key.txt ]; then
  "$server" keys create --tenant demo --label "created by scripts/run.sh" | tee data/first-api-key.txt
fi

trap 'kill 0' EXIT
"$server" serve --listen 127.0.0.1:8080 &
node tests/browser/support/serve.js &
echo "API: http://127.0.0.1:8080 (OpenAPI at /openapi.json); API key in data/first-api-key.txt"
wait
