#!/usr/bin/env bash
# Installs what the browser build (crates/wasm, pkg/) and its tests need: the wasm32 Rust
# target and the standard library's source, wasm-bindgen-cli at exactly the Cargo.lock version
# of wasm-bindgen, Chromium with chromedriver (Debian's; no browser is downloaded), and the root
# package.json's npm packages (playwright-core, Vite, TypeScript, binaryen's wasm-opt).
# Idempotent and quick when all are present.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
# The shipped module rebuilds the standard library for size (crates/wasm/build-pkg.sh).
if ! rustup component list --installed | grep -q '^rust-src'; then
  rustup component add rust-src
fi

# The CLI must match the library version exactly (the generated glue is version-specific).
version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$version" ]; then
  echo "bootstrap/wasm: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $version" ]; then
  # Not --locked: the CLI's own lock file pins a webpki-roots release that is no longer
  # published, and resolving afresh only touches the CLI's HTTP dependencies.
  cargo install --quiet wasm-bindgen-cli --version "$version"
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

# Vite 8 needs Node 20.19 or newer.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "bootstrap/wasm: Node.js 20.19 or newer is needed (found $(node --version))" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
