//! A path calibration: the targets are the official figures of several years at once, read
//! from the history file through the backtest's own mapping of keys to metrics and its month
//! matching (a stock at its month, a flow over its months, see [`crate::backtest`]): every
//! mapped level dated from the scenario's start year up to `fit_until`, and the change of each
//! figure from one official date to the next (so the fit sees the direction of the path, not
//! only its levels). Standards are drivers, not targets. A recalled row (`confirmed = no`)
//! weighs half; a change weighs half unless both its rows are confirmed.

use super::{FitRow, Target};
use crate::backtest::{self, History, Kind};
use crate::error::{Error, Result};
use crate::metrics::Period;
use crate::output::ScenarioResults;
use crate::scenario::LoadedScenario;
use std::collections::BTreeSet;
use toml::Value;

/// Weight of a figure read in its source, and of one recalled (`confirmed = no`).
pub const WEIGHT_CONFIRMED: f64 = 1.0;
pub const WEIGHT_RECALLED: f64 = 0.5;

/// The history to fit: rows from `from` (the scenario's start year) to `fit_until`.
#[derive(Debug, Clone)]
pub struct PathGoal {
    pub history: History,
    /// First simulated year (the scenario's `simulation.start_year`).
    pub from: i32,
    /// Last year whose rows are fitted; later rows are out of sample and not simulated.
    pub fit_until: i32,
    /// The months' weights of seasonal flows, from the scenario fitted (a free
    /// `programs.temporary.q4_multiple` would not move it).
    pub season: backtest::Season,
}

impl PathGoal {
    /// The goal for `loaded` (a backtest scenario: started in a past year, driven by the
    /// observed series) and the history rows dated up to `fit_until`; returns the scenario
    /// shortened to end in `fit_until`.
    pub fn new(
        history: History,
        loaded: &LoadedScenario,
        fit_until: i32,
    ) -> Result<(PathGoal, LoadedScenario)> {
        let from = loaded.scenario.simulation.start_year;
        let last = from + loaded.scenario.simulation.years as i32 - 1;
        if fit_until < from || fit_until > last {
            return Err(Error::Usage(format!(
                "--fit-until {fit_until}: allowed: a year the scenario simulates, {from} to {last} (simulation.start_year and simulation.years of `{}`)",
                loaded.scenario.name
            )));
        }
        let years = (fit_until - from + 1) as i64;
        let short = loaded.with_overrides(
            &[("simulation.years".into(), Value::Integer(years))],
            "calibrate (horizon ends at --fit-until)",
        )?;
        let goal = PathGoal {
            history,
            from,
            fit_until,
            season: backtest::Season::of(loaded),
        };
        Ok((goal, short))
    }

    /// Years simulated.
    pub fn years(&self) -> u32 {
        (self.fit_until - self.from + 1) as u32
    }

    /// A one-line description for messages and the calibrated file's header.
    pub fn describe(&self) -> String {
        format!(
            "{} rows dated {}-{} (levels and changes between official dates)",
            self.history.file, self.from, self.fit_until
        )
    }

    /// The fit rows of simulated results: levels, then changes.
    pub fn rows(&self, r: &ScenarioResults) -> Vec<FitRow> {
        let (rows, _) = backtest::compare(
            &self.history,
            r,
            self.from,
            self.years(),
            Some(self.fit_until),
            self.season,
        );
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| {
                !r.out_of_sample
                    && r.kind != Kind::Level
                    && !backtest::NOT_FITTED.contains(&r.key.as_str())
            })
            .collect();
        let weight = |confirmed: bool| {
            if confirmed {
                WEIGHT_CONFIRMED
            } else {
                WEIGHT_RECALLED
            }
        };
        let mut out = Vec::new();
        for b in &rows {
            let stats = b.model;
            out.push(FitRow {
                target: Target {
                    name: format!("{} {}", b.key, b.date),
                    metric: b.metric.into(),
                    region: b.region.into(),
                    year: b.date.end_year(),
                    period: Period::FullYear,
                    value: b.official,
                    unit: b.unit.into(),
                    weight: weight(b.confirmed),
                    source: format!("{} row {}", self.history.file, b.row),
                    confirmed: b.confirmed,
                    note: format!("matched: {}", b.matched),
                    requires: Vec::new(),
                },
                stats,
                rel_error: stats
                    .map(|s| (s.mean - b.official) / b.official)
                    .unwrap_or(f64::NAN),
            });
        }
        // Consecutive changes only (`changes` also gives each date to the last one): the
        // first change listed from each date is the one to the next date.
        let row_of = |key: &str, date| {
            rows.iter()
                .find(|r| r.key == key && r.date == date)
                .map(|r| r.row)
                .unwrap_or(0)
        };
        let mean_of = |key: &str, date| {
            rows.iter()
                .find(|r| r.key == key && r.date == date)
                .and_then(|r| r.model)
                .map_or(f64::NAN, |m| m.mean)
        };
        let mut seen = BTreeSet::new();
        for c in backtest::changes(&rows) {
            if !seen.insert((c.key.clone(), c.from.to_string(), c.from.months())) {
                continue;
            }
            let (ra, rb) = (row_of(&c.key, c.from), row_of(&c.key, c.to));
            let map = backtest::FIGURES.iter().find(|f| f.key == c.key);
            out.push(FitRow {
                target: Target {
                    name: format!("change {} {} to {}", c.key, c.from, c.to),
                    metric: map.map(|m| m.metric).unwrap_or("").into(),
                    region: map.map(|m| m.region).unwrap_or("").into(),
                    year: c.to.end_year(),
                    period: Period::FullYear,
                    value: c.official_pct,
                    unit: "% change".into(),
                    weight: weight(c.confirmed),
                    source: format!("{} rows {ra} and {rb}", self.history.file),
                    confirmed: c.confirmed,
                    note: "error counted in percentage points / 100".into(),
                    requires: Vec::new(),
                },
                stats: c.model,
                // A change's miss in points of percent weighs as a level's relative miss. The
                // model's change is that of its mean levels (a replication with an empty small
                // figure leaves the mean of per-replication changes undefined).
                rel_error: (mean_of(&c.key, c.to) / mean_of(&c.key, c.from)
                    - 1.0
                    - c.official_pct / 100.0),
            });
        }
        out
    }
}
