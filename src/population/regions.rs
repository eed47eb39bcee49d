//! Reporting regions: national, urban, rural and, on request, every province, each a set of
//! strata (outputs sum the counters of a region's strata).

use super::{Region, StrataTable};

/// A reporting region: a name and its strata.
#[derive(Debug, Clone)]
pub struct RegionSet {
    pub name: String,
    pub strata: Vec<usize>,
}

/// National, urban, rural and, on request, every province.
pub fn regions(strata: &StrataTable, by_province: bool) -> Vec<RegionSet> {
    let all: Vec<usize> = (0..strata.strata.len()).collect();
    let of = |r: Region| {
        all.iter()
            .copied()
            .filter(|&i| strata.strata[i].region == r)
            .collect::<Vec<_>>()
    };
    let mut out = vec![
        RegionSet {
            name: "national".into(),
            strata: all.clone(),
        },
        RegionSet {
            name: "urban".into(),
            strata: of(Region::Urban),
        },
        RegionSet {
            name: "rural".into(),
            strata: of(Region::Rural),
        },
    ];
    if by_province {
        let mut seen: Vec<String> = Vec::new();
        for s in &strata.strata {
            if !s.province.is_empty() && !seen.contains(&s.province) {
                seen.push(s.province.clone());
            }
        }
        for p in seen {
            let idx = all
                .iter()
                .copied()
                .filter(|&i| strata.strata[i].province == p)
                .collect();
            out.push(RegionSet {
                name: format!("province:{p}"),
                strata: idx,
            });
        }
    }
    out
}
