#!/usr/bin/env bash
# Runs every test: formatting, lints, the Rust workspace's tests (unit, integration, golden
# vectors, property tests), then each suite in scripts/test.d/*.sh (browser, database, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo doc"
# The crates' documentation builds without a broken or private link.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
echo "== cargo test"
cargo test --workspace

for suite in scripts/test.d/*.sh; do
  [ -e "$suite" ] || continue
  echo "== $suite"
  bash "$suite"
done
