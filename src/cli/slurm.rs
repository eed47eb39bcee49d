//! `safetynet slurm SCENARIO --shards N --out DIR [sbatch options]`: write a Slurm job-array
//! script (task i runs `safetynet run --shard i/N`) and a merge job script, and print the two
//! sbatch commands that submit them with the merge depending on the array (or submit them
//! with `--submit`). Slurm schedules; safetynet only splits and merges.

use super::{print_out, SimArgs};
use crate::error::{Error, Result};
use crate::folder::StagedFiles;
use crate::shard::ShardSpec;
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `slurm`.
#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Number of shards: array tasks, each running whole replications (at most the
    /// replication count).
    #[arg(long)]
    pub shards: u32,
    /// Results folder the merge job writes (default: results/<scenario name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Folder for the job scripts, shard folders and logs (default: slurm/<scenario name>).
    #[arg(long)]
    pub work: Option<PathBuf>,
    /// sbatch --partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// sbatch --time of each task, e.g. 01:00:00.
    #[arg(long)]
    pub time: Option<String>,
    /// sbatch --mem of each task, e.g. 4G.
    #[arg(long)]
    pub mem: Option<String>,
    /// sbatch --cpus-per-task (each task uses that many threads).
    #[arg(long)]
    pub cpus: Option<u32>,
    /// sbatch --account.
    #[arg(long)]
    pub account: Option<String>,
    /// sbatch --qos.
    #[arg(long)]
    pub qos: Option<String>,
    /// Any further #SBATCH option for both scripts, e.g. --sbatch=--constraint=avx2
    /// (repeatable).
    #[arg(long = "sbatch", value_name = "OPTION", allow_hyphen_values = true)]
    pub sbatch: Vec<String>,
    /// The safetynet binary the jobs run (default: this one).
    #[arg(long)]
    pub bin: Option<PathBuf>,
    /// Also write report.html in the merge job.
    #[arg(long)]
    pub report: bool,
    /// Also report every province.
    #[arg(long)]
    pub by_province: bool,
    /// Submit both jobs with sbatch instead of printing the commands.
    #[arg(long)]
    pub submit: bool,
    #[command(flatten)]
    pub sim: SimArgs,
}

/// Quote for a POSIX shell.
fn q(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn abs(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|e| {
        Error::Usage(format!(
            "{}: cannot make the path absolute: {e}",
            p.display()
        ))
    })
}

fn text_ok(flag: &str, v: &str) -> Result<()> {
    if v.is_empty() || v.chars().any(|c| c.is_control()) {
        return Err(Error::Usage(format!(
            "{flag} `{}`: allowed: a non-empty value on one line",
            v.escape_debug()
        )));
    }
    Ok(())
}

pub(super) fn run(a: SlurmArgs) -> Result<()> {
    let sim = a.sim.with_provinces(a.by_province);
    // The whole scenario is checked here, not in the first task.
    let loaded = sim.load(&a.scenario)?;
    let reps = loaded.scenario.simulation.replications;
    ShardSpec::parse(&format!("1/{}", a.shards), reps)
        .map_err(|_| Error::Usage(format!(
            "--shards {}: allowed: 1 to the replication count ({reps}); each shard runs whole replications",
            a.shards
        )))?;
    let name = loaded.scenario.name.clone();
    let out = abs(&a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&name)))?;
    crate::folder::check_target(&out)?;
    let work = abs(&a
        .work
        .clone()
        .unwrap_or_else(|| PathBuf::from("slurm").join(&name)))?;
    let bin = match &a.bin {
        Some(b) => abs(b)?,
        None => std::env::current_exe()
            .map_err(|e| Error::Internal(format!("path of this binary: {e}")))?,
    };
    let cwd =
        std::env::current_dir().map_err(|e| Error::Internal(format!("current folder: {e}")))?;
    let scenario = abs(&a.scenario)?;
    let mut header = Vec::new();
    for (flag, v) in [
        ("partition", &a.partition),
        ("time", &a.time),
        ("mem", &a.mem),
        ("account", &a.account),
        ("qos", &a.qos),
    ] {
        if let Some(v) = v {
            text_ok(&format!("--{flag}"), v)?;
            header.push(format!("#SBATCH --{flag}={v}"));
        }
    }
    for extra in &a.sbatch {
        text_ok("--sbatch", extra)?;
        if !extra.starts_with('-') {
            return Err(Error::Usage(format!(
                "--sbatch `{extra}`: allowed: an sbatch option such as --constraint=avx2"
            )));
        }
        header.push(format!("#SBATCH {extra}"));
    }

    // The run's options, forwarded to every task as given.
    let mut args: Vec<String> = vec!["run".into(), scenario.display().to_string()];
    let mut opt = |flag: &str, v: Option<String>| {
        if let Some(v) = v {
            args.push(flag.into());
            args.push(v);
        }
    };
    opt("--households", sim.households.map(|v| v.to_string()));
    opt("--reps", sim.reps.map(|v| v.to_string()));
    opt("--seed", sim.seed.map(|v| v.to_string()));
    opt("--years", sim.years.map(|v| v.to_string()));
    opt("--chunk-size", sim.chunk_size.map(|v| v.to_string()));
    opt(
        "--population",
        sim.population.as_ref().map(|p| p.display().to_string()),
    );
    opt(
        "--persons",
        sim.persons.as_ref().map(|p| p.display().to_string()),
    );
    opt("--min-cell", sim.min_cell.map(|v| v.to_string()));
    for s in &sim.sets {
        args.push("--set".into());
        args.push(s.clone());
    }
    let run_cmd: Vec<String> = std::iter::once(bin.display().to_string())
        .chain(args)
        .map(|s| q(&s))
        .collect();
    let n = a.shards;
    let shard_dir = |i: &str| format!("{}/shards/shard-{i}", work.display());
    let cpus = a
        .cpus
        .map(|c| format!("#SBATCH --cpus-per-task={c}\n"))
        .unwrap_or_default();
    let head = |job: &str, log: &str| {
        let mut h = format!(
            "#!/bin/bash\n#SBATCH --job-name={}\n#SBATCH --chdir={}\n#SBATCH --output={}/logs/{log}\n",
            q(&format!("safetynet-{name}-{job}")),
            q(&cwd.display().to_string()),
            q(&work.display().to_string()),
        );
        for l in &header {
            h.push_str(l);
            h.push('\n');
        }
        h
    };
    let shards_script = format!(
        "{}#SBATCH --array=1-{n}\n{cpus}\
         # Written by `safetynet slurm`: task i runs shard i/{n} (whole replications) of `{name}`.\n\
         set -euo pipefail\n\
         i=\"${{SLURM_ARRAY_TASK_ID:?not a Slurm array task}}\"\n\
         exec {} --threads \"${{SLURM_CPUS_PER_TASK:-0}}\" --quiet --shard \"$i/{n}\" --out {}\"$i\"\n",
        head("shards", "shard-%a.out"),
        run_cmd.join(" "),
        q(&shard_dir("")),
    );
    let shard_list: Vec<String> = (1..=n).map(|i| q(&shard_dir(&i.to_string()))).collect();
    let merge_script = format!(
        "{}\
         # Written by `safetynet slurm`: combine the {n} shards into the results folder.\n\
         set -euo pipefail\n\
         exec {} merge {} --out {} --quiet{}\n",
        head("merge", "merge.out"),
        q(&bin.display().to_string()),
        shard_list.join(" "),
        q(&out.display().to_string()),
        if a.report { " --report" } else { "" },
    );
    let shards_path = work.join("shards.sbatch");
    let merge_path = work.join("merge.sbatch");
    let files = StagedFiles::check(&[
        ("shards script", shards_path.as_path()),
        ("merge script", merge_path.as_path()),
    ])?;
    files.write_all(&[shards_script.as_bytes(), merge_script.as_bytes()])?;
    std::fs::create_dir_all(work.join("logs")).map_err(|source| Error::Write {
        path: work.join("logs"),
        source,
    })?;
    let sp = q(&shards_path.display().to_string());
    let mp = q(&merge_path.display().to_string());
    if !a.submit {
        return print_out(&format!(
            "wrote {sp} ({n} array tasks) and {mp}\nsubmit with:\n  \
             jid=$(sbatch --parsable {sp})\n  \
             sbatch --dependency=afterok:${{jid%%;*}} {mp}\n\
             results: {}\n",
            out.display()
        ));
    }
    let array = sbatch(&["--parsable".into(), shards_path.display().to_string()])?;
    let merge = sbatch(&[
        "--parsable".into(),
        format!("--dependency=afterok:{array}"),
        merge_path.display().to_string(),
    ])?;
    print_out(&format!(
        "submitted job array {array} ({n} tasks) and merge job {merge} (after the array \
         succeeds)\nresults: {}\n",
        out.display()
    ))
}

/// Run sbatch; the job id it prints.
fn sbatch(args: &[String]) -> Result<String> {
    let o = std::process::Command::new("sbatch")
        .args(args)
        .output()
        .map_err(|e| {
            Error::Usage(format!(
                "--submit: cannot run sbatch ({e}); run without --submit and submit the printed commands on a Slurm login node"
            ))
        })?;
    if !o.status.success() {
        return Err(Error::Usage(format!(
            "sbatch {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    let id = String::from_utf8_lossy(&o.stdout);
    Ok(id.trim().split(';').next().unwrap_or("").to_string())
}
