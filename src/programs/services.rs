//! Service-oriented assistance (a pilot named in the press brief): care services for tekun
//! members who need care and for severely disabled members of dibao households, as an in-kind
//! cost per service-month, alongside the cash or replacing part of tekun's care subsidy.

use super::{fen, HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx};
use super::{tekun::TekunParams, MAX_PROPENSITIES};
use crate::check::Checker;
use crate::counters::c;
use crate::simulation::SimulationParams;
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
    pub(crate) fn validate(&self, c: &mut Checker, _sim: &SimulationParams) {
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

/// Care services as a step, after tekun and dibao: tekun members needing care at home and
/// severely disabled members of dibao households are served, and for users the services
/// replace part of tekun's cash care subsidy.
#[derive(Debug, Clone)]
pub struct Services {
    p: ServicesParams,
    tekun: TekunParams,
}

/// A household's use of services and its yearly facts.
#[derive(Debug, Clone)]
pub struct ServicesHouse {
    uses: bool,
    n_disabled: f64,
}

impl Step for Services {
    type Household = ServicesHouse;
    const QUIET: bool = true;
    /// Slot 5: uses services.
    const PROPENSITIES: usize = 6;

    fn new(p: &ProgramsParams) -> Option<Services> {
        p.services.enabled.then(|| Services {
            p: p.services.clone(),
            tekun: p.tekun.clone(),
        })
    }

    fn household(&self, _key: &HouseholdKey, u: &[f64; MAX_PROPENSITIES]) -> ServicesHouse {
        ServicesHouse {
            uses: u[5] < self.p.take_up,
            n_disabled: 0.0,
        }
    }

    fn year(&self, h: &mut ServicesHouse, y: &YearCtx) -> f64 {
        h.n_disabled =
            y.hh.members()
                .iter()
                .filter(|m| m.severe_disability)
                .count() as f64;
        // It serves only households on tekun or dibao, whose months always take the steps.
        f64::NEG_INFINITY
    }

    // In line in the month's pipeline (`Rules::month_into`), as every step: a call takes the
    // ledger's address, which keeps the ledger in memory (zeroed and stored) in every month.
    #[inline(always)]
    fn step(
        &self,
        h: &mut ServicesHouse,
        y: &YearCtx,
        _mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    ) {
        if !h.uses {
            return;
        }
        let mut served = 0.0;
        if led.tekun && !led.tekun_institutional {
            if led.care_needing > 0.0 {
                // Services replace part of the care subsidy: tekun's cash is re-priced, and
                // its cost counter moves by the difference (exact, in fen).
                let before = led.tekun_cash;
                led.tekun_cash = self.tekun.cash(
                    y.size,
                    led.care_share,
                    y.standard,
                    self.p.replaces_cash_share,
                );
                rec[c::COST_TEKUN_FEN] += fen(led.tekun_cash) - fen(before);
            }
            served += led.care_needing;
        }
        if led.on_dibao() {
            served += h.n_disabled;
        }
        rec[c::COST_SERVICES_FEN] += fen(self.p.cost(served, y.price_index));
        rec[c::SERVICE_PERSON_MONTHS] += served as i64;
    }

    /// It serves households on tekun or dibao only.
    #[inline(always)]
    fn quiet(&self, h: &ServicesHouse, _y: &YearCtx, _mo: &MonthCtx, led: &mut Ledger) -> bool {
        !h.uses || (!led.tekun && !led.on_dibao())
    }

    /// A household that uses services and is on neither program is served by no one: its
    /// step adds a cost of 0 persons (0 fen at a finite cost and price index) and 0 persons.
    #[inline(always)]
    fn idle(&self, h: &mut ServicesHouse, y: &YearCtx, _: &MonthCtx, _: &Ledger, rec: &mut Record) {
        if h.uses {
            rec[c::COST_SERVICES_FEN] += fen(self.p.cost(0.0, y.price_index));
        }
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
