//! keycadence-eval: measures the keycadence matcher on real typists, replaying their raw key
//! events through the recorder core, parsing the patterns back and matching them through the
//! same API the server uses.

mod cmu;
mod cmu_eval;
mod metrics;
mod replay;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use keycadence_core::matcher::{calibration, fitted, Matcher, Quality};

/// A dataset file that cannot be read or understood.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {what}")]
    Format {
        path: String,
        line: usize,
        what: String,
    },
}

impl DataError {
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

#[derive(Parser)]
#[command(
    name = "keycadence-eval",
    about = "Measure the keycadence matcher on real typists"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// CMU Keystroke Dynamics Benchmark (DSL-StrongPasswordData.csv), type-1 patterns.
    Cmu {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, value_enum, default_value = "paper")]
        protocol: cmu_eval::Protocol,
        /// Where the scores CSV and the ROC/DET plots go.
        #[arg(long, default_value = "target/eval-out")]
        out: PathBuf,
    },
}

fn quality_thresholds() -> Vec<(i64, f64)> {
    [Quality::Low, Quality::Medium, Quality::High]
        .iter()
        .map(|q| (q.to_api(), calibration::threshold(*q)))
        .collect()
}

fn run_cmu(data: PathBuf, protocol: cmu_eval::Protocol, out: PathBuf) -> Result<(), String> {
    let reps = cmu::load(&data).map_err(|e| e.to_string())?;
    let typed = cmu_eval::replay_all(reps)?;
    let subjects = cmu_eval::Subjects::new(&typed);
    println!(
        "CMU benchmark: {} reps of {} subjects replayed through the recorder as type-1 patterns of {:?}, parsed back",
        typed.len(),
        subjects.ids.len(),
        cmu::TEXT
    );
    println!("protocol {}", protocol.name());
    let mut attempts = Vec::new();
    let mut auto_enrolled = Vec::new();
    let mut folds_json = Vec::new();
    for f in 0..2 {
        let train = subjects.fold(1 - f);
        let test = subjects.fold(f);
        let (params, objective) = cmu_eval::fit(&subjects, &train, fitted::SAME_TEXT);
        let calibration = cmu_eval::calibrate(&subjects, &train, &params);
        println!(
            "fold {f}: {} subjects scored with constants fitted on the other {} (objective {:.4}): {:?}; calibration {:?}",
            test.len(),
            train.len(),
            objective,
            params,
            calibration
        );
        folds_json.push(serde_json::json!({
            "scored_subjects": test.iter().map(|&i| subjects.ids[i].clone()).collect::<Vec<_>>(),
            "fitted_on": train.iter().map(|&i| subjects.ids[i].clone()).collect::<Vec<_>>(),
            "params": format!("{params:?}"),
            "calibration": format!("{calibration:?}"),
        }));
        let matcher = Matcher {
            same_text: params,
            same_text_calibration: calibration,
            ..Matcher::default()
        };
        attempts.extend(cmu_eval::score(
            &subjects,
            &test,
            protocol,
            &matcher,
            &mut auto_enrolled,
        ));
    }
    let summary = report::summarise(&attempts, &quality_thresholds());
    let files = report::write_files(&out, &format!("cmu-{}", protocol.name()), &attempts)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    report::print_summary(&format!("cmu {}", protocol.name()), &summary);
    if protocol == cmu_eval::Protocol::Adaptive {
        let total: usize = auto_enrolled.iter().map(|(_, n)| n).sum();
        println!(
            "auto-enrolled during sessions 2-4: {:.1} of 150 per subject on average",
            total as f64 / auto_enrolled.len().max(1) as f64
        );
    }
    println!(
        "where the constants came from: same-text constants and score calibration fitted per fold by 2-fold cross-validation over CMU subjects (the scoring fold never seen); any-text constants unused here"
    );
    for f in &files {
        println!("wrote {}", f.display());
    }
    let mut json = report::json_base(protocol.name(), &summary);
    json.insert("dataset".into(), "cmu".into());
    json.insert("folds".into(), folds_json.into());
    if protocol == cmu_eval::Protocol::Adaptive {
        json.insert(
            "auto_enrolled".into(),
            serde_json::json!(auto_enrolled
                .iter()
                .map(|(s, n)| serde_json::json!({"subject": s, "patterns": n}))
                .collect::<Vec<_>>()),
        );
    }
    println!("{}", serde_json::Value::Object(json));
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Cmu {
            data,
            protocol,
            out,
        } => run_cmu(data, protocol, out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keycadence-eval: {e}");
            ExitCode::FAILURE
        }
    }
}
