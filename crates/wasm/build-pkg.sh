#!/usr/bin/env bash
# Builds the npm package's generated half in pkg/ (the hand-written shim pkg/src/*.js,
# index.d.ts, package.json and README.md are committed): the recorder compiled to wasm32 with
# the size-optimised `wasm-release` profile, its wasm-bindgen glue (ES module, `--target web`),
# wasm-opt -Oz, short import/export names, the shim and glue bundled (rolldown) and minified
# (terser, rolldown) into pkg/index.js (ES module) and pkg/keycadence.js (classic script), and
# the licence files the package ships.
#
# The standard library is rebuilt for the module (`-Zbuild-std`, the rust-src component) with
# panics that abort on the spot (`-Cpanic=immediate-abort`): no panic messages, locations or
# formatting machinery end up in the module (about 9 KB gzipped; the `panic-hook` feature keeps
# them). Those flags are unstable, so this one build runs with RUSTC_BOOTSTRAP=1 on the stable
# toolchain; nothing else does. (The standard library's `optimize_for_size` feature saves about
# 30 B gzipped and looked slower for long type 0 patterns: not used.)
#
# Needs the wasm32-unknown-unknown target, the rust-src component and wasm-bindgen-cli at the
# Cargo.lock version of wasm-bindgen (scripts/bootstrap.d/wasm.sh installs them), and binaryen's
# wasm-opt from the root package's devDependencies (`npm ci`): Debian 12's binaryen 108 exports
# the wrong table for wasm-bindgen's externref table, which breaks the module at load.
# Usage: crates/wasm/build-pkg.sh [extra cargo arguments, e.g. --features panic-hook]
set -euo pipefail
cd "$(dirname "$0")/../.."

target_dir="${CARGO_TARGET_DIR:-target}"
panics="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
# With the `panic-hook` feature panics keep their messages, for the hook to print.
case " $* " in *panic-hook*) panics="" ;; esac
# Without reference types, wasm-bindgen hands JavaScript values to the module as indices into a
# JavaScript-side array instead of an externref table: less code in the module, a little more
# in the glue (about 0.5 KB gzipped less in all).
RUSTC_BOOTSTRAP=1 RUSTFLAGS="$panics -Ctarget-feature=-reference-types" \
  cargo build --quiet -p keycadence-wasm --target wasm32-unknown-unknown --profile wasm-release \
  -Zbuild-std=std,panic_abort "$@"

# The glue goes next to the shim's source, which imports it, with the crate's own JavaScript
# (crates/wasm/js, copied to pkg/src/snippets); all of it is bundled into pkg/index.js.
wasm-bindgen --target web --no-typescript --out-dir pkg/src --out-name keycadence_wasm \
  "$target_dir/wasm32-unknown-unknown/wasm-release/keycadence_wasm.wasm"

# The wasm features rustc enables by default (reference types is off for this build, see above).
features="--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue"
# `--low-memory-unused` lets constant address parts fold into load and store offsets: Rust's
# data, heap and stack all lie at or above the first 1024 bytes the flag promises to leave
# alone (the stack grows down from 1 MB; reaching that low would already be a stack overflow).
# About 0.2 KB gzipped.
# `--flatten --rereloop` first: the control flow rebuilt from its graph, which the optimising
# passes after it (-O4, then -Oz to convergence) shrink further than -Oz alone does on LLVM's
# shape (about 0.4 KB gzipped).
node_modules/.bin/wasm-opt --flatten --rereloop -O4 -Oz --converge --low-memory-unused \
  --strip-debug --strip-producers --strip-target-features $features \
  pkg/src/keycadence_wasm_bg.wasm -o pkg/keycadence_wasm_bg.wasm
rm pkg/src/keycadence_wasm_bg.wasm

# Short import and export names (wasm-bindgen's end in hashes gzip cannot shrink), and -Oz once
# more over the renamed module (about 80 B gzipped less than stopping after the first pass), with
# the most-called functions given the lowest indices (shorter calls, about 16 B); the
# glue renamed to match; then the shim and the glue bundled and minified into pkg/index.js (one file
# for a page to load; the source map leads back to pkg/src).
names=$(mktemp)
trap 'rm -f "$names"' EXIT
node_modules/.bin/wasm-opt --minify-imports-and-exports-and-modules -Oz --reorder-functions $features \
  pkg/keycadence_wasm_bg.wasm -o pkg/keycadence_wasm_bg.wasm >"$names"
node crates/wasm/rename-glue.mjs "$names" pkg/src/keycadence_wasm.js pkg/keycadence_wasm_bg.wasm
# Rolldown bundles, terser minifies: two compress passes and mangling leave about 0.1 KB gzipped
# less than rolldown's own minifier. The source map follows both steps back to pkg/src and
# holds the sources' text, the generated glue's and the snippets' included (a page never loads
# it; developer tools do).
node_modules/.bin/rolldown pkg/src/index.js --format esm --sourcemap --file pkg/index.bundle.js >/dev/null
node_modules/.bin/terser pkg/index.bundle.js --module --compress passes=2 --mangle \
  --source-map "content=pkg/index.bundle.js.map,url=index.js.map,includeSources" -o pkg/index.js
rm pkg/index.bundle.js pkg/index.bundle.js.map

# The classic-script build, pkg/keycadence.js: the same class with the module inside, as an
# ASCII string literal (see embed-wasm.mjs), instantiated synchronously when the script runs.
# No source map: the literal goes in after minification, which would shift its columns.
node crates/wasm/embed-wasm.mjs placeholder pkg/src/keycadence_wasm_bytes.js
# (Rolldown's minifier here: with the module's bytes in the file, terser's output gzips larger.)
node_modules/.bin/rolldown pkg/src/classic.js --format iife --minify --file pkg/keycadence.js >/dev/null
node crates/wasm/embed-wasm.mjs inline pkg/keycadence_wasm_bg.wasm pkg/keycadence.js

cp LICENSE NOTICE pkg/
