//! keycadence-eval: measures the keycadence matcher on real typists, replaying their raw key
//! events through the recorder core, parsing the patterns back and matching them through the
//! same API the server uses.

mod aalto;
mod aalto_eval;
mod aalto_short;
mod cmu;
mod cmu_eval;
mod metrics;
mod replay;
mod report;
mod short_text_fit;
mod text_design;

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
    /// CMU benchmark scored with the shipped same-text constants (fitted.rs), no refit:
    /// few-shot enrolment of every subject, and the decisions at the three qualities counted.
    /// The constants were fitted on these subjects, so the figures pin the shipped matcher's
    /// behaviour rather than estimate its accuracy on new typists.
    CmuShipped {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "target/eval-out")]
        out: PathBuf,
    },
    /// Aalto keystrokes directory (`<id>_keystrokes.txt.gz` files), type-0 patterns.
    Aalto {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "target/eval-out")]
        out: PathBuf,
    },
    /// Aalto keystrokes directory, each sentence a type-2 pattern of its own text: enrol K
    /// sentences, probe with sentence K+1 (the short any-text mode).
    AaltoShort {
        #[arg(long)]
        data: PathBuf,
        /// Enrolled sentences per typist (K).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=100))]
        enrol: u16,
        /// Also print the EER by the probe text's distinct letters and rare-key letters.
        #[arg(long)]
        by_text: bool,
        #[arg(long, default_value = "target/eval-out")]
        out: PathBuf,
    },
    /// Fit the short any-text constants on the fit half of an Aalto directory and write them
    /// as Rust source (crates/core/src/matcher/short_text_fitted.rs).
    FitShortText {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        write: PathBuf,
    },
    /// Fit the any-text constants on the fit half of an Aalto directory and write them as
    /// Rust source (crates/core/src/matcher/any_text_fitted.rs).
    FitAnyText {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        write: PathBuf,
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
        let (params, objective) = cmu_eval::fit(&subjects, &train, cmu_eval::START);
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
    let all: Vec<usize> = (0..subjects.ids.len()).collect();
    let (product, product_objective) = cmu_eval::fit(&subjects, &all, cmu_eval::START);
    let product_calibration = cmu_eval::calibrate(&subjects, &all, &product);
    let summary = report::summarise(&attempts, &quality_thresholds());
    let files = report::write_files(&out, &format!("cmu-{}", protocol.name()), &attempts)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    report::print_summary(&format!("cmu {}", protocol.name()), &summary);
    if protocol == cmu_eval::Protocol::Adaptive {
        let genuine: usize = auto_enrolled.iter().map(|a| a.genuine).sum();
        let impostor: usize = auto_enrolled.iter().map(|a| a.impostor).sum();
        let subjects = auto_enrolled.len().max(1) as f64;
        println!(
            "auto-enrolled during sessions 2-4: {:.1} of 150 genuine attempts and {:.2} of 150 impostor attempts per subject on average ({impostor} impostor patterns enrolled in all)",
            genuine as f64 / subjects,
            impostor as f64 / subjects
        );
    }
    println!(
        "where the constants came from: same-text constants and score calibration fitted per fold by 2-fold cross-validation over CMU subjects (the scoring fold never seen); any-text constants unused here"
    );
    println!(
        "product constants (fitted the same way on all {} subjects, objective {:.4}; what crates/core/src/matcher/fitted.rs should hold): {:?}; calibration {:?}; shipped now: {:?}; {:?}",
        all.len(),
        product_objective,
        product,
        product_calibration,
        fitted::SAME_TEXT,
        fitted::SAME_TEXT_CALIBRATION
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
                .map(|a| serde_json::json!({"subject": a.subject, "genuine": a.genuine, "impostor": a.impostor}))
                .collect::<Vec<_>>()),
        );
        json.insert(
            "auto_enrolled_impostor".into(),
            auto_enrolled
                .iter()
                .map(|a| a.impostor)
                .sum::<usize>()
                .into(),
        );
    }
    println!("{}", serde_json::Value::Object(json));
    Ok(())
}

fn run_cmu_shipped(data: PathBuf, out: PathBuf) -> Result<(), String> {
    let reps = cmu::load(&data).map_err(|e| e.to_string())?;
    let typed = cmu_eval::replay_all(reps)?;
    let subjects = cmu_eval::Subjects::new(&typed);
    let all: Vec<usize> = (0..subjects.ids.len()).collect();
    let attempts = cmu_eval::score(
        &subjects,
        &all,
        cmu_eval::Protocol::Fewshot,
        &Matcher::default(),
        &mut Vec::new(),
    );
    let summary = report::summarise(&attempts, &quality_thresholds());
    let files = report::write_files(&out, "cmu-shipped", &attempts)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "protocol: the shipped constants (fitted.rs) on all {} CMU subjects, few-shot enrolment (reps 1-5 of session 1), genuine sessions 5-8, impostors the first 5 reps of every other subject",
        subjects.ids.len()
    );
    report::print_summary("cmu shipped", &summary);
    let mut decisions = Vec::new();
    for (quality, threshold) in quality_thresholds() {
        let genuine_accepted = attempts
            .iter()
            .filter(|a| a.genuine && a.score >= threshold)
            .count();
        let impostor_refused = attempts
            .iter()
            .filter(|a| !a.genuine && a.score < threshold)
            .count();
        println!(
            "quality {quality}: {genuine_accepted} of {} genuine attempts accepted, {impostor_refused} of {} impostor attempts refused",
            summary.genuine, summary.impostor
        );
        decisions.push(serde_json::json!({
            "quality": quality,
            "genuine_accepted": genuine_accepted,
            "impostor_refused": impostor_refused,
        }));
    }
    for f in &files {
        println!("wrote {}", f.display());
    }
    let mut json = report::json_base("shipped", &summary);
    json.insert("dataset".into(), "cmu".into());
    json.insert("decisions".into(), decisions.into());
    println!("{}", serde_json::Value::Object(json));
    Ok(())
}

fn print_load(load: &aalto_eval::LoadReport) {
    println!(
        "Aalto keystrokes: {} files, {} typists usable ({} skipped); {} rows without a usable release (keyup lost), {} rows dropped (unusable press time or key code)",
        load.files,
        load.usable,
        load.skipped.len(),
        load.repaired_rows,
        load.dropped_rows
    );
    for (id, why) in load.skipped.iter().take(10) {
        println!("  skipped {id}: {why}");
    }
}

fn load_aalto(data: &std::path::Path) -> Result<Vec<aalto_eval::TypedTypist>, String> {
    let (typists, load) = aalto_eval::load_all(data)?;
    print_load(&load);
    if typists.len() < 2 {
        return Err("fewer than two usable typists".into());
    }
    Ok(typists)
}

/// The attempts whose claimed user is at an even position of `ids` (id order: the fit half)
/// and those at an odd one.
fn halves<'a>(
    ids: impl Iterator<Item = &'a str>,
    attempts: &[report::Attempt],
) -> (Vec<report::Attempt>, Vec<report::Attempt>) {
    let position: std::collections::HashMap<&str, usize> =
        ids.enumerate().map(|(i, id)| (id, i)).collect();
    attempts
        .iter()
        .cloned()
        .partition(|a| aalto_eval::in_fit_half(position[a.user.as_str()]))
}

fn run_aalto(data: PathBuf, out: PathBuf) -> Result<(), String> {
    let typists = load_aalto(&data)?;
    let attempts = aalto_eval::score(&typists, &Matcher::default());
    let summary = report::summarise(&attempts, &quality_thresholds());
    let files = report::write_files(&out, "aalto", &attempts)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    println!("protocol: 5 type-0 patterns of 3 sentences each; enrol 1-3, genuine 4 and 5, impostors pattern 4 of the next 100 typists");
    report::print_summary("aalto (all typists)", &summary);
    // The any-text constants were fitted on the even positions of aalto-dev: on that
    // directory the odd half is the held-out estimate.
    let (fit_half, held_out) = halves(typists.iter().map(|t| t.id.as_str()), &attempts);
    let fit_half = report::summarise(&fit_half, &quality_thresholds());
    let held_out = report::summarise(&held_out, &quality_thresholds());
    report::print_summary(
        "aalto, claimed users at even positions (the any-text fit half when DIR is aalto-dev)",
        &fit_half,
    );
    report::print_summary(
        "aalto, claimed users at odd positions (held out when DIR is aalto-dev)",
        &held_out,
    );
    println!("where the constants came from: any-text slot priors and calibration fitted by `keycadence-eval fit-any-text` on the typists at even positions of aalto-dev; same-text constants unused here");
    for f in &files {
        println!("wrote {}", f.display());
    }
    let mut json = report::json_base("aalto", &summary);
    json.insert("dataset".into(), "aalto".into());
    json.insert(
        "even_positions".into(),
        serde_json::Value::Object(report::json_base("aalto-even", &fit_half)),
    );
    json.insert(
        "odd_positions".into(),
        serde_json::Value::Object(report::json_base("aalto-odd", &held_out)),
    );
    println!("{}", serde_json::Value::Object(json));
    Ok(())
}

fn run_fit_any_text(data: PathBuf, write: PathBuf) -> Result<(), String> {
    let typists = load_aalto(&data)?;
    let fit = aalto_eval::fit_half(&typists);
    let priors = aalto_eval::fit_priors(&fit);
    let calibration = aalto_eval::calibrate(&fit, &priors);
    println!(
        "fitted on {} typists (even positions in id order): calibration {calibration:?}",
        fit.len()
    );
    aalto_eval::write_rust(
        &write,
        &priors,
        &calibration,
        &format!(
            "keycadence-eval fit-any-text --data {} --write <this file>",
            data.display()
        ),
    )
    .map_err(|e| format!("{}: {e}", write.display()))?;
    println!("wrote {}", write.display());
    Ok(())
}

fn load_aalto_short(data: &std::path::Path) -> Result<Vec<aalto_short::ShortTypist>, String> {
    let (typists, load) = aalto_short::load_all(data)?;
    print_load(&load);
    Ok(typists)
}

/// A summary whose per-user figures are the rank error of the one genuine attempt
/// ([`aalto_short::per_user_rank_error`]).
fn short_summary(attempts: &[report::Attempt]) -> report::Summary {
    let mut summary = report::summarise(attempts, &quality_thresholds());
    summary.per_user_eer = aalto_short::per_user_rank_error(attempts);
    let eers: Vec<f64> = summary.per_user_eer.iter().map(|(_, e)| *e).collect();
    (summary.mean_eer, summary.sd_eer) = metrics::mean_sd(&eers);
    summary.users = eers.len();
    summary
}

fn run_aalto_short(data: PathBuf, enrol: usize, by_text: bool, out: PathBuf) -> Result<(), String> {
    let typists = load_aalto_short(&data)?;
    let eligible = aalto_short::eligible(&typists, enrol);
    if eligible.len() < 2 {
        return Err(format!(
            "fewer than two typists with {} usable sentences",
            enrol + 1
        ));
    }
    let scored = aalto_short::score(&eligible, enrol, &Matcher::default());
    let attempts: Vec<report::Attempt> = scored.iter().map(|a| a.attempt.clone()).collect();
    let summary = short_summary(&attempts);
    let name = format!("aalto-short-k{enrol}");
    let files = report::write_files(&out, &name, &attempts)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    let genuine_keys: Vec<f64> = scored
        .iter()
        .filter(|a| a.attempt.genuine)
        .map(|a| a.keys as f64)
        .collect();
    let (keys_mean, keys_sd) = metrics::mean_sd(&genuine_keys);
    let short_mode = scored
        .iter()
        .filter(|a| a.mode == keycadence_core::matcher::MatchMode::ShortAnyText)
        .count();
    println!(
        "protocol: each sentence a type-2 pattern of its own text; {} typists with {} usable sentences; enrol sentences 1-{enrol}, genuine sentence {}, impostors sentence {} of the next 100 typists",
        eligible.len(),
        enrol + 1,
        enrol + 1,
        enrol + 1
    );
    println!(
        "keys per probe {keys_mean:.1} (sd {keys_sd:.1}); decided in the short any-text mode: {short_mode} of {} attempts (the others on the same text)",
        scored.len()
    );
    println!("per-user EER here: the fraction of the user's impostors scoring at least as high as its one genuine attempt (ties half)");
    report::print_summary(&format!("aalto-short K={enrol} (all typists)"), &summary);
    // The short any-text constants were fitted on the even positions of aalto-dev: on that
    // directory the odd half is the held-out estimate.
    let (fit_half, held_out) = halves(typists.iter().map(|t| t.id.as_str()), &attempts);
    let fit_half = short_summary(&fit_half);
    let held_out = short_summary(&held_out);
    report::print_summary(
        "aalto-short, claimed users at even positions (the fit half when DIR is aalto-dev)",
        &fit_half,
    );
    report::print_summary(
        "aalto-short, claimed users at odd positions (held out when DIR is aalto-dev)",
        &held_out,
    );
    let groups = text_design::table(&scored);
    if by_text {
        text_design::print(&groups);
    }
    println!("where the constants came from: short any-text priors and calibration fitted by `keycadence-eval fit-short-text` on the typists at even positions of aalto-dev");
    for f in &files {
        println!("wrote {}", f.display());
    }
    let mut json = report::json_base("aalto-short", &summary);
    json.insert("dataset".into(), "aalto".into());
    json.insert("enrol".into(), enrol.into());
    json.insert(
        "keys_per_probe_mean".into(),
        report::round6(keys_mean).into(),
    );
    json.insert("short_any_text_attempts".into(), short_mode.into());
    json.insert(
        "even_positions".into(),
        serde_json::Value::Object(report::json_base("aalto-short-even", &fit_half)),
    );
    json.insert(
        "odd_positions".into(),
        serde_json::Value::Object(report::json_base("aalto-short-odd", &held_out)),
    );
    json.insert("by_text".into(), text_design::json(&groups));
    println!("{}", serde_json::Value::Object(json));
    Ok(())
}

fn run_fit_short_text(data: PathBuf, write: PathBuf) -> Result<(), String> {
    let typists = load_aalto_short(&data)?;
    let fit = aalto_eval::fit_half(&typists);
    if fit.len() < 2 {
        return Err("fewer than two typists to fit on".into());
    }
    let (params, calibration, eer) = short_text_fit::fit(&fit);
    println!(
        "fitted on {} typists (even positions in id order): pooled EER at K={} {eer:.4}; {params:?}; calibration {calibration:?}",
        fit.len(),
        short_text_fit::CALIBRATION_ENROL
    );
    short_text_fit::write_rust(
        &write,
        &params,
        &calibration,
        &format!(
            "keycadence-eval fit-short-text --data {} --write <this file>",
            data.display()
        ),
    )
    .map_err(|e| format!("{}: {e}", write.display()))?;
    println!("wrote {}", write.display());
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
        Command::CmuShipped { data, out } => run_cmu_shipped(data, out),
        Command::Aalto { data, out } => run_aalto(data, out),
        Command::FitAnyText { data, write } => run_fit_any_text(data, write),
        Command::AaltoShort {
            data,
            enrol,
            by_text,
            out,
        } => run_aalto_short(data, enrol as usize, by_text, out),
        Command::FitShortText { data, write } => run_fit_short_text(data, write),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keycadence-eval: {e}");
            ExitCode::FAILURE
        }
    }
}
