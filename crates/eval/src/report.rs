//! What a run writes: per-user EERs summarised, the scores as CSV, ROC and DET curves as SVG,
//! and one JSON object as the last line of stdout.

use std::io::Write;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::metrics::{equal_error_rate, mean_sd, RateCurve};

/// One scored attempt.
#[derive(Clone, Debug)]
pub(crate) struct Attempt {
    /// The claimed user.
    pub user: String,
    /// Who typed it.
    pub typist: String,
    /// Which sample of the typist (dataset-specific label).
    pub sample: String,
    pub genuine: bool,
    pub score: f64,
}

/// The error rates of a run.
#[derive(Clone, Debug)]
pub(crate) struct Summary {
    pub users: usize,
    pub per_user_eer: Vec<(String, f64)>,
    pub mean_eer: f64,
    pub sd_eer: f64,
    pub pooled_eer: f64,
    pub genuine: usize,
    pub impostor: usize,
    /// Rates at the three quality thresholds on the pooled scores: (quality, miss, false accept).
    pub at_thresholds: Vec<(i64, f64, f64)>,
}

pub(crate) fn summarise(attempts: &[Attempt], thresholds: &[(i64, f64)]) -> Summary {
    let mut users: Vec<&str> = attempts.iter().map(|a| a.user.as_str()).collect();
    users.sort();
    users.dedup();
    let mut per_user_eer = Vec::new();
    for user in &users {
        let (g, i) = split(attempts.iter().filter(|a| a.user == *user));
        if let Some(e) = equal_error_rate(&g, &i) {
            per_user_eer.push((user.to_string(), e));
        }
    }
    let eers: Vec<f64> = per_user_eer.iter().map(|(_, e)| *e).collect();
    let (mean_eer, sd_eer) = mean_sd(&eers);
    let (g, i) = split(attempts.iter());
    let pooled_eer = equal_error_rate(&g, &i).unwrap_or(f64::NAN);
    let curve = RateCurve::new(&g, &i);
    let at_thresholds = thresholds
        .iter()
        .map(|&(q, t)| {
            let p = curve.at(t);
            (q, p.miss, p.false_accept)
        })
        .collect();
    Summary {
        users: per_user_eer.len(),
        per_user_eer,
        mean_eer,
        sd_eer,
        pooled_eer,
        genuine: g.len(),
        impostor: i.len(),
        at_thresholds,
    }
}

pub(crate) fn split<'a>(attempts: impl Iterator<Item = &'a Attempt>) -> (Vec<f64>, Vec<f64>) {
    let (mut g, mut i) = (Vec::new(), Vec::new());
    for a in attempts {
        if a.genuine {
            g.push(a.score)
        } else {
            i.push(a.score)
        }
    }
    (g, i)
}

/// Writes `<name>-scores.csv`, `<name>-roc.svg` and `<name>-det.svg` into `dir`.
pub(crate) fn write_files(
    dir: &Path,
    name: &str,
    attempts: &[Attempt],
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let csv = dir.join(format!("{name}-scores.csv"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&csv)?);
    writeln!(out, "user,typist,sample,genuine,score")?;
    for a in attempts {
        writeln!(
            out,
            "{},{},{},{},{:.6}",
            a.user, a.typist, a.sample, a.genuine as u8, a.score
        )?;
    }
    out.flush()?;
    let (g, i) = split(attempts.iter());
    let curve = RateCurve::new(&g, &i);
    let roc = dir.join(format!("{name}-roc.svg"));
    let det = dir.join(format!("{name}-det.svg"));
    plot_roc(&roc, name, &curve).map_err(std::io::Error::other)?;
    plot_det(&det, name, &curve).map_err(std::io::Error::other)?;
    Ok(vec![csv, roc, det])
}

type PlotResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn plot_roc(path: &Path, name: &str, curve: &RateCurve) -> PlotResult {
    let root = SVGBackend::new(path, (640, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("ROC, pooled scores: {name}"), ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("false accept rate")
        .y_desc("true accept rate (1 - false reject rate)")
        .draw()?;
    chart.draw_series(LineSeries::new(
        curve.points.iter().map(|p| (p.false_accept, 1.0 - p.miss)),
        &BLUE,
    ))?;
    chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], &BLACK.mix(0.3)))?;
    root.present()?;
    Ok(())
}

fn plot_det(path: &Path, name: &str, curve: &RateCurve) -> PlotResult {
    // Log-log axes; rates below 1e-4 are drawn at 1e-4.
    let floor = 1e-4;
    let root = SVGBackend::new(path, (640, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("DET (log axes), pooled scores: {name}"),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((floor..1f64).log_scale(), (floor..1f64).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("false accept rate")
        .y_desc("false reject rate")
        .draw()?;
    chart.draw_series(LineSeries::new(
        curve
            .points
            .iter()
            .map(|p| (p.false_accept.max(floor), p.miss.max(floor))),
        &RED,
    ))?;
    chart.draw_series(LineSeries::new(
        [(floor, floor), (1.0, 1.0)],
        &BLACK.mix(0.3),
    ))?;
    root.present()?;
    Ok(())
}

/// The human summary lines.
pub(crate) fn print_summary(title: &str, s: &Summary) {
    println!("== {title}");
    println!(
        "users {}  genuine attempts {}  impostor attempts {}",
        s.users, s.genuine, s.impostor
    );
    println!(
        "mean per-user EER {:.4} (sd {:.4})   pooled EER {:.4}",
        s.mean_eer, s.sd_eer, s.pooled_eer
    );
    for (q, miss, fa) in &s.at_thresholds {
        println!("quality {q}: pooled false reject {miss:.4}, false accept {fa:.4}");
    }
}

/// The JSON fields every run reports.
pub(crate) fn json_base(protocol: &str, s: &Summary) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("protocol".into(), protocol.into());
    m.insert("users".into(), s.users.into());
    m.insert("mean_eer".into(), round6(s.mean_eer).into());
    m.insert("sd_eer".into(), round6(s.sd_eer).into());
    m.insert("pooled_eer".into(), round6(s.pooled_eer).into());
    m.insert("genuine_attempts".into(), s.genuine.into());
    m.insert("impostor_attempts".into(), s.impostor.into());
    let q: Vec<serde_json::Value> = s
        .at_thresholds
        .iter()
        .map(|(q, miss, fa)| {
            serde_json::json!({"quality": q, "false_reject": round6(*miss), "false_accept": round6(*fa)})
        })
        .collect();
    m.insert("at_quality_thresholds".into(), q.into());
    let per_user: serde_json::Map<String, serde_json::Value> = s
        .per_user_eer
        .iter()
        .map(|(u, e)| (u.clone(), round6(*e).into()))
        .collect();
    m.insert("per_user_eer".into(), per_user.into());
    m
}

pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
