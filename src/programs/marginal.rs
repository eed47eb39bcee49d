//! Marginal families: not dibao-eligible, per-capita income between the standard and
//! `income_multiple` × the standard (1.5 by default; some localities 2), assets within limits.
//! They get special assistance (medical, education, housing) as a monthly amount; and with
//! single-person inclusion, their severely ill or severely disabled members may be covered by
//! dibao individually, as single-person households.

use crate::check::Checker;
use serde::{Deserialize, Serialize};

/// `programs.marginal.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarginalParams {
    /// Switch the program on or off.
    pub enabled: bool,
    /// Upper income limit as a multiple of the dibao standard.
    pub income_multiple: f64,
    /// Share 0–1 of marginal families that register.
    pub take_up: f64,
    /// Special assistance, yuan per person per month as a share of the dibao standard.
    pub special_share: f64,
    /// Cover severely ill or disabled members of marginal families by dibao individually.
    pub single_person_inclusion: bool,
}

impl MarginalParams {
    pub(crate) fn validate(&self, c: &mut Checker) {
        let k = "programs.marginal";
        c.range(
            &format!("{k}.income_multiple"),
            self.income_multiple,
            1.0,
            5.0,
            "a multiple of the dibao standard",
        );
        c.share(&format!("{k}.take_up"), self.take_up);
        c.range(
            &format!("{k}.special_share"),
            self.special_share,
            0.0,
            5.0,
            "a share of the standard per person",
        );
        let _ = self.single_person_inclusion;
    }

    /// Whether log per-capita income `log_y` is in the marginal band [standard, multiple × standard).
    #[inline]
    pub fn in_band(&self, log_y: f64, ln_standard: f64) -> bool {
        log_y >= ln_standard && log_y < ln_standard + self.income_multiple.ln()
    }

    /// Special assistance of a marginal family of `size`, yuan per month.
    #[inline]
    pub fn special(&self, size: f64, standard: f64) -> f64 {
        self.special_share * standard * size
    }

    /// Dibao for a member covered alone: a single-person household with no income of its own
    /// (severely ill or disabled members do not work), so the full standard (at least the
    /// floor) plus the member's own add-ons.
    #[inline]
    pub fn single_person_dibao(&self, standard: f64, floor_share: f64, addon_share: f64) -> f64 {
        standard.max(floor_share * standard) + addon_share * standard
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> MarginalParams {
        crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .programs
            .marginal
    }

    #[test]
    fn band_runs_from_the_standard_to_the_multiple() {
        let p = params();
        let s: f64 = 769.0;
        assert!(!p.in_band(700f64.ln(), s.ln()));
        assert!(p.in_band(769f64.ln(), s.ln()));
        assert!(p.in_band((s * p.income_multiple - 1.0).ln(), s.ln()));
        assert!(!p.in_band((s * p.income_multiple + 1.0).ln(), s.ln()));
    }

    #[test]
    fn severely_ill_member_of_a_marginal_family_covered_alone_gets_the_full_standard() {
        let p = params();
        // A severely ill member with the 0.2 illness add-on, standard 601.
        let b = p.single_person_dibao(601.0, 0.1, 0.2);
        assert!((b - 601.0 * 1.2).abs() < 1e-9);
    }

    #[test]
    fn special_assistance_scales_with_members() {
        let p = params();
        assert!((p.special(3.0, 769.0) - 3.0 * p.special_share * 769.0).abs() < 1e-9);
    }
}
