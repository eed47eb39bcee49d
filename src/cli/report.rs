//! `safetynet report RESULTS_DIR`: write report.html for a finished results folder.

use super::print_out;
use crate::error::{Error, Result};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Results folder written by `run`, `compare` or `sweep` (holds summary.csv and
    /// manifest.json).
    pub results_dir: PathBuf,
    /// Money in the prices of YEAR, a year of the run, by its price index
    /// (dynamics.prices.inflation in manifest.json); default: as the folder holds it.
    #[arg(long, value_name = "YEAR")]
    pub prices: Option<i32>,
}

pub(super) fn run(a: ReportArgs) -> Result<()> {
    let dir = &a.results_dir;
    let usage = |why: &str| {
        Error::Usage(format!(
            "{}: {why}; give a results folder `safetynet run`, `compare`, `sweep` or `merge` \
             wrote (it holds summary.csv and manifest.json)",
            dir.display()
        ))
    };
    if dir.is_file() {
        return Err(usage("is a file, not a results folder"));
    }
    // Reading checks every cell of summary.csv; then the folder must describe a run.
    let mut folder = crate::report::ResultsFolder::read(dir)?;
    check_folder(&folder)?;
    if let Some(y) = a.prices {
        folder.restate_prices(y)?;
    }
    let html = crate::report::render(&folder)?;
    let path = dir.join("report.html");
    crate::output::write_atomic(&path, html.as_bytes())?;
    print_out(&format!("report: {}\n", path.display()))
}

/// A report needs what a run writes: a manifest that describes the run and a summary with
/// at least one figure.
fn check_folder(f: &crate::report::ResultsFolder) -> Result<()> {
    let mpath = f.dir.join("manifest.json");
    for key in ["safetynet_version", "seed", "scenarios"] {
        if f.manifest.get(key).is_none() {
            return Err(Error::Parse {
                file: mpath.display().to_string(),
                message: format!(
                    "not a safetynet manifest: no `{key}` (expected the manifest.json a run writes)"
                ),
            });
        }
    }
    if !f.manifest["scenarios"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
    {
        return Err(Error::Parse {
            file: mpath.display().to_string(),
            message: "key `scenarios`: allowed: a non-empty list of the run's scenarios".into(),
        });
    }
    if f.summary.is_empty() {
        return Err(Error::Parse {
            file: f.dir.join("summary.csv").display().to_string(),
            message: "no figures (a header and no rows): allowed: the summary.csv a run writes"
                .into(),
        });
    }
    Ok(())
}
