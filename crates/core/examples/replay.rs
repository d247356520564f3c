//! Replays recorder test vectors through the core and prints, for each input file, one line:
//! a JSON array of that file's `call`/`static` results in order.
//!
//! `cargo run -q --release -p keycadence-core --example replay -- [--fix-quirks] FILE.json...`
//!
//! Where a vector carries `expect` values, results that differ are listed on stderr and the
//! exit status is 1, so the example doubles as a compatibility check.

#[path = "support/vectors.rs"]
mod vectors;

use keycadence_core::recorder::RecorderOptions;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut options = RecorderOptions::default();
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--fix-quirks" => options.fix_quirks = true,
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: replay [--fix-quirks] FILE.json...");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for file in files {
        let outcome = std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
            .and_then(|vector| vectors::replay(&vector, options));
        match outcome {
            Ok(results) => {
                for o in results
                    .iter()
                    .filter(|o| o.expect.as_ref().is_some_and(|e| *e != o.result))
                {
                    failed = true;
                    eprintln!(
                        "{file}: op {} {}: expected {}, got {}",
                        o.op_index,
                        o.method,
                        o.expect.as_ref().map_or(String::new(), |e| e.to_string()),
                        o.result
                    );
                }
                let results: Vec<_> = results.into_iter().map(|o| o.result).collect();
                println!("{}", serde_json::Value::Array(results));
            }
            Err(e) => {
                eprintln!("{file}: {e}");
                println!("null");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
