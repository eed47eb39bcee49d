//! `safetynet run SCENARIO`: simulate, print the summary table, write the results folder.
//! The folder is written whole (see [`crate::folder`]); each finished replication is
//! checkpointed, so `--resume` continues a killed run; `--shard i/n` runs a part of the
//! replications and writes their exact counters for `safetynet merge`.

use super::{print_out, progress_bar, SimArgs};
use crate::engine::{self, Model, RunCounters, RunOptions};
use crate::error::{Error, Result};
use crate::folder::Staged;
use crate::output::{self, Manifest};
use crate::shard::{rep_file_name, Identity, RepRecord, ShardSpec};
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML), e.g. scenarios/baseline.toml.
    pub scenario: PathBuf,
    /// Results folder (default: results/<scenario name>, or results/<name>-shard-<i>-of-<n>
    /// with --shard). It is replaced whole; a folder holding other files is refused.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also report every province.
    #[arg(long)]
    pub by_province: bool,
    /// Also write report.html (charts and tables) into the results folder.
    #[arg(long)]
    pub report: bool,
    /// Overrun risk against a budget line, e.g. --budget 'cost_government=300,320,340' (bn
    /// yuan per year from the first year; or YEAR:VALUE pairs; METRIC@REGION for a region);
    /// repeatable; writes overrun.csv and exceedance.csv.
    #[arg(long, value_name = "METRIC=V1,V2,...")]
    pub budget: Vec<String>,
    /// Money (every yuan figure, table, budget line and the report) in the prices of YEAR,
    /// a simulated year, by the scenario's price index (dynamics.prices.inflation); default:
    /// nominal yuan.
    #[arg(long, value_name = "YEAR")]
    pub prices: Option<i32>,
    /// Run part i of n (whole replications) and write its exact counters for `safetynet
    /// merge`, e.g. --shard 2/4.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Continue a killed or interrupted run from the replications it finished (same
    /// scenario, options and --out).
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub sim: SimArgs,
}

pub(super) fn run(a: RunArgs, argv: Vec<String>) -> Result<()> {
    let sim = a.sim.with_provinces(a.by_province);
    let loaded = sim.load(&a.scenario)?;
    let s = loaded.scenario.simulation.clone();
    let shard = a
        .shard
        .as_deref()
        .map(|x| ShardSpec::parse(x, s.replications))
        .transpose()?;
    if shard.is_some() && a.report {
        return Err(Error::Usage(
            "--report with --shard: a shard holds counters, not results; add --report to \
             `safetynet merge`"
                .into(),
        ));
    }
    // A shard writes counters only: what restates or assesses results belongs to merge.
    if shard.is_some() && a.prices.is_some() {
        return Err(Error::Usage(
            "--prices with --shard: a shard holds counters, not results; pass --prices to \
             `safetynet merge`"
                .into(),
        ));
    }
    if shard.is_some() && !a.budget.is_empty() {
        return Err(Error::Usage(
            "--budget with --shard: a shard holds counters, not results; pass --budget to \
             `safetynet merge`"
                .into(),
        ));
    }
    let model = Model::new(&loaded)?;
    let budget = crate::overrun::parse_all(
        &a.budget,
        loaded.scenario.simulation.start_year,
        loaded.scenario.simulation.years,
    )?;
    crate::overrun::check_regions(&budget, &model)?;
    if let Some(y) = a.prices {
        output::check_prices_year(y, s.start_year, s.years)?;
    }
    let out = a.out.clone().unwrap_or_else(|| {
        let name = &loaded.scenario.name;
        PathBuf::from("results").join(match shard {
            Some(sh) => format!("{name}-shard-{}-of-{}", sh.index, sh.count),
            None => name.clone(),
        })
    });
    // A bad output path fails now, before the first simulated month.
    let staged = Staged::begin(&out, a.resume)?;
    let models = vec![model];
    let reps: Vec<u32> = match shard {
        Some(sh) => sh.replications(s.replications),
        None => (0..s.replications).collect(),
    };
    let identity = Identity::new(&models, shard, &reps, argv.clone())?;
    let records = simulate_checkpointed(&staged, &models, &identity, &reps, &sim, a.resume)?;

    if let Some(sh) = shard {
        staged.write("shard.json", &identity.to_json()?)?;
        for r in &records {
            staged.write(&format!("reps/{}", rep_file_name(r.rep)), &r.to_bytes())?;
        }
        staged.commit()?;
        return print_out(&format!(
            "shard {sh} of `{}`: replications {} of {} ({} households each); counters in {}\n\
             combine all {} shards with: safetynet merge DIR... --out RESULTS\n",
            loaded.scenario.name,
            span(&reps),
            s.replications,
            s.households,
            out.display(),
            sh.count
        ));
    }
    let rc = RepRecord::assemble(&records, models.len());
    let text = write_run(staged, &models, &rc, argv, a.report, &budget, a.prices)?;
    print_out(&text)
}

/// "3–5" or "4".
fn span(reps: &[u32]) -> String {
    match (reps.first(), reps.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (Some(a), _) => a.to_string(),
        _ => "none".into(),
    }
}

/// Simulate `reps` one replication at a time, checkpointing each as it finishes; with
/// `resume`, take the finished ones from the checkpoints of the same run.
fn simulate_checkpointed(
    staged: &Staged,
    models: &[Model],
    identity: &Identity,
    reps: &[u32],
    sim: &SimArgs,
    resume: bool,
) -> Result<Vec<RepRecord>> {
    let dir = staged.checkpoint_dir();
    let id_path = dir.join("run.json");
    let mut done: BTreeMap<u32, RepRecord> = BTreeMap::new();
    if resume && id_path.is_file() {
        let old = Identity::read(&id_path, &dir.display().to_string())?;
        if let Some((what, was, now)) = old.difference(identity).or_else(|| {
            (old.shard != identity.shard).then(|| {
                (
                    "shard".to_string(),
                    fmt_shard(old.shard),
                    fmt_shard(identity.shard),
                )
            })
        }) {
            return Err(Error::Usage(format!(
                "--resume: the checkpoints in {} are of another run ({what} {was}, now {now}); \
                 run without --resume to start over",
                dir.display()
            )));
        }
        for &rep in reps {
            if dir.join(rep_file_name(rep)).is_file() {
                // A checkpoint is renamed into place whole; one that does not read is redone.
                if let Ok(r) = RepRecord::read(&dir, rep) {
                    if r.counters.len() == models.len() {
                        done.insert(rep, r);
                    }
                }
            }
        }
        if !sim.quiet {
            eprintln!(
                "resuming: {} of {} replications already finished",
                done.len(),
                reps.len()
            );
        }
    } else if resume && !sim.quiet {
        eprintln!("resuming: no checkpoints in {}; starting", dir.display());
    }
    if !id_path.is_file() {
        checkpoint_write(&dir, "run.json", &identity.to_json()?)?;
    }
    let per_rep = engine::work_items(models) / models[0].scenario().simulation.replications as u64;
    let todo = reps.iter().filter(|r| !done.contains_key(r)).count() as u64;
    let pb = progress_bar(per_rep * todo, sim.quiet, "simulating");
    let opts = RunOptions {
        threads: sim.threads,
        progress: Some(pb.clone()),
    };
    let mut out = Vec::with_capacity(reps.len());
    for &rep in reps {
        if let Some(r) = done.remove(&rep) {
            out.push(r);
            continue;
        }
        let rc: RunCounters = engine::run_replications(models, &opts, false, &[rep])?;
        let rec = RepRecord::split(rc, &[rep])
            .pop()
            .ok_or_else(|| Error::Internal("no counters for a replication".into()))?;
        checkpoint_write(&dir, &rep_file_name(rep), &rec.to_bytes())?;
        out.push(rec);
    }
    pb.finish_and_clear();
    Ok(out)
}

fn fmt_shard(s: Option<ShardSpec>) -> String {
    s.map(|s| s.to_string()).unwrap_or("none".into())
}

/// Write a checkpoint file whole (temporary name, then rename).
fn checkpoint_write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let err = |p: &Path, source| Error::Write {
        path: p.to_path_buf(),
        source,
    };
    if !dir.is_dir() {
        crate::folder::fault_point();
        std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
    }
    let tmp = dir.join(format!(".{name}.tmp"));
    crate::folder::fault_point();
    std::fs::write(&tmp, bytes).map_err(|e| err(&tmp, e))?;
    crate::folder::fault_point();
    std::fs::rename(&tmp, dir.join(name)).map_err(|e| err(&dir.join(name), e))
}

/// Write a whole run's folder (summary.csv, replications.csv, manifest.json, report.html if
/// asked for) and put it in place, money in the prices of `prices` (nominal when `None`);
/// returns the text to print.
pub(super) fn write_run(
    staged: Staged,
    models: &[Model],
    rc: &RunCounters,
    argv: Vec<String>,
    report: bool,
    budget: &[crate::overrun::BudgetLine],
    prices: Option<i32>,
) -> Result<String> {
    let mut results = output::collect(models, rc);
    if let Some(y) = prices {
        output::restate_prices(&mut results, models, y)?;
    }
    let manifest = Manifest::new(models, argv).with_draws(rc);
    let (summary, mut extra_text) = crate::payers::run_summary_csv(models, rc, &results)?;
    if !budget.is_empty() {
        let (table, files) = crate::overrun::assess(&models[0], &results[0], budget)?;
        for (name, bytes) in files {
            staged.write(name, &bytes)?;
        }
        extra_text.push('\n');
        extra_text.push_str(&table);
    }
    staged.write("summary.csv", &summary)?;
    staged.write("replications.csv", &output::replications_csv(&results)?)?;
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?;
    staged.write("manifest.json", &json)?;
    let out = staged.target().to_path_buf();
    if report {
        write_report(&staged)?;
    }
    staged.commit()?;
    let s = &models[0].scenario().simulation;
    let mut text = output::summary_table(&results[0], s.start_year, s.years);
    text.push_str(&extra_text);
    text.push_str(&format!(
        "\n{} households x {} replications x {} months; results in {}\n",
        s.households,
        s.replications,
        s.months(),
        out.display()
    ));
    if report {
        text.push_str(&format!("report: {}\n", out.join("report.html").display()));
    }
    Ok(text)
}

/// Render report.html from the staged files (naming the folder they will be in).
pub(super) fn write_report(staged: &Staged) -> Result<()> {
    let mut folder = crate::report::ResultsFolder::read(staged.path())?;
    folder.dir = staged.target().to_path_buf();
    let html = crate::report::render(&folder)?;
    staged.write("report.html", html.as_bytes())
}
