//! Closed forms for the reference model of `shared/REFERENCE_MODEL.md` (and its static special
//! case): expected yearly cost and average monthly recipients per household, from the normal
//! CDF and the log-normal partial expectation. Used to check the engine, and usable to check
//! any other implementation.

use crate::population::Region;
use crate::scenario::Scenario;

/// Standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// E[(s − Y)⁺] for log Y ~ Normal(mu, sd²): s Φ(d) − exp(mu + sd²/2) Φ(d − sd), d = (ln s − mu)/sd.
pub fn lognormal_shortfall(s: f64, mu: f64, sd: f64) -> f64 {
    if s <= 0.0 {
        return 0.0;
    }
    if sd == 0.0 {
        return (s - mu.exp()).max(0.0);
    }
    let d = (s.ln() - mu) / sd;
    s * normal_cdf(d) - (mu + 0.5 * sd * sd).exp() * normal_cdf(d - sd)
}

/// P(Y < s) for log Y ~ Normal(mu, sd²).
pub fn lognormal_below(s: f64, mu: f64, sd: f64) -> f64 {
    if s <= 0.0 {
        return 0.0;
    }
    if sd == 0.0 {
        return if mu.exp() < s { 1.0 } else { 0.0 };
    }
    normal_cdf((s.ln() - mu) / sd)
}

/// One region of the reference model.
#[derive(Debug, Clone)]
pub struct RefRegion {
    /// Share of households.
    pub share: f64,
    /// Probabilities of sizes 1, 2, ...
    pub size_probs: Vec<f64>,
    /// Mean and sd of log permanent per-capita income.
    pub mu: f64,
    pub sd: f64,
    /// Standard in year 0 (yuan/person/month) and its yearly growth.
    pub standard0: f64,
    pub standard_growth: Vec<f64>,
}

/// The reference model's parameters.
#[derive(Debug, Clone)]
pub struct RefParams {
    pub regions: Vec<RefRegion>,
    pub rho: f64,
    pub innovation_sd: f64,
    pub initial_sd: f64,
    pub shock_prob: f64,
    pub shock_factor: f64,
    /// Income multiplier of each year relative to year 0.
    pub income_index: Vec<f64>,
    pub take_up: f64,
    pub years: usize,
}

/// Expected figures per household for one year.
#[derive(Debug, Clone, Copy)]
pub struct RefYear {
    /// Expected benefit cost per household over the year, yuan.
    pub cost: f64,
    /// Expected average monthly probability of receiving.
    pub recipients: f64,
}

impl RefParams {
    /// Read the reference-model parameters of an inline-population scenario.
    pub fn from_scenario(s: &Scenario) -> RefParams {
        let sim = &s.simulation;
        let years = sim.years as usize;
        let mut income_index = vec![1.0; years];
        for t in 1..years {
            let y = sim.start_year + t as i32;
            income_index[t] = income_index[t - 1]
                * (1.0 + s.dynamics.income.growth.at(y).unwrap_or(0.0))
                * (1.0 + s.dynamics.prices.inflation.at(y).unwrap_or(0.0));
        }
        let std = &s.programs.dibao.standard;
        let regions = s
            .population
            .strata
            .iter()
            .map(|st| {
                let urban = st.region == Region::Urban.as_str();
                let (base, sched) = if urban {
                    (std.urban, &std.growth_urban)
                } else {
                    (std.rural, &std.growth_rural)
                };
                RefRegion {
                    share: st.share,
                    size_probs: st.size_probs.clone(),
                    mu: st.income_median.ln(),
                    sd: st.income_log_sd * s.population.income.log_sd_scale,
                    standard0: base,
                    standard_growth: (0..years)
                        .map(|t| sched.at(sim.start_year + t as i32).unwrap_or(0.0))
                        .collect(),
                }
            })
            .collect();
        let inc = &s.dynamics.income;
        let hs = &s.dynamics.shocks.hardship;
        RefParams {
            regions,
            rho: inc.persistent_rho,
            innovation_sd: inc.persistent_sd,
            initial_sd: inc.persistent_initial_sd,
            shock_prob: hs.monthly_prob,
            shock_factor: hs.income_factor,
            income_index,
            take_up: s.programs.dibao.take_up.ever_apply,
            years,
        }
    }

    /// Expected cost and recipients per household, year by year. The persistent component is
    /// updated at the start of every month, month 0 included, so in month m its variance is
    /// ρ^{2(m+1)} σ0² + σ²(1 − ρ^{2(m+1)})/(1 − ρ²).
    pub fn expectation(&self) -> Vec<RefYear> {
        let mut out = Vec::with_capacity(self.years);
        let mut standard: Vec<f64> = self.regions.iter().map(|r| r.standard0).collect();
        for t in 0..self.years {
            if t > 0 {
                for (s, r) in standard.iter_mut().zip(&self.regions) {
                    *s *= 1.0 + r.standard_growth[t];
                }
            }
            let mut cost = 0.0;
            let mut recipients = 0.0;
            for mm in 0..12 {
                let m = (t * 12 + mm) as i32;
                let decay = self.rho.powi(2 * (m + 1));
                let var_v = decay * self.initial_sd.powi(2)
                    + if (1.0 - self.rho * self.rho).abs() > 1e-15 {
                        self.innovation_sd.powi(2) * (1.0 - decay) / (1.0 - self.rho * self.rho)
                    } else {
                        self.innovation_sd.powi(2) * (m + 1) as f64
                    };
                for (r, s) in self.regions.iter().zip(&standard) {
                    let sd = (r.sd * r.sd + var_v).sqrt();
                    let mu = r.mu + self.income_index[t].ln();
                    let mean_k: f64 = r
                        .size_probs
                        .iter()
                        .enumerate()
                        .map(|(i, p)| (i + 1) as f64 * p)
                        .sum();
                    let mu_shock = mu + self.shock_factor.ln();
                    let shortfall = (1.0 - self.shock_prob) * lognormal_shortfall(*s, mu, sd)
                        + self.shock_prob
                            * if self.shock_prob > 0.0 {
                                lognormal_shortfall(*s, mu_shock, sd)
                            } else {
                                0.0
                            };
                    let below = (1.0 - self.shock_prob) * lognormal_below(*s, mu, sd)
                        + self.shock_prob
                            * if self.shock_prob > 0.0 {
                                lognormal_below(*s, mu_shock, sd)
                            } else {
                                0.0
                            };
                    cost += r.share * self.take_up * mean_k * shortfall;
                    recipients += r.share * self.take_up * below / 12.0;
                }
            }
            out.push(RefYear { cost, recipients });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_cdf(1.959963984540054) - 0.975).abs() < 1e-12);
    }

    #[test]
    fn shortfall_matches_numerical_integration() {
        // E[(s − Y)+] by a fine midpoint rule over the normal density of log Y.
        let (s, mu, sd) = (769.0f64, 7.5f64, 0.8f64);
        let n = 200_000;
        let (lo, hi) = (mu - 10.0 * sd, mu + 10.0 * sd);
        let h = (hi - lo) / n as f64;
        let mut num = 0.0;
        for i in 0..n {
            let x = lo + (i as f64 + 0.5) * h;
            let dens = (-(x - mu).powi(2) / (2.0 * sd * sd)).exp()
                / (sd * (2.0 * std::f64::consts::PI).sqrt());
            num += (s - x.exp()).max(0.0) * dens * h;
        }
        assert!(
            (lognormal_shortfall(s, mu, sd) - num).abs() < 1e-6 * s,
            "{} vs {num}",
            lognormal_shortfall(s, mu, sd)
        );
    }
}
