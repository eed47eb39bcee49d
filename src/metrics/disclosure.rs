//! Disclosure control of outputs built from microdata: which cells to withhold. The rule is
//! described in [`crate::population::microdata`]; it lives here because it reads the metric
//! table and the counters (the population layer sits below both).

use super::{c, Counters, Period, RegionSet, METRICS};
use crate::population::{Microdata, PopulationModel};
use crate::simulation::SimulationParams;
use std::collections::BTreeSet;

/// Disclosure control: the cells (year, period, region index, metric index) of a run to
/// withhold. `reps` are the counters of replications 0, 1, ... in order.
///
/// Primary: a cell is withheld when, in some replication, its region has fewer than k
/// distinct records drawn, or [`super::MetricDef::support`] of the region's
/// unweighted counters is positive and the fewest records that can cover that many sample
/// households (most-drawn first) are fewer than k. A figure resting on no household at all
/// (0 or undefined) is shown.
///
/// Secondary, so that no withheld figure can be recovered by difference: national = urban +
/// rural = the sum of the provinces. When a part is withheld and its total is not, further
/// parts (the smallest first) are withheld until the withheld parts rest on k records
/// together, else the total is withheld too; a withheld total whose parts are all shown
/// takes its smallest part with it.
pub fn suppressed_cells(
    md: &Microdata,
    pm: &PopulationModel,
    regions: &[RegionSet],
    sim: &SimulationParams,
    reps: &[Counters],
) -> BTreeSet<CellKey> {
    let k = md.min_cell;
    let Some(first) = reps.first() else {
        return BTreeSet::new();
    };
    let years = first.years;
    let periods = [
        (Period::FirstHalf, 0..1, 6.0),
        (Period::FullYear, 0..2, 12.0),
    ];
    let nm = METRICS.len();
    let nr = regions.len();
    let idx = |t: usize, pi: usize, ri: usize, mi: usize| ((t * 2 + pi) * nr + ri) * nm + mi;
    // Per cell over replications: withheld (primary), and the fewest records behind it.
    let mut withheld = vec![false; years * 2 * nr * nm];
    let mut records = vec![u64::MAX; years * 2 * nr * nm];
    for (rep, counters) in reps.iter().enumerate() {
        let mult = md.multiplicities(&pm.alloc, sim.seed, rep as u32);
        for (ri, region) in regions.iter().enumerate() {
            let mut m: Vec<u64> = region
                .strata
                .iter()
                .flat_map(|&s| md.strata[s].records.iter().map(|&r| mult[r]))
                .filter(|&x| x > 0)
                .collect();
            m.sort_unstable_by(|a, b| b.cmp(a));
            let cum: Vec<u64> = m
                .iter()
                .scan(0u64, |acc, x| {
                    *acc += x;
                    Some(*acc)
                })
                .collect();
            let distinct = m.len() as u64;
            for t in 0..years {
                for (pi, (period, halves, months)) in periods.iter().enumerate() {
                    let mut w = [0.0f64; c::N];
                    for &s in &region.strata {
                        for h in halves.clone() {
                            let slot = &counters.data[(s * counters.years + t) * 2 + h];
                            for (a, b) in w.iter_mut().zip(slot) {
                                *a += *b as f64;
                            }
                        }
                    }
                    for (mi, def) in METRICS.iter().enumerate() {
                        if *period == Period::FirstHalf && !def.first_half {
                            continue;
                        }
                        let d = def.support(&w, *months);
                        let behind = records_behind(&cum, d);
                        let i = idx(t, pi, ri, mi);
                        records[i] = records[i].min(behind);
                        // A region without strata in the file is empty: nothing to hide.
                        let small = distinct < k && !region.strata.is_empty();
                        if small || (d > 0.0 && behind < k) {
                            withheld[i] = true;
                        }
                    }
                }
            }
        }
    }
    // Secondary suppression over the additive groups of regions.
    let find = |name: &str| regions.iter().position(|r| r.name == name);
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    if let Some(nat) = find("national") {
        let ur: Vec<usize> = ["urban", "rural"].iter().filter_map(|n| find(n)).collect();
        if !ur.is_empty() {
            groups.push((nat, ur));
        }
        let provinces: Vec<usize> = (0..nr)
            .filter(|&r| regions[r].name.starts_with("province:"))
            .collect();
        if !provinces.is_empty() {
            groups.push((nat, provinces));
        }
    }
    for t in 0..years {
        for pi in 0..2 {
            for (mi, def) in METRICS.iter().enumerate() {
                if pi == 0 && !def.first_half {
                    continue;
                }
                let cell = |ri: usize| idx(t, pi, ri, mi);
                let mut changed = true;
                while changed {
                    changed = false;
                    for (total, parts) in &groups {
                        let hidden: Vec<usize> = parts
                            .iter()
                            .copied()
                            .filter(|&r| withheld[cell(r)])
                            .collect();
                        if withheld[cell(*total)] {
                            if hidden.is_empty() {
                                if let Some(&r) =
                                    parts.iter().min_by_key(|&&r| (records[cell(r)], r))
                                {
                                    withheld[cell(r)] = true;
                                    changed = true;
                                }
                            }
                            continue;
                        }
                        if hidden.is_empty() {
                            continue;
                        }
                        let mut together: u64 = hidden.iter().map(|&r| records[cell(r)]).sum();
                        while together < k {
                            let next = parts
                                .iter()
                                .copied()
                                .filter(|&r| !withheld[cell(r)] && records[cell(r)] > 0)
                                .min_by_key(|&r| (records[cell(r)], r));
                            match next {
                                Some(r) => {
                                    withheld[cell(r)] = true;
                                    together += records[cell(r)];
                                }
                                None => {
                                    withheld[cell(*total)] = true;
                                    break;
                                }
                            }
                            changed = true;
                        }
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    for t in 0..years {
        for (pi, (period, _, _)) in periods.iter().enumerate() {
            for ri in 0..nr {
                for mi in 0..nm {
                    if withheld[idx(t, pi, ri, mi)] {
                        out.insert((sim.start_year + t as i32, period.as_str(), ri, mi));
                    }
                }
            }
        }
    }
    out
}

/// A cell: (year, period name, region index, metric index).
pub type CellKey = (i32, &'static str, usize, usize);

/// Fewest records that can cover `households` distinct sample households, given the
/// cumulative multiplicities (largest first) of the records drawn.
fn records_behind(cum: &[u64], households: f64) -> u64 {
    if households.is_nan() || households <= 1e-9 {
        return 0;
    }
    let need = (households - 1e-9).ceil() as u64;
    (cum.partition_point(|&c| c < need) + 1).min(cum.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_behind_takes_the_largest_multiplicities_first() {
        // Multiplicities 5, 3, 1, 1 -> cumulative 5, 8, 9, 10.
        let cum = [5, 8, 9, 10];
        assert_eq!(records_behind(&cum, 0.0), 0);
        assert_eq!(records_behind(&cum, 1.0), 1);
        assert_eq!(records_behind(&cum, 5.0), 1);
        assert_eq!(records_behind(&cum, 5.5), 2);
        assert_eq!(records_behind(&cum, 9.0), 3);
        assert_eq!(records_behind(&cum, 10.0), 4);
        assert_eq!(records_behind(&cum, 50.0), 4);
    }
}
