//! `safetynet validate SCENARIO...`: check scenario files without running them.

use super::print_out;
use crate::engine::Model;
use crate::error::Result;
use crate::scenario;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
}

pub(super) fn run(a: ValidateArgs) -> Result<()> {
    for p in &a.scenarios {
        // Microdata paths are relative to the scenario file.
        let loaded = crate::scenario::resolve_microdata_paths(scenario::load(p)?)?;
        Model::new(&loaded)?;
        print_out(&format!(
            "ok  {}  `{}`  sha256 {}\n",
            p.display(),
            loaded.scenario.name,
            &loaded.hash[..16]
        ))?;
    }
    Ok(())
}
