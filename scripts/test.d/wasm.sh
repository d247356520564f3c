#!/usr/bin/env bash
# The browser suites: builds the npm package (pkg/), checks what a page downloads against the
# size budget, runs the wasm-bindgen tests of crates/wasm in headless Chromium, then the
# Playwright end-to-end tests of tests/browser (among them the Django example's, which starts a
# keycadence server, a real SMTP server and the example; scripts/bootstrap.d/django.sh installs
# Django).
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "== npm run build"
npm run --silent build

echo "== size budget (pkg/size-budget.txt)"
node tests/browser/size-budget.js

echo "== wasm-bindgen-test (headless Chromium)"
# The runner gives chromedriver 5 s to start listening by default; on a loaded two-core machine
# it has taken longer ("driver failed to bind port during startup"), so allow a minute.
CHROMEDRIVER=/usr/bin/chromedriver \
WASM_BINDGEN_TEST_DRIVER_TIMEOUT="${WASM_BINDGEN_TEST_DRIVER_TIMEOUT:-60}" \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p keycadence-wasm --target wasm32-unknown-unknown

echo "== browser end-to-end tests"
npm test --silent
