# Sourced by the suites in scripts/test.d. They reuse what `cargo test --workspace` built rather
# than building again with `-p keycadence-server`: with `-p`, cargo unifies features over fewer
# packages, so every shared dependency is compiled once more per feature set, and a CI machine
# ran out of disk doing that.

# Builds the workspace's tests (a no-op after scripts/test.sh's `cargo test --workspace`), which
# also leaves the crates' binaries in target/debug, and prints the test executables of the crate
# in directory $1, one per line.
workspace_tests_in() {
  cargo test --quiet --workspace --no-run --message-format=json-render-diagnostics |
    python3 -c '
import json, os, sys
manifest = os.path.realpath(os.path.join(sys.argv[1], "Cargo.toml"))
for line in sys.stdin:
    message = json.loads(line)
    if (message.get("reason") == "compiler-artifact" and message["profile"]["test"]
            and message.get("executable")
            and os.path.realpath(message["manifest_path"]) == manifest):
        print(message["executable"])
' "$1"
}
