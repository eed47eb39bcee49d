//! The payer split (central transfer and local budgets) of a run's replications, computed
//! from the province cost figures; the rule and its outputs are described in
//! [`crate::payers`]. It sits in the metrics layer because the payer figures are metrics
//! ([`crate::metrics::Value::Payer`]) that `output::collect` adds to every result.

use crate::engine::{Model, RunCounters};
use crate::error::{Error, Result};
use crate::metrics::{figures, Figure, Funder, Period, RegionSet, Value, COSTS, METRICS};

pub use crate::payers::params::{region_class, ALLOCATION_CSV};

/// The payer split of one scenario, bn yuan; the last index is the cost's index in
/// [`COSTS`] (charity, no government cost, stays 0 in `central`).
#[derive(Debug, Clone)]
pub struct PayerSplit {
    pub scenario: String,
    pub provinces: Vec<String>,
    /// Actual cost, `[replication][year][province][cost]`.
    pub cost: Vec<Vec<Vec<Vec<f64>>>>,
    /// Paid by the central transfer, `[replication][year][province][cost]`.
    pub central: Vec<Vec<Vec<Vec<f64>>>>,
    /// The allocation, `[year][province][cost]`: the share × the mean cost over all the
    /// run's replications of the year before × (1 + growth); the first year uses its own mean.
    /// Being a mean over every replication, it (and each replication's central and local rows)
    /// changes with the number of replications.
    pub allocation: Vec<Vec<Vec<f64>>>,
    pub start_year: i32,
}

/// The split of every scenario of a run; `None` for a scenario without provinces (an inline
/// population) or with microdata (province cells rest on few records).
pub fn split(models: &[Model], rc: &RunCounters) -> Result<Vec<Option<PayerSplit>>> {
    models
        .iter()
        .zip(&rc.per_scenario)
        .map(|(m, reps)| split_one(m, reps))
        .collect()
}

/// The split of one scenario from its replications' counters.
pub fn split_one(m: &Model, reps: &[crate::metrics::Counters]) -> Result<Option<PayerSplit>> {
    let s = m.scenario();
    if m.pop.microdata.is_some() {
        return Ok(None);
    }
    let regions: Vec<RegionSet> = crate::metrics::regions(&m.pop.strata, true)
        .into_iter()
        .filter(|r| r.name.starts_with("province:"))
        .collect();
    if regions.is_empty() {
        return Ok(None);
    }
    let provinces: Vec<String> = regions
        .iter()
        .map(|r| r.name["province:".len()..].to_string())
        .collect();
    let shares: Vec<f64> = provinces
        .iter()
        .map(|p| Ok(s.payers.central_share.of(region_class(p)?)))
        .collect::<Result<_>>()?;
    let years = s.simulation.years as usize;
    let start = s.simulation.start_year;
    // The metric of each cost of the table, by its index in METRICS.
    let metric_idx: Vec<usize> = COSTS
        .iter()
        .map(|k| {
            METRICS
                .iter()
                .position(|d| d.name == k.metric)
                .expect("every cost of COSTS is a metric")
        })
        .collect();
    let nk = COSTS.len();
    // Actual cost per replication, from the province figures of the reduced counters.
    let mut cost = vec![vec![vec![vec![0.0f64; nk]; provinces.len()]; years]; reps.len()];
    for (r, k) in reps.iter().enumerate() {
        let w = m.pop.year_weights(&m.scenario().simulation, k);
        for f in figures(k, &w, &regions, start) {
            if f.period != Period::FullYear {
                continue;
            }
            if let Some(j) = metric_idx.iter().position(|&i| i == f.metric) {
                cost[r][(f.year - start) as usize][f.region][j] = f.value;
            }
        }
    }
    // The allocation is set from the expected need: the mean over all R replications of the
    // run. Honest consequences: replication r's payer rows change with `--reps` (the mean
    // moves), replications are not independent (each shares the mean of all), and local =
    // max(0, cost − allocation) is not strictly monotone in a key (the cap moves with it).
    // The first year has no year before: its basis is that same year's mean × (1 + growth),
    // so the first-year central cost is not an allocation made in advance.
    let n = reps.len() as f64;
    let growth = 1.0 + s.payers.allocation_growth;
    let mut allocation = vec![vec![vec![0.0f64; nk]; provinces.len()]; years];
    for (t, at) in allocation.iter_mut().enumerate() {
        let basis = t.saturating_sub(1);
        for (p, ap) in at.iter_mut().enumerate() {
            for (j, k) in COSTS.iter().enumerate() {
                if k.central && k.payer == crate::metrics::Payer::Government {
                    let expected = cost.iter().map(|c| c[basis][p][j]).sum::<f64>() / n;
                    ap[j] = shares[p] * expected * growth;
                }
            }
        }
    }
    let central = cost
        .iter()
        .map(|c| {
            c.iter()
                .zip(&allocation)
                .map(|(ct, at)| {
                    ct.iter()
                        .zip(at)
                        .map(|(cp, ap)| cp.iter().zip(ap).map(|(x, a)| x.min(*a)).collect())
                        .collect()
                })
                .collect()
        })
        .collect();
    Ok(Some(PayerSplit {
        scenario: s.name.clone(),
        provinces,
        cost,
        central,
        allocation,
        start_year: start,
    }))
}

impl PayerSplit {
    /// A payer metric ([`Value::Payer`]) of replication `r`, year index `t`, summed over the
    /// provinces `ps` (NaN for any other metric).
    pub fn value(&self, value: Value, r: usize, t: usize, ps: &[usize]) -> f64 {
        let Value::Payer { funder, cost } = value else {
            return f64::NAN;
        };
        let government = |j: &usize| COSTS[*j].payer == crate::metrics::Payer::Government;
        let costs: Vec<usize> = match cost {
            Some(j) => vec![j],
            None => (0..COSTS.len()).filter(government).collect(),
        };
        let sum = |m: &Vec<Vec<Vec<Vec<f64>>>>| {
            ps.iter()
                .map(|&p| costs.iter().map(|&j| m[r][t][p][j]).sum::<f64>())
                .sum::<f64>()
        };
        match funder {
            Some(Funder::Central) => sum(&self.central),
            Some(Funder::Local) => sum(&self.cost) - sum(&self.central),
            None => ps
                .iter()
                .map(|&p| costs.iter().map(|&j| self.allocation[t][p][j]).sum::<f64>())
                .sum(),
        }
    }

    /// The payer figures of every replication (full year, every payer metric of [`METRICS`] in
    /// its order) for the reported regions `regions` (a model's region names) that a payer
    /// figure has: `national` (every province) and `province:NAME`.
    pub fn figures(&self, regions: &[String]) -> Vec<Vec<Figure>> {
        let places: Vec<(usize, Vec<usize>)> = regions
            .iter()
            .enumerate()
            .filter_map(|(ri, name)| {
                if name == "national" {
                    Some((ri, (0..self.provinces.len()).collect()))
                } else {
                    let p = name.strip_prefix("province:")?;
                    let i = self.provinces.iter().position(|x| x == p)?;
                    Some((ri, vec![i]))
                }
            })
            .collect();
        (0..self.cost.len())
            .map(|r| {
                let mut out = Vec::new();
                for t in 0..self.allocation.len() {
                    for (ri, ps) in &places {
                        for (mi, m) in METRICS.iter().enumerate().filter(|(_, m)| m.is_payer()) {
                            out.push(Figure {
                                year: self.start_year + t as i32,
                                period: Period::FullYear,
                                region: *ri,
                                metric: mi,
                                value: self.value(m.value, r, t, ps),
                            });
                        }
                    }
                }
                out
            })
            .collect()
    }
}

/// The reported regions of `m` that have payer rows: `national` and each reported province,
/// when the population has provinces and no microdata; none otherwise (see [`split_one`]).
pub fn payer_regions(m: &Model) -> Vec<String> {
    let has_provinces = m.pop.strata.strata.iter().any(|s| !s.province.is_empty());
    if m.pop.microdata.is_some() || !has_provinces {
        return Vec::new();
    }
    m.regions
        .iter()
        .map(|r| r.name.clone())
        .filter(|n| n == "national" || n.starts_with("province:"))
        .collect()
}

/// A payer metric (`cost_central_*`, `cost_local_*`, `central_allocation`) asked for a region
/// without payer rows is bad input before any simulation (it would otherwise select nothing
/// after the whole run); `what` names the option. Other metrics pass.
pub fn check_payer_region(m: &Model, metric: &str, region: &str, what: &str) -> Result<()> {
    if !crate::metrics::find(metric).is_ok_and(|k| k.is_payer()) {
        return Ok(());
    }
    let allowed = payer_regions(m);
    if allowed.iter().any(|r| r == region) {
        return Ok(());
    }
    let allowed = if allowed.is_empty() {
        "none: this scenario's population has no provinces or is microdata".to_string()
    } else {
        format!(
            "{} (payer figures exist for the nation and provinces; provinces need --by-province)",
            allowed.join(", ")
        )
    };
    Err(Error::Usage(format!(
        "{what} {metric}@{region}: payer figures are not reported for region `{region}`; allowed: {allowed}"
    )))
}

/// The payer figures of one scenario's replications, for its reported regions (see
/// [`PayerSplit::figures`]); none without provinces or with microdata.
pub fn payer_figures(m: &Model, reps: &[crate::metrics::Counters]) -> Result<Vec<Vec<Figure>>> {
    let regions: Vec<String> = m.regions.iter().map(|r| r.name.clone()).collect();
    Ok(match split_one(m, reps)? {
        Some(p) => p.figures(&regions),
        None => vec![Vec::new(); reps.len()],
    })
}
