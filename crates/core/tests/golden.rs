//! Every golden vector (recorded from the reference recorder in a browser) replayed through the
//! core: each `call`/`static` result must equal the reference recorder's, string for string.

#[path = "../examples/support/vectors.rs"]
mod vectors;

use keycadence_core::recorder::RecorderOptions;
use std::path::PathBuf;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn load(name: &str) -> serde_json::Value {
    let path = golden_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

fn vector_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(golden_dir())
        .expect("crates/core/tests/golden must exist")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

#[test]
fn all_eighteen_golden_vectors_match_the_reference() {
    let files = vector_files();
    assert_eq!(
        files.len(),
        18,
        "expected the 18 golden vectors, found {files:?}"
    );
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for name in &files {
        let outcomes = vectors::replay(&load(name), RecorderOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for o in outcomes {
            checked += 1;
            if Some(&o.result) != o.expect.as_ref() {
                mismatches.push(format!(
                    "{name} op {} {}:\n  want {}\n  got  {}",
                    o.op_index,
                    o.method,
                    o.expect.map_or("(none)".into(), |e| e.to_string()),
                    o.result
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {checked} results differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
