#!/usr/bin/env bash
# Mutation testing of the decision code with cargo-mutants: every surviving mutant is a change
# to a decision that no test notices. Not part of CI (a full run takes hours on a small
# machine); run it when changing the matcher, the server's decisions or the code checks.
#
#   scripts/mutants.sh [core|server|otp|all] [more cargo-mutants arguments, e.g. -F REGEX]
#
#   core    crates/core/src/matcher: operating points, scores, quality, auto-enrol, same-text,
#           any-text and short any-text distances and mode selection; tested by the crate's
#           unit tests (matcher/tests.rs) and tests/real_typists.rs (real typists' decisions)
#   server  crates/server/src/domain (the enrol/verify decision, quality, auto-enrol) and
#           settings; tested by the crate's unit tests, tests/api.rs, tests/real_typists.rs,
#           tests/short_text.rs, tests/answers.rs, tests/settings.rs and tests/privacy.rs (all run for
#           every mutant: each mutant's log says which caught it)
#   otp     crates/otp codes and TOTP; tested by all of the crate's tests
#
# Only the test targets named are built for each mutant (--cargo-arg applies to the build and
# the test run), not every test binary and example of the crate. Installs cargo-mutants on
# first use. One mutant at a time (-j1) with a per-mutant timeout (MUTANTS_TIMEOUT seconds,
# default 300). Results: $MUTANTS_OUT/<set>/mutants.out (default
# target/mutants), caught/missed/timeout counts printed at the end. Some accuracy mutants are
# only caught by the accuracy gate (scripts/test.d/matcher.sh, minutes per run), which this
# script does not run per mutant.
#
# Build nothing else in the same CARGO_TARGET_DIR while it runs: cargo names a workspace
# member's artifacts by its path within the workspace, so the mutated copy and the working tree
# share them, and a build of the working tree between a mutant's build and its test run makes
# that mutant look missed (or the working tree's tests run against a mutant).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if ! cargo mutants --version >/dev/null 2>&1; then
    cargo install --locked cargo-mutants
fi
# cargo-mutants tests a copy of the tree made in the temporary directory. Tests find
# ../shared (golden vectors, real typists' data) beside the tree: give the copies a private
# temporary directory with ../shared linked into it. CI=true: a test that finds no data fails
# rather than skips.
SHARED=$(cd "$ROOT/../shared" && pwd)
export TMPDIR
TMPDIR=$(mktemp -d /tmp/keycadence-mutants.XXXXXX)
ln -s "$SHARED" "$TMPDIR/shared"
trap 'rm -rf "$TMPDIR"' EXIT
export CI=true
OUT=${MUTANTS_OUT:-$CARGO_TARGET_DIR/mutants}
TIMEOUT=${MUTANTS_TIMEOUT:-300}
SET=${1:-all}
shift || true

run() {
    local name=$1
    shift
    mkdir -p "$OUT/$name"
    # Exit status 2 (mutants missed) and 3 (timeouts) are results, reported below.
    local status=0
    cargo mutants -j1 --timeout "$TIMEOUT" --no-shuffle --output "$OUT/$name" "$@" || status=$?
    case $status in 0 | 2 | 3) ;; *) return "$status" ;; esac
    python3 - "$OUT/$name/mutants.out/outcomes.json" "$name" <<'PY'
import collections, json, sys
outcomes = json.load(open(sys.argv[1]))["outcomes"]
counts = collections.Counter(o["summary"] for o in outcomes if o["scenario"] != "Baseline")
print(sys.argv[2] + ": " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
PY
}

core() {
    run core -p keycadence-core \
        -f crates/core/src/matcher/calibration.rs -f crates/core/src/matcher/mod.rs \
        -f crates/core/src/matcher/quality.rs -f crates/core/src/matcher/same_text.rs \
        -f crates/core/src/matcher/compatibility.rs -f crates/core/src/matcher/any_text.rs \
        -f crates/core/src/matcher/short_text.rs \
        --cargo-arg=--lib --cargo-arg=--test=real_typists "$@"
}

server() {
    run server -p keycadence-server \
        -f crates/server/src/domain/decision.rs -f crates/server/src/domain/matching.rs \
        -f crates/server/src/domain/mod.rs -f crates/server/src/settings.rs \
        --cargo-test-arg=--no-fail-fast --cargo-arg=--lib --cargo-arg=--test=api \
        --cargo-arg=--test=real_typists --cargo-arg=--test=short_text \
        --cargo-arg=--test=answers --cargo-arg=--test=settings --cargo-arg=--test=privacy "$@"
}

otp() {
    run otp -p keycadence-otp -f crates/otp/src/codes.rs -f 'crates/otp/src/totp/*.rs' "$@"
}

case "$SET" in
    core | server | otp) "$SET" "$@" ;;
    all) core "$@"; server "$@"; otp "$@" ;;
    *) echo "usage: $0 [core|server|otp|all] [cargo-mutants arguments]" >&2; exit 64 ;;
esac
