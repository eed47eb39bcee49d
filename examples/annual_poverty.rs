//! Poverty read from the year's income beside the engine's monthly reading, for the same
//! simulated households (`safetynet::metrics::annual`; README, "Poverty read from the year's
//! income").
//!
//! ```sh
//! cargo run --release --example annual_poverty -- scenarios/baseline.toml [HOUSEHOLDS [REPS]] [--set KEY=VALUE ...]
//! ```
//!
//! Prints, per year, means over replications (se in brackets): the share of persons poor after
//! and before transfers read month by month (the engine's `fgt0_post` / `fgt0_pre`) and on the
//! year's income, the yearly exit rate from annual poverty and the share of those exits poor
//! again the next year.

use safetynet::engine::Model;
use safetynet::metrics::annual::{annual_poverty, AnnualYear};
use safetynet::scenario::{load, parse_override};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sets: Vec<String> = args
        .windows(2)
        .filter(|w| w[0] == "--set")
        .map(|w| w[1].clone())
        .collect();
    let plain: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--set"))
        .map(|(_, a)| a)
        .collect();
    let path = plain
        .first()
        .ok_or("usage: annual_poverty SCENARIO [HOUSEHOLDS [REPS]] [--set KEY=VALUE ...]")?;
    let households: u64 = plain.get(1).map_or(Ok(20_000), |s| s.parse())?;
    let reps: u32 = plain.get(2).map_or(Ok(4), |s| s.parse())?;
    let mut overrides = vec![parse_override(&format!(
        "simulation.households={households}"
    ))?];
    for s in &sets {
        overrides.push(parse_override(s)?);
    }
    let loaded = load(Path::new(path.as_str()))?.with_overrides(&overrides, "annual_poverty")?;
    let model = Model::new(&loaded)?;
    let runs: Vec<Vec<AnnualYear>> = (0..reps)
        .map(|r| annual_poverty(&model, r, households))
        .collect::<Result<_, _>>()?;
    println!(
        "{} households x {reps} replications; shares, mean over replications (se)",
        households
    );
    println!(
        "{:<6}{:>22}{:>22}{:>22}{:>22}{:>22}{:>22}",
        "year",
        "poor after, monthly",
        "poor after, annual",
        "poor before, monthly",
        "poor before, annual",
        "exit rate, annual",
        "back in 1 year"
    );
    let fields: [fn(&AnnualYear) -> f64; 6] = [
        |a| a.monthly_post,
        |a| a.annual_post,
        |a| a.monthly_pre,
        |a| a.annual_pre,
        |a| a.annual_exit_rate,
        |a| a.annual_fallback_1y,
    ];
    for t in 0..runs[0].len() {
        let mut line = format!("{:<6}", runs[0][t].year);
        for f in &fields {
            let v: Vec<f64> = runs.iter().map(|r| f(&r[t])).collect();
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            let se = if v.len() > 1 {
                (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt()
            } else {
                f64::NAN
            };
            line.push_str(&format!("{:>22}", format!("{mean:.4} ({se:.4})")));
        }
        println!("{line}");
    }
    Ok(())
}
