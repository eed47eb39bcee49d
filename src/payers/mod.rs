//! Who pays: cost split between the central transfer (the "subsidy funds for people in
//! difficulty") and local budgets, by province and program (DESIGN section 4).
//!
//! The central allocation of year t is made in advance, from the province's expected need:
//! for each province and covered program (dibao, tekun, temporary assistance), the mean over
//! replications of the modelled cost of year t − 1 (year t itself for the first year, which
//! has no simulated prior year), grown by `payers.allocation_growth`, times the central share
//! of the province's region class (`payers.central_share.*`, larger in the west and centre).
//! In each replication the central fund pays the actual cost up to its allocation; the local
//! budget pays the rest, so an overrun lands on it. Special assistance and care services are
//! local. The split is computed from the province × program cost figures after the
//! reduction; the engine is not involved. Because the expected need is the mean over all
//! the run's replications, a replication's payer rows change with `--reps`, replications are
//! not independent for them, and local = max(0, cost − allocation) is not strictly monotone
//! in a key; the first year's allocation is not made in advance (README, "Who pays").

pub mod params;

pub use crate::metrics::payers::{
    payer_figures, region_class, split, split_one, PayerSplit, ALLOCATION_CSV,
};

use crate::engine::{Model, RunCounters};
use crate::error::Result;
use crate::metrics::{Period, METRICS};

/// The printed payer table: national, by year, mean [90 % interval] (empty when the results
/// have no payer figures).
pub fn payer_table(r: &crate::output::ScenarioResults) -> String {
    let cols: [(&str, &str); 6] = [
        ("central allocation", "central_allocation"),
        ("central paid", "cost_central_total"),
        ("of which dibao", "cost_central_dibao"),
        ("local paid", "cost_local_total"),
        ("of which dibao", "cost_local_dibao"),
        ("local special", "cost_local_special"),
    ];
    let mut years: Vec<i32> = r
        .reps
        .first()
        .into_iter()
        .flatten()
        .filter(|f| METRICS[f.metric].is_payer())
        .map(|f| f.year)
        .collect();
    years.dedup();
    if years.is_empty() {
        return String::new();
    }
    let mut table = vec![
        std::iter::once("year".to_string())
            .chain(cols.iter().map(|c| c.0.to_string()))
            .collect::<Vec<_>>(),
        std::iter::once(String::new())
            .chain(
                cols.iter()
                    .map(|_| crate::output::unit_in("bn yuan", r.prices)),
            )
            .collect(),
    ];
    for y in years {
        let mut row = vec![y.to_string()];
        for (_, m) in cols {
            // `local special` is the sum of the special assistance costs of the table.
            let vals: Vec<f64> = if m == "cost_local_special" {
                let parts: Vec<Vec<f64>> = METRICS
                    .iter()
                    .filter(|d| d.name.starts_with("cost_local_special"))
                    .map(|d| r.values(y, Period::FullYear, "national", d.name))
                    .collect();
                (0..parts.first().map_or(0, |p| p.len()))
                    .map(|i| parts.iter().map(|p| p[i]).sum())
                    .collect()
            } else {
                r.values(y, Period::FullYear, "national", m)
            };
            let cell = crate::metrics::Stats::of(&vals)
                .map(|st| {
                    if st.sd <= 1e-9 * st.mean.abs() {
                        format!("{:.1}", st.mean)
                    } else {
                        format!("{:.1} [{:.1}–{:.1}]", st.mean, st.p05, st.p95)
                    }
                })
                .unwrap_or_else(|| "–".into());
            row.push(cell);
        }
        table.push(row);
    }
    format!(
        "Payers, `{}`: central transfer (allocated from the prior year's expected need, the first year from its own) and local budgets{}; national, full year, mean [90 % interval]\n{}",
        r.name,
        crate::output::prices_note(r.prices),
        crate::output::align(&table, 2)
    )
}

/// summary.csv of a one-scenario run as `safetynet run` writes it (the payer rows are
/// figures of `results`), and the printed payer table (empty without provinces).
pub fn run_summary_csv(
    models: &[Model],
    rc: &RunCounters,
    results: &[crate::output::ScenarioResults],
) -> Result<(Vec<u8>, String)> {
    // A province without a region class never gets here: `Model::new` refuses it.
    split(models, rc)?;
    let summary = crate::output::summary_csv(results)?;
    let mut text = String::new();
    let table = payer_table(&results[0]);
    if !table.is_empty() {
        text.push('\n');
        text.push_str(&table);
    }
    Ok((summary, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every government cost of the metric table has a local payer row, and a central one
    /// when co-financed; `metrics::find` knows them, so `solve`, `--budget`, compare and
    /// sweep can name them.
    #[test]
    fn every_government_cost_has_payer_metrics() {
        use crate::metrics::{find, Payer, COSTS};
        for k in COSTS.iter().filter(|k| k.payer == Payer::Government) {
            let p = k.metric.trim_start_matches("cost_");
            assert!(find(&format!("cost_local_{p}")).unwrap().is_payer());
            assert_eq!(find(&format!("cost_central_{p}")).is_ok(), k.central);
        }
        for name in [
            "cost_central_total",
            "cost_local_total",
            "central_allocation",
        ] {
            assert_eq!(find(name).unwrap().unit, "billion yuan");
        }
        assert!(find("cost_local_charity").is_err());
    }

    #[test]
    fn every_province_of_the_strata_table_has_a_region_class() {
        let strata = include_str!("../../synthetic-data/strata-2023.csv");
        let mut r = csv::Reader::from_reader(strata.as_bytes());
        for rec in r.records() {
            let rec = rec.unwrap();
            let class = region_class(&rec[0]).unwrap();
            assert!(["east", "centre", "northeast", "west"].contains(&class));
        }
        assert_eq!(crate::payers::params::classes().len(), 31);
    }
}
