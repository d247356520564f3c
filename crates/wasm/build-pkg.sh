#!/usr/bin/env bash
# Builds the npm package's generated half in pkg/ (the hand-written shim pkg/index.js,
# index.d.ts, package.json and README.md are committed): the recorder compiled to wasm32 with
# the size-optimised `wasm-release` profile, its wasm-bindgen glue (ES module, `--target web`),
# wasm-opt -Oz, and the licence files the package ships.
#
# Needs the wasm32-unknown-unknown target and wasm-bindgen-cli at the Cargo.lock version of
# wasm-bindgen (scripts/bootstrap.d/wasm.sh installs them), and binaryen's wasm-opt from the
# root package's devDependencies (`npm ci`): Debian 12's binaryen 108 exports the wrong table
# for wasm-bindgen's externref table, which breaks the module at load.
# Usage: crates/wasm/build-pkg.sh [extra cargo arguments, e.g. --features panic-hook]
set -euo pipefail
cd "$(dirname "$0")/../.."

target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --quiet -p keycadence-wasm --target wasm32-unknown-unknown --profile wasm-release "$@"

wasm-bindgen --target web --no-typescript --out-dir pkg --out-name keycadence_wasm \
  "$target_dir/wasm32-unknown-unknown/wasm-release/keycadence_wasm.wasm"

# The features rustc enables by default for wasm32.
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  pkg/keycadence_wasm_bg.wasm -o pkg/keycadence_wasm_bg.wasm

cp LICENSE NOTICE pkg/
