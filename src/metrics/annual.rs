//! Poverty read from the year's income, beside the engine's monthly reading (issue 10: "read
//! poverty from annual (or smoothed) income, or say why not").
//!
//! The engine reads poverty month by month, as the programs' means tests read income: a
//! household is poor after transfers in a month when that month's per-capita income plus
//! transfers is below the line. Monthly income carries transitory noise, so monthly poverty
//! spells are short and many who leave poverty are back within a year. Official poverty
//! statistics (NBS) read the year's income instead. This module gives that reading for the same
//! simulated households: each household-year's per-capita income and cash over the year
//! (`engine::YearSummary`, every month stepped) against twelve months of the year's line.
//!
//! It is a measurement, not a metric of `summary.csv`: the year's income of every household
//! needs every month of it (the engine's fast path skips the quiet months' income), which
//! costs a run several times over (README, "Poverty read from the year's income").

use crate::engine::{simulate_household_summary, Model, RepTables, YearSummary};
use crate::error::Result;
use crate::metrics::Counters;

/// One year of the two readings, national, weighted by the sample's stratum weights.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AnnualYear {
    /// Calendar year.
    pub year: i32,
    /// Share of person-months poor after transfers (the engine's `fgt0_post`), 0–1.
    pub monthly_post: f64,
    /// Share of persons whose year's per-capita income plus transfers is below twelve months
    /// of the line, 0–1.
    pub annual_post: f64,
    /// The same before transfers, 0–1.
    pub annual_pre: f64,
    /// Share of person-months poor before transfers, 0–1.
    pub monthly_pre: f64,
    /// Households poor after transfers on the year's income in the year before and not in
    /// this one, as a share of those poor the year before, 0–1 (NaN in the first year).
    pub annual_exit_rate: f64,
    /// Of the households that left annual poverty this year, the share poor again the next
    /// year, 0–1 (NaN in the last year: the next year is not simulated).
    pub annual_fallback_1y: f64,
}

/// The readings of `households` households (indices `0..households`) of replication `rep`
/// of `model`, every year of its horizon. Single-threaded and in household order, so the
/// result does not depend on any thread count.
pub fn annual_poverty(model: &Model, rep: u32, households: u64) -> Result<Vec<AnnualYear>> {
    let drawn;
    let model = if model.loaded.uncertain.is_empty() {
        model
    } else {
        drawn = model.for_replication(rep)?.0;
        &drawn
    };
    let tables = RepTables::new(model, rep);
    let sim = &model.scenario().simulation;
    let years = sim.years as usize;
    let weight = &model.pop.alloc.weight;
    let mut scratch = Counters::new(model.pop.strata.strata.len(), years);
    // The engine's cumulative pre-transfer poor person-months per (stratum, year) before the
    // household: its own months are the difference.
    let pre_of = |c: &Counters, st: usize, t: usize| {
        c.get(st, t, 0)[crate::metrics::c::PRE_POOR_PERSON_MONTHS]
            + c.get(st, t, 1)[crate::metrics::c::PRE_POOR_PERSON_MONTHS]
    };
    let mut sums = vec![YearSummary::default(); years];
    // Weighted sums per year.
    let mut persons = vec![0.0; years];
    let (mut m_post, mut m_pre, mut a_post, mut a_pre) = (
        vec![0.0; years],
        vec![0.0; years],
        vec![0.0; years],
        vec![0.0; years],
    );
    let (mut poor_before, mut exits, mut exits_back) =
        (vec![0.0; years], vec![0.0; years], vec![0.0; years]);
    let mut pre_person_months = vec![0i64; years];
    let mut before = vec![0i64; scratch.strata * years];
    for i in 0..households {
        sums.iter_mut().for_each(|s| *s = YearSummary::default());
        simulate_household_summary(model, &tables, rep, i, &mut scratch, Some(&mut sums));
        for (t, m) in pre_person_months.iter_mut().enumerate() {
            let st = sums[t].stratum as usize;
            let now = pre_of(&scratch, st, t);
            *m = now - before[st * years + t];
            before[st * years + t] = now;
        }
        let poor_year: Vec<bool> = sums
            .iter()
            .enumerate()
            .map(|(t, s)| annual_poor(s, tables.lines[s.stratum as usize * years + t]).0)
            .collect();
        for (t, s) in sums.iter().enumerate() {
            let w = weight[s.stratum as usize];
            let k = s.size as f64;
            let (post, pre) = annual_poor(s, tables.lines[s.stratum as usize * years + t]);
            persons[t] += w * k;
            m_post[t] += w * k * s.poor_months as f64;
            m_pre[t] += w * pre_person_months[t] as f64;
            a_post[t] += w * k * post as u8 as f64;
            a_pre[t] += w * k * pre as u8 as f64;
            if t > 0 && poor_year[t - 1] {
                poor_before[t] += w;
                if !post {
                    exits[t] += w;
                    if t + 1 < years && poor_year[t + 1] {
                        exits_back[t] += w;
                    }
                }
            }
        }
    }
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    Ok((0..years)
        .map(|t| AnnualYear {
            year: sim.start_year + t as i32,
            monthly_post: ratio(m_post[t], 12.0 * persons[t]),
            monthly_pre: ratio(m_pre[t], 12.0 * persons[t]),
            annual_post: ratio(a_post[t], persons[t]),
            annual_pre: ratio(a_pre[t], persons[t]),
            annual_exit_rate: if t == 0 {
                f64::NAN
            } else {
                ratio(exits[t], poor_before[t])
            },
            annual_fallback_1y: if t + 1 < years {
                ratio(exits_back[t], exits[t])
            } else {
                f64::NAN
            },
        })
        .collect())
}

/// (poor after transfers, poor before) on the year's income: the year's per-capita income
/// (plus the year's cash per person) against twelve months of `line` (yuan per person per
/// month; the engine holds one line per stratum and year).
pub fn annual_poor(s: &YearSummary, line: f64) -> (bool, bool) {
    let k = s.size.max(1) as f64;
    let post = s.income_pc + s.cash_fen as f64 / 100.0 / k;
    (post < 12.0 * line, s.income_pc < 12.0 * line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_years_income_is_read_against_twelve_months_of_the_line() {
        // 450 yuan a month before transfers, 600 the line: poor before; 200 yuan a month of
        // cash per person (a household of 2: 4,800 yuan a year) lifts it to 650: not poor after.
        let s = YearSummary {
            stratum: 0,
            size: 2,
            income_pc: 12.0 * 450.0,
            cash_fen: 2 * 12 * 200 * 100,
            poor_months: 0,
        };
        assert_eq!(annual_poor(&s, 600.0), (false, true));
        // 100 yuan less of cash a month per person: 550 after transfers, still poor.
        let s = YearSummary {
            cash_fen: 2 * 12 * 100 * 100,
            ..s
        };
        assert_eq!(annual_poor(&s, 600.0), (true, true));
    }
}
