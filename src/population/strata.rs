//! Strata: 31 provinces × urban/rural from the embedded table in `synthetic-data/` (every
//! column sourced in `synthetic-data/SOURCES.md`), or the inline strata of a scenario.

use super::{PopulationInputs, MAX_MEMBERS};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The embedded default strata table.
pub const STRATA_CSV: &str = include_str!("../../synthetic-data/strata-2023.csv");
const STRATA_FILE: &str = "synthetic-data/strata-2023.csv";

/// Urban or rural.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    Urban,
    Rural,
}

impl Region {
    /// "urban" or "rural".
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Urban => "urban",
            Region::Rural => "rural",
        }
    }
    fn parse(s: &str) -> Option<Region> {
        match s {
            "urban" => Some(Region::Urban),
            "rural" => Some(Region::Rural),
            _ => None,
        }
    }
}

/// One stratum, ready for the generator.
#[derive(Debug, Clone)]
pub struct Stratum {
    /// "Province/urban" or the inline name.
    pub name: String,
    pub province: String,
    pub region: Region,
    /// Households the stratum represents.
    pub households: f64,
    /// Persons the stratum represents.
    pub persons: f64,
    /// Cumulative probabilities of sizes 1..=len.
    pub size_cdf: Vec<f64>,
    /// Mean household size (persons).
    pub mean_size: f64,
    /// Mean of log permanent per-capita income (log yuan per person per month).
    pub income_mu: f64,
    /// Sd of log permanent per-capita income.
    pub income_perm_sd: f64,
    /// Sd of the persistent component's starting value.
    pub persistent_initial_sd: f64,
    /// Target mean per-capita income, yuan per person per month (for `population describe`).
    pub target_income_mean: f64,
    /// Relative dibao standard level (any unit; rescaled to the scenario's regional averages).
    pub standard_level: f64,
    /// Shares 0–1.
    pub share_60plus: f64,
    pub share_under16: f64,
    /// Probability that a non-head member is a child, so that the person share matches.
    pub child_share_nonhead: f64,
    pub severe_disability: f64,
    pub migrant_share: f64,
}

/// All strata of a scenario.
#[derive(Debug, Clone)]
pub struct StrataTable {
    pub strata: Vec<Stratum>,
    /// Person-weighted average standard levels (urban, rural) to scale standards by, when they
    /// are not those of `strata` (microdata covering part of the country keeps the embedded
    /// table's national averages).
    pub standard_means: Option<[f64; 2]>,
}

#[derive(Deserialize)]
struct Row {
    province: String,
    #[allow(dead_code)]
    province_zh: String,
    region: String,
    population: f64,
    households: f64,
    household_size_mean: f64,
    income_mean: f64,
    income_log_sd: f64,
    #[allow(dead_code)]
    consumption_mean: f64,
    dibao_standard: f64,
    #[allow(dead_code)]
    dibao_standard_basis: String,
    share_age_60plus: f64,
    share_age_under16: f64,
    severe_disability_prevalence: f64,
    migrant_share: f64,
}

fn size_cdf_from_probs(probs: &[f64]) -> Vec<f64> {
    let total: f64 = probs.iter().sum();
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = probs
        .iter()
        .map(|p| {
            acc += p / total;
            acc
        })
        .collect();
    if let Some(last) = cdf.last_mut() {
        *last = 1.0; // guard against rounding: the last size always catches u < 1
    }
    cdf
}

/// Household sizes 1 + Poisson(mean − 1), cut at MAX_MEMBERS: one parameter, the census mean.
fn size_probs_from_mean(mean: f64) -> Vec<f64> {
    let lambda = (mean - 1.0).max(0.0);
    let mut p = Vec::with_capacity(MAX_MEMBERS);
    let mut term = (-lambda).exp();
    for k in 0..MAX_MEMBERS {
        if k > 0 {
            term *= lambda / k as f64;
        }
        p.push(term);
    }
    p
}

pub(super) fn child_share_nonhead(share_under16: f64, share_60plus: f64, mean_size: f64) -> f64 {
    if mean_size <= 1.0 {
        return 0.0;
    }
    (share_under16 * mean_size / (mean_size - 1.0))
        .min(1.0 - share_60plus)
        .max(0.0)
}

impl StrataTable {
    /// Strata for a scenario: the embedded table or the inline ones.
    pub fn from_scenario<'a>(
        s: impl Into<PopulationInputs<'a>>,
        file: &str,
    ) -> Result<StrataTable> {
        let s: PopulationInputs = s.into();
        let p = s.population;
        let init_sd = s.persistent_initial_sd;
        let trans_sd = s.transitory_sd;
        let mut strata = Vec::new();
        if p.source == super::Source::Inline {
            for st in &p.strata {
                let cdf = size_cdf_from_probs(&st.size_probs);
                let mean_size: f64 = st
                    .size_probs
                    .iter()
                    .enumerate()
                    .map(|(i, q)| (i + 1) as f64 * q)
                    .sum();
                // With households_total = 0 the sample is the population (set after allocation).
                let households = if p.households_total > 0.0 {
                    p.households_total * st.share
                } else {
                    st.share
                };
                let perm_sd = st.income_log_sd * p.income.log_sd_scale;
                let region = Region::parse(&st.region).expect("validated");
                let median = st.income_median * p.income.level(region);
                strata.push(Stratum {
                    name: st.name.clone(),
                    province: st.province.clone(),
                    region,
                    households,
                    persons: households * mean_size,
                    size_cdf: cdf,
                    mean_size,
                    income_mu: median.ln(),
                    income_perm_sd: perm_sd,
                    persistent_initial_sd: init_sd,
                    target_income_mean: (median.ln()
                        + 0.5 * (perm_sd.powi(2) + init_sd.powi(2) + trans_sd.powi(2)))
                    .exp(),
                    standard_level: st.standard_factor,
                    share_60plus: st.share_age_60plus,
                    share_under16: st.share_age_under16,
                    child_share_nonhead: child_share_nonhead(
                        st.share_age_under16,
                        st.share_age_60plus,
                        mean_size,
                    ),
                    severe_disability: st.severe_disability_prevalence,
                    migrant_share: st.migrant_share,
                });
            }
            return Ok(StrataTable {
                strata,
                standard_means: None,
            });
        }
        let mut rdr = csv::Reader::from_reader(STRATA_CSV.as_bytes());
        for (i, row) in rdr.deserialize::<Row>().enumerate() {
            let row = row.map_err(|e| Error::Parse {
                file: STRATA_FILE.into(),
                message: format!("row {}: {e}", i + 2),
            })?;
            let bad = |column: &str, value: f64, allowed: &str| Error::BadCell {
                file: STRATA_FILE.into(),
                row: i + 2,
                column: column.into(),
                value: value.to_string(),
                allowed: allowed.into(),
            };
            let region = Region::parse(&row.region).ok_or_else(|| Error::BadCell {
                file: STRATA_FILE.into(),
                row: i + 2,
                column: "region".into(),
                value: row.region.clone(),
                allowed: "urban or rural".into(),
            })?;
            if row.household_size_mean < 1.0 {
                return Err(bad(
                    "household_size_mean",
                    row.household_size_mean,
                    "at least 1 person",
                ));
            }
            if row.income_mean <= 0.0 {
                return Err(bad(
                    "income_mean",
                    row.income_mean,
                    "positive yuan per person per year",
                ));
            }
            let total_sd = row.income_log_sd * p.income.log_sd_scale;
            let perm_var = total_sd.powi(2) - init_sd.powi(2) - trans_sd.powi(2);
            if perm_var < 0.0 {
                return Err(Error::bad_key(
                    file,
                    "dynamics.income.persistent_initial_sd",
                    init_sd,
                    format!(
                        "allowed: persistent_initial_sd² + transitory_sd² at most the stratum's income variance \
                         ({STRATA_FILE} row {}: income_log_sd {} × log_sd_scale {})",
                        i + 2,
                        row.income_log_sd,
                        p.income.log_sd_scale
                    ),
                ));
            }
            let mean_month = row.income_mean / 12.0 * p.income.level(region);
            let probs = size_probs_from_mean(row.household_size_mean);
            // The table's strata carry the national 60+ share; a region's factor moves it.
            let factor = match region {
                Region::Urban => p.members.share_60plus_factor_urban,
                Region::Rural => p.members.share_60plus_factor_rural,
            };
            let share_60plus = (row.share_age_60plus * factor).min(1.0 - row.share_age_under16);
            strata.push(Stratum {
                name: format!("{}/{}", row.province, region.as_str()),
                province: row.province.clone(),
                region,
                households: row.households,
                persons: row.population,
                size_cdf: size_cdf_from_probs(&probs),
                mean_size: row.household_size_mean,
                // Log-normal: mean = exp(mu + total variance / 2).
                income_mu: mean_month.ln() - 0.5 * total_sd.powi(2),
                income_perm_sd: perm_var.sqrt(),
                persistent_initial_sd: init_sd,
                target_income_mean: mean_month,
                standard_level: row.dibao_standard,
                share_60plus,
                share_under16: row.share_age_under16,
                child_share_nonhead: child_share_nonhead(
                    row.share_age_under16,
                    share_60plus,
                    row.household_size_mean,
                ),
                severe_disability: row.severe_disability_prevalence,
                migrant_share: row.migrant_share,
            });
        }
        Ok(StrataTable {
            strata,
            standard_means: None,
        })
    }

    /// Person-weighted average standard level of a region's strata.
    pub fn mean_standard_level(&self, region: Region) -> f64 {
        if let Some(m) = self.standard_means {
            return m[usize::from(region == Region::Rural)];
        }
        let (num, den) = self
            .strata
            .iter()
            .filter(|s| s.region == region)
            .fold((0.0, 0.0), |(n, d), s| {
                (n + s.standard_level * s.persons, d + s.persons)
            });
        if den > 0.0 {
            num / den
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_has_62_strata_and_national_totals() {
        let s = crate::scenario::load_str("", "t").unwrap().scenario;
        let t = StrataTable::from_scenario(&s, "t").unwrap();
        assert_eq!(t.strata.len(), 62);
        let persons: f64 = t.strata.iter().map(|s| s.persons).sum();
        // NBS 2023: 1,409.67 million (the provinces omit ~2 m counted only nationally).
        assert!((persons / 1e6 - 1409.67).abs() < 5.0, "{persons}");
        let urban: f64 = t
            .strata
            .iter()
            .filter(|s| s.region == Region::Urban)
            .map(|s| s.persons)
            .sum();
        assert!((urban / 1e6 - 932.67).abs() < 5.0, "{urban}");
    }

    #[test]
    fn size_distribution_from_mean_has_that_mean() {
        let p = size_probs_from_mean(2.62);
        let total: f64 = p.iter().sum();
        let mean: f64 = p
            .iter()
            .enumerate()
            .map(|(i, q)| (i + 1) as f64 * q)
            .sum::<f64>()
            / total;
        // Cutting at MAX_MEMBERS loses a little of the upper tail.
        assert!((mean - 2.62).abs() < 5e-3, "{mean}");
        let cdf = size_cdf_from_probs(&p);
        assert_eq!(*cdf.last().unwrap(), 1.0);
    }
}
