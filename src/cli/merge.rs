//! `safetynet merge SHARD_DIR... --out DIR`: combine the shards of one run (written by
//! `run --shard i/n`) into the results folder one process would have written: the same
//! summary.csv and replications.csv bytes; manifest.json differs only in `command`.

use super::print_out;
use crate::error::{Error, Result};
use crate::folder::Staged;
use crate::metrics::Counters;
use crate::shard::{Identity, RepRecord};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard folders written by `safetynet run --shard i/n` (every shard of one run, once).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Results folder to write (replaced whole).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write report.html.
    #[arg(long)]
    pub report: bool,
    /// Overrun risk against a budget line, as `run --budget` (a shard cannot assess it).
    #[arg(long, value_name = "METRIC=V1,V2,...")]
    pub budget: Vec<String>,
    /// Money in the prices of YEAR, a simulated year (as `run --prices`); default: nominal.
    #[arg(long, value_name = "YEAR")]
    pub prices: Option<i32>,
    /// No progress messages.
    #[arg(long, short)]
    pub quiet: bool,
}

pub(super) fn run(a: MergeArgs, argv: Vec<String>) -> Result<()> {
    // Read and cross-check every shard's identity before anything is written.
    let mut ids: Vec<(String, Identity)> = Vec::new();
    for dir in &a.shards {
        let what = format!("shard {}", dir.display());
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "{what}: no such folder; give folders written by `safetynet run --shard i/n`"
            )));
        }
        let path = dir.join("shard.json");
        if !path.is_file() {
            return Err(Error::Usage(format!(
                "{what}: not a shard (no shard.json); give folders written by `safetynet run \
                 --shard i/n`"
            )));
        }
        let id = Identity::read(&path, &what)?;
        if id.shard.is_none() {
            return Err(Error::Usage(format!(
                "{what}: shard.json names no shard i/n"
            )));
        }
        ids.push((what, id));
    }
    let (first_what, first) = &ids[0];
    for (what, id) in &ids[1..] {
        if let Some((setting, a_val, b_val)) = first.difference(id) {
            return Err(Error::Usage(format!(
                "{what} does not belong with {first_what}: {setting} {b_val} against {a_val}; \
                 every shard must come from the same scenario, seed, version and shard count"
            )));
        }
    }
    let count = first.shard.map(|s| s.count).unwrap_or(0);
    let mut by_index: Vec<Option<&str>> = vec![None; count as usize];
    for (what, id) in &ids {
        let sh = id.shard.expect("checked above");
        let slot = &mut by_index[(sh.index - 1) as usize];
        if let Some(other) = slot {
            return Err(Error::Usage(format!(
                "{what} duplicates {other}: both are shard {sh}; give each shard once"
            )));
        }
        *slot = Some(what);
        if id.replication_list != sh.replications(id.replications) {
            return Err(Error::Usage(format!(
                "{what}: shard {sh} should hold replications {:?}, its shard.json lists {:?}",
                sh.replications(id.replications),
                id.replication_list
            )));
        }
    }
    let missing: Vec<String> = by_index
        .iter()
        .enumerate()
        .filter(|(_, w)| w.is_none())
        .map(|(i, _)| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "shard{} {} missing: the run has {count} shards and {} were given",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            ids.len()
        )));
    }
    let models = first.models(first_what)?;
    let s = &models[0].scenario().simulation;
    if let Some(y) = a.prices {
        crate::output::check_prices_year(y, s.start_year, s.years)?;
    }
    let budget = crate::overrun::parse_all(&a.budget, s.start_year, s.years)?;
    crate::overrun::check_regions(&budget, &models[0])?;
    let staged = Staged::begin(&a.out, false)?;
    let mut records: Vec<RepRecord> = Vec::with_capacity(first.replications as usize);
    let mut order: Vec<(u32, usize)> = ids
        .iter()
        .enumerate()
        .flat_map(|(k, (_, id))| id.replication_list.iter().map(move |&r| (r, k)))
        .collect();
    order.sort_unstable();
    for (rep, k) in order {
        let (what, _) = &ids[k];
        let dir = a.shards[k].join("reps");
        let r = RepRecord::read(&dir, rep).map_err(|e| match e {
            Error::Read { path, source } => Error::Usage(format!(
                "{what}: replication {rep} is missing ({}: {source})",
                path.display()
            )),
            other => other,
        })?;
        // Only the counter store's flat view: its layout is its own business.
        let shape_ok = r.counters.len() == models.len()
            && r.counters.iter().zip(&models).all(|(c, m)| {
                let zero = Counters::new(
                    m.pop.strata.strata.len(),
                    m.scenario().simulation.years as usize,
                );
                c.to_flat().0 == zero.to_flat().0
            });
        if !shape_ok {
            return Err(Error::Usage(format!(
                "{what}: replication {rep} does not have the counter shape of its scenario"
            )));
        }
        records.push(r);
    }
    if !a.quiet {
        eprintln!(
            "merging {} shards: {} replications of `{}`",
            count,
            records.len(),
            models[0].scenario().name
        );
    }
    let rc = RepRecord::assemble(&records, models.len());
    let text = super::run::write_run(staged, &models, &rc, argv, a.report, &budget, a.prices)?;
    print_out(&text)
}
