#!/usr/bin/env bash
# The matcher's accuracy on real typists (issue 4), as a test: runs keycadence-eval on the CMU
# benchmark (paper, fewshot, adaptive) and the Aalto development split in ../shared/data and
# fails when a required figure is missed:
#   cmu paper mean EER <= 0.0962, cmu fewshot mean EER <= 0.20, adaptive < fewshot;
#   aalto-short (issue 13: a type-2 phrase of a new text against 3 enrolled sentences of other
#   texts) pooled EER <= 0.078: the short any-text constants fitted on aalto-dev's even half
#   reach 0.0727 on all of aalto-dev (0.078 on the held-out odd half); the margin allows for
#   refits, not for a worse matcher.
# Aalto (type 0) has no required figure; it must run and report. Skips (exit 0) when the data
# is absent.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DATA=${KEYCADENCE_DATA_DIR:-$ROOT/../shared/data}
CMU="$DATA/cmu/DSL-StrongPasswordData.csv"
AALTO="$DATA/aalto-dev"
if [ ! -f "$CMU" ] || [ ! -d "$AALTO" ]; then
    echo "matcher accuracy: no data in $DATA, skipped"
    exit 0
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release --quiet -p keycadence-eval
EVAL="$CARGO_TARGET_DIR/release/keycadence-eval"
OUT=$(mktemp -d /tmp/keycadence-eval.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

for protocol in paper fewshot adaptive; do
    "$EVAL" cmu --data "$CMU" --protocol "$protocol" --out "$OUT" > "$OUT/cmu-$protocol.txt"
    grep -E '^(== |mean per-user)' "$OUT/cmu-$protocol.txt"
done
"$EVAL" aalto --data "$AALTO" --out "$OUT" > "$OUT/aalto.txt"
grep -E '^(== aalto \(all|mean per-user)' "$OUT/aalto.txt" | head -2
"$EVAL" aalto-short --data "$AALTO" --enrol 3 --out "$OUT" > "$OUT/aalto-short.txt"
grep -E '^(== aalto-short K=3 \(all|mean per-user)' "$OUT/aalto-short.txt" | head -2

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
def last_json(name):
    with open(f"{out}/{name}.txt") as f:
        return json.loads(f.read().strip().splitlines()[-1])
paper = last_json("cmu-paper")["mean_eer"]
few = last_json("cmu-fewshot")["mean_eer"]
adaptive = last_json("cmu-adaptive")["mean_eer"]
aalto = last_json("aalto")
short = last_json("aalto-short")["pooled_eer"]
checks = [
    ("cmu paper mean EER <= 0.0962", paper <= 0.0962, paper),
    ("cmu fewshot mean EER <= 0.20", few <= 0.20, few),
    ("cmu adaptive beats fewshot", adaptive < few, adaptive),
    ("aalto-short K=3 pooled EER <= 0.078", short <= 0.078, short),
    ("aalto reports every typist", aalto["users"] > 0 and aalto["pooled_eer"] == aalto["pooled_eer"], aalto["pooled_eer"]),
]
failed = 0
for name, ok, value in checks:
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {value}")
    failed += not ok
print(f"{len(checks) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
