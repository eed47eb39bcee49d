//! `metrics.*`: how poverty is measured. Parameters of the metrics layer, kept below the
//! scenario (which composes every layer's parameters) so that nothing imports upward; the
//! layer table in `tests/layers.rs` places this module with the primitives.

use crate::check::Checker;
use crate::schedule::Schedule;
use crate::simulation::SimulationParams;
use serde::{Deserialize, Serialize};

/// `metrics.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsParams {
    /// Poverty line for FGT and poverty dynamics: "dibao_standard", "absolute" or "relative".
    pub poverty_line: LineKind,
    /// Absolute line, yuan per person per month (nominal), by year.
    pub absolute_line: Schedule,
    /// Relative line as a share 0–1 of the reference median income.
    pub relative_share: f64,
    /// Reference median per-capita income in the start year, yuan per person per month; it
    /// grows with nominal incomes.
    pub relative_median_income: f64,
    /// Also report every province.
    pub by_province: bool,
    /// Also read poverty from the year's income (`fgt0_pre_annual`, `fgt0_post_annual`, the
    /// yearly exit and fall-back rates): every month of every household is then stepped, about
    /// 1.4 times the run's time (`benches/throughput.rs`, `annual`); off, the rows are absent and nothing else changes.
    pub annual_poverty: bool,
}

impl MetricsParams {
    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
        if self.poverty_line == LineKind::Absolute {
            let years = sim.start_year..=sim.start_year + sim.years as i32 - 1;
            c.schedule(
                "metrics.absolute_line",
                &self.absolute_line,
                years,
                0.0,
                1e6,
                "yuan per person per month",
            );
        }
        c.share("metrics.relative_share", self.relative_share);
        c.range(
            "metrics.relative_median_income",
            self.relative_median_income,
            0.0,
            1e7,
            "yuan per person per month",
        );
    }

    /// The poverty line of year index `t`, given the stratum's standard and the income index.
    #[inline]
    pub fn line(
        &self,
        kind: LineKind,
        start_year: i32,
        t: usize,
        standard: f64,
        income_index: f64,
    ) -> f64 {
        match kind {
            LineKind::Standard => standard,
            LineKind::Absolute => self.absolute_line.at(start_year + t as i32).unwrap_or(0.0),
            LineKind::Relative => self.relative_share * self.relative_median_income * income_index,
        }
    }

    /// The kind of line.
    pub fn line_kind(&self) -> LineKind {
        self.poverty_line
    }
}

/// Which poverty line (`metrics.poverty_line`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineKind {
    /// The local dibao standard, yuan per person per month.
    #[serde(rename = "dibao_standard")]
    Standard,
    /// `metrics.absolute_line` of the year.
    #[serde(rename = "absolute")]
    Absolute,
    /// `metrics.relative_share` of the reference median income.
    #[serde(rename = "relative")]
    Relative,
}
