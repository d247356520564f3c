#!/usr/bin/env bash
# The main job. For now: a demonstration of the recorder core (keystrokes in, typing patterns
# out). Later this starts the keycadence server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cargo run -q --release -p keycadence-core --example demo
