//! `payers.*`: the central allocation rule (see `synthetic-data/central-allocation.csv` and
//! `synthetic-data/SOURCES.md`). No per-province allocation of the central "subsidy funds for
//! people in difficulty" is used here; the rule is a share of each province's expected need by
//! region class (east, centre, northeast, west), an assumption stated as such.

use crate::check::Checker;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// `payers.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayersParams {
    /// Share (0–1) of a province's expected need for dibao, tekun and temporary assistance
    /// that the central allocation covers, by the province's region class.
    pub central_share: CentralShare,
    /// Growth (share per year, −0.5 to 1) applied to the prior year's expected need when the
    /// allocation is set in advance.
    pub allocation_growth: f64,
}

/// `payers.central_share.*`: shares 0–1 by region class.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentralShare {
    pub east: f64,
    pub centre: f64,
    pub northeast: f64,
    pub west: f64,
}

impl CentralShare {
    /// The share of a region class (`east`, `centre`, `northeast`, `west`).
    pub fn of(&self, class: &str) -> f64 {
        match class {
            "east" => self.east,
            "centre" => self.centre,
            "northeast" => self.northeast,
            _ => self.west,
        }
    }
}

impl PayersParams {
    pub(crate) fn validate(&self, c: &mut Checker) {
        let s = &self.central_share;
        c.share("payers.central_share.east", s.east);
        c.share("payers.central_share.centre", s.centre);
        c.share("payers.central_share.northeast", s.northeast);
        c.share("payers.central_share.west", s.west);
        c.range(
            "payers.allocation_growth",
            self.allocation_growth,
            -0.5,
            1.0,
            "share per year",
        );
    }
}

/// Region class of every province (`synthetic-data/central-allocation.csv`).
pub const ALLOCATION_CSV: &str = include_str!("../../synthetic-data/central-allocation.csv");

pub(crate) fn classes() -> &'static BTreeMap<String, String> {
    static MAP: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut r = csv::Reader::from_reader(ALLOCATION_CSV.as_bytes());
        r.records()
            .filter_map(|rec| rec.ok())
            .map(|rec| (rec[0].to_string(), rec[1].to_string()))
            .collect()
    })
}

/// The region class of a province: `east`, `centre`, `northeast` or `west`.
pub fn region_class(province: &str) -> Result<&'static str> {
    classes().get(province).map(|s| s.as_str()).ok_or_else(|| {
        Error::Usage(format!(
            "province `{province}` has no region class in synthetic-data/central-allocation.csv"
        ))
    })
}

/// Every province a population names must have a region class, or the payer split could not
/// be made after the simulation: checked when the model is built. `provinces` are
/// (scenario key, province) pairs; an empty province has no payer rows and passes.
pub fn check_provinces<'a>(
    checker: &mut Checker,
    provinces: impl IntoIterator<Item = (String, &'a str)>,
) {
    for (key, p) in provinces {
        if !p.is_empty() && !classes().contains_key(p) {
            let known: Vec<&str> = classes().keys().map(|s| s.as_str()).collect();
            checker.fail(
                &key,
                format!("\"{p}\""),
                format!(
                    "allowed: a province of synthetic-data/central-allocation.csv (for its region class in the central allocation): {}; or \"\" for none",
                    known.join(", ")
                ),
            );
        }
    }
}
