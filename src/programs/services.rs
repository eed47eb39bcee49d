//! Service-oriented assistance (a pilot named in the press brief): care services for tekun
//! members who need care and for severely disabled members of dibao households, as an in-kind
//! cost per service-month, alongside the cash or replacing part of tekun's care subsidy.

use crate::check::Checker;
use serde::{Deserialize, Serialize};

/// `programs.services.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesParams {
    /// Switch the services on or off.
    pub enabled: bool,
    /// Cost of one service-month, yuan per person at start-year prices (grows with prices).
    pub cost_per_month: f64,
    /// Share 0–1 of eligible households that use the services.
    pub take_up: f64,
    /// Share 0–1 of tekun's cash care subsidy replaced by the services for their users.
    pub replaces_cash_share: f64,
}

impl ServicesParams {
    pub(crate) fn validate(&self, c: &mut Checker) {
        let k = "programs.services";
        c.range(
            &format!("{k}.cost_per_month"),
            self.cost_per_month,
            0.0,
            1e5,
            "yuan per service-month",
        );
        c.share(&format!("{k}.take_up"), self.take_up);
        c.share(
            &format!("{k}.replaces_cash_share"),
            self.replaces_cash_share,
        );
    }

    /// In-kind cost for `persons` served this month at `price_index`, yuan.
    pub fn cost(&self, persons: f64, price_index: f64) -> f64 {
        self.cost_per_month * price_index * persons
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cost_is_per_person_served_and_indexed_to_prices() {
        let p = crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .programs
            .services;
        assert!((p.cost(2.0, 1.1) - 2.0 * 1.1 * p.cost_per_month).abs() < 1e-9);
    }
}
