//! `payers.*`: the central allocation rule (see `synthetic-data/central-allocation.csv` and
//! `synthetic-data/SOURCES.md`). No per-province allocation of the central "subsidy funds for
//! people in difficulty" is used here; the rule is a share of each province's expected need by
//! region class (east, centre, northeast, west), an assumption stated as such.

use crate::check::Checker;
use serde::{Deserialize, Serialize};

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
