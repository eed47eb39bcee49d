//! `safetynet report RESULTS_DIR`: write report.html for a finished results folder.

use super::print_out;
use crate::error::Result;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Results folder written by `run`, `compare` or `sweep` (holds summary.csv and
    /// manifest.json).
    pub results_dir: PathBuf,
}

pub(super) fn run(a: ReportArgs) -> Result<()> {
    let path = crate::report::write(&a.results_dir)?;
    print_out(&format!("report: {}\n", path.display()))
}
