//! What a calibration leaves behind: the calibrated scenario (a TOML file that `extends` the
//! input and sets only the fitted keys), the fit table as CSV, and the fit table as text.

use super::{Calibration, FitRow, Skipped};
use crate::error::{Error, Result};
use crate::metrics::Period;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use toml::{Table, Value};

/// The calibrated scenario as TOML text, to be written to `out`: a comment header (the targets
/// file, the objective, the free parameters and the run it was fitted on; no date, so the
/// same calibration writes the same bytes), `extends` = the input scenario as a path relative
/// to `out`'s folder, then the fitted keys. `fixed` are further keys the calibration ran with
/// (`--set`), written after the fitted ones so the file reproduces what was fitted.
pub fn calibrated_toml(
    cal: &Calibration,
    input: &Path,
    out: &Path,
    targets_file: &str,
    skipped: &[Skipped],
    fixed: &[(String, Value)],
) -> Result<String> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let extends = relative_path(&dir, input)?;
    let s = &cal.scenario.scenario.simulation;
    let mut h = String::new();
    let _ = writeln!(
        h,
        "# Calibrated by `safetynet calibrate` (safetynet {}). Re-run the calibration rather than",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(h, "# editing the fitted values by hand.");
    let _ = writeln!(h, "#");
    let _ = writeln!(h, "# base scenario: {}", input.display());
    let used = cal.fit.len();
    let _ = writeln!(
        h,
        "# targets: {targets_file} ({used} used{})",
        if skipped.is_empty() {
            String::new()
        } else {
            format!(
                ", {} set aside: {}",
                skipped.len(),
                skipped
                    .iter()
                    .map(|k| k.target.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    let _ = writeln!(
        h,
        "# objective (weighted sum of squared relative errors): {:.6e} (start {:.6e})",
        cal.objective, cal.start_objective
    );
    let _ = writeln!(
        h,
        "# optimiser: Nelder–Mead (argmin), logit map of the bounds; {} iterations, {} simulations; stopped: {}",
        cal.iterations, cal.evaluations, cal.stopped
    );
    let _ = writeln!(
        h,
        "# fitted on: {} households x {} replications x {} year(s) from {}, {} burn-in months, seed {} (same seed for every evaluation)",
        s.households, s.replications, s.years, s.start_year, s.burn_in_months, s.seed
    );
    let _ = writeln!(h, "# free parameters [bounds]: start -> fitted");
    for ((f, a), b) in cal.free.iter().zip(&cal.start).zip(&cal.fitted) {
        let _ = writeln!(h, "#   {} [{}, {}]: {} -> {}", f.key, f.lo, f.hi, a, b);
    }
    let _ = writeln!(h, "# fit (official, simulated mean, relative error):");
    for r in &cal.fit {
        let _ = writeln!(
            h,
            "#   {}: {} {}, {}, {}",
            r.target.name,
            num(r.target.value),
            r.target.unit,
            r.stats.map(|s| num(s.mean)).unwrap_or_else(|| "–".into()),
            pct(r.rel_error)
        );
    }
    if !fixed.is_empty() {
        let _ = writeln!(
            h,
            "# also set during the calibration (--set), written below the fitted keys: {}",
            fixed
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(h);

    let mut body = Table::new();
    body.insert(
        "extends".into(),
        Value::String(extends.to_string_lossy().replace('\\', "/")),
    );
    for (k, v) in fixed.iter().cloned().chain(cal.overrides()) {
        insert_path(&mut body, &k, v);
    }
    let text = toml::to_string(&body).map_err(|e| Error::Internal(format!("toml: {e}")))?;
    Ok(h + &text)
}

fn insert_path(t: &mut Table, key: &str, v: Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut cur = t;
    for p in parts {
        let entry = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(next) = entry else {
            unreachable!("just made a table")
        };
        cur = next;
    }
    cur.insert(last.to_string(), v);
}

/// `target` as a path relative to the folder `dir` (both must exist).
fn relative_path(dir: &Path, target: &Path) -> Result<PathBuf> {
    let canon = |p: &Path| {
        p.canonicalize().map_err(|source| Error::Read {
            path: p.to_path_buf(),
            source,
        })
    };
    let (d, t) = (canon(dir)?, canon(target)?);
    let dc: Vec<Component> = d.components().collect();
    let tc: Vec<Component> = t.components().collect();
    let common = dc.iter().zip(&tc).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return Ok(t);
    }
    let mut rel = PathBuf::new();
    for _ in common..dc.len() {
        rel.push("..");
    }
    for c in &tc[common..] {
        rel.push(c.as_os_str());
    }
    Ok(rel)
}

fn period_str(p: Period) -> &'static str {
    p.as_str()
}

/// `fit.csv`: one row per target, fitted or set aside.
pub fn fit_csv(rows: &[FitRow], skipped: &[Skipped]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    w.write_record([
        "target",
        "metric",
        "region",
        "year",
        "period",
        "unit",
        "official",
        "simulated_mean",
        "relative_error",
        "p05",
        "p95",
        "sd",
        "replications",
        "weight",
        "status",
        "confirmed",
        "source",
        "note",
    ])
    .map_err(err)?;
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for r in rows {
        let t = &r.target;
        let status = if t.weight > 0.0 {
            "fitted"
        } else {
            "reported (weight 0)"
        };
        w.write_record([
            t.name.as_str(),
            &t.metric,
            &t.region,
            &t.year.to_string(),
            period_str(t.period),
            &t.unit,
            &t.value.to_string(),
            &opt(r.stats.map(|s| s.mean)),
            &opt(r.rel_error.is_finite().then_some(r.rel_error)),
            &opt(r.stats.map(|s| s.p05)),
            &opt(r.stats.map(|s| s.p95)),
            &opt(r.stats.map(|s| s.sd)),
            &r.stats.map(|s| s.n.to_string()).unwrap_or_default(),
            &t.weight.to_string(),
            status,
            if t.confirmed { "yes" } else { "no" },
            &t.source,
            &t.note,
        ])
        .map_err(err)?;
    }
    for k in skipped {
        let t = &k.target;
        w.write_record([
            t.name.as_str(),
            &t.metric,
            &t.region,
            &t.year.to_string(),
            period_str(t.period),
            &t.unit,
            &t.value.to_string(),
            "",
            "",
            "",
            "",
            "",
            "",
            &t.weight.to_string(),
            &format!("skipped: {}", k.reason),
            if t.confirmed { "yes" } else { "no" },
            &t.source,
            &t.note,
        ])
        .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("csv: {e}")))
}

/// A number with about four significant digits.
fn num(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        "–".into()
    } else if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 10.0 {
        format!("{x:.2}")
    } else if a >= 1.0 {
        format!("{x:.3}")
    } else {
        format!("{x:.4}")
    }
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.1} %", 100.0 * x)
    } else {
        "–".into()
    }
}

/// The fit table as text: target, official value, simulated mean [90 % interval over
/// replications], relative error, weight, unit, source; then the targets set aside.
pub fn fit_table(rows: &[FitRow], skipped: &[Skipped]) -> String {
    let mut table: Vec<[String; 8]> = vec![[
        "target".into(),
        "period".into(),
        "official".into(),
        "simulated [90 % interval]".into(),
        "rel. error".into(),
        "weight".into(),
        "unit".into(),
        "source".into(),
    ]];
    let mut recalled = false;
    for r in rows {
        let t = &r.target;
        recalled |= !t.confirmed;
        table.push([
            format!("{} ({})", t.name, t.region),
            format!("{} {}", t.year, period_str(t.period)),
            format!("{}{}", num(t.value), if t.confirmed { "" } else { "*" }),
            r.stats
                .map(|s| format!("{} [{}–{}]", num(s.mean), num(s.p05), num(s.p95)))
                .unwrap_or_else(|| "undefined".into()),
            pct(r.rel_error),
            format!("{}", t.weight),
            t.unit.clone(),
            t.source.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in table.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c].saturating_sub(cell.chars().count());
            let right = matches!(c, 2..=5);
            if c > 0 {
                line.push_str("  ");
            }
            if c == 7 {
                line.push_str(cell);
            } else if right {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
        if i == 0 {
            let total: usize = widths.iter().take(7).sum::<usize>() + 2 * 7 + 6;
            let _ = writeln!(out, "{}", "-".repeat(total));
        }
    }
    if recalled {
        let _ = writeln!(out, "* recalled, not confirmed in the source");
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "set aside (not fitted, not reported):");
        for k in skipped {
            let t = &k.target;
            let _ = writeln!(
                out,
                "  {} ({}, {} {}): {} {}: {}",
                t.name,
                t.region,
                t.year,
                period_str(t.period),
                num(t.value),
                t.unit,
                k.reason
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let tmp = std::env::temp_dir().join(format!("sn-rel-{}", std::process::id()));
        let a = tmp.join("a");
        let b = tmp.join("b").join("c");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let f = a.join("s.toml");
        std::fs::write(&f, "").unwrap();
        assert_eq!(
            relative_path(&b, &f).unwrap(),
            PathBuf::from("../../a/s.toml")
        );
        assert_eq!(relative_path(&a, &f).unwrap(), PathBuf::from("s.toml"));
        let _ = std::fs::remove_dir_all(&tmp);
    }

    #[test]
    fn nested_keys_become_tables() {
        let mut t = Table::new();
        insert_path(&mut t, "a.b.c", Value::Float(1.5));
        insert_path(&mut t, "a.b.d", Value::Integer(2));
        insert_path(&mut t, "e", Value::Float(0.25));
        let s = toml::to_string(&t).unwrap();
        assert!(
            s.contains("[a.b]") && s.contains("c = 1.5") && s.contains("d = 2"),
            "{s}"
        );
        assert!(
            s.find("e = 0.25").unwrap() < s.find("[a.b]").unwrap(),
            "{s}"
        );
    }
}
