#!/usr/bin/env bash
# Installs whatever the project needs on a fresh machine of this kind, idempotently and quickly
# when everything is already present. Each part lives in scripts/bootstrap.d/*.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "bootstrap: cargo is missing; this project expects the machine's Rust toolchain" >&2
  exit 1
fi

for part in scripts/bootstrap.d/*.sh; do
  [ -e "$part" ] || continue
  bash "$part"
done
