//! The counter store: exact integer counters filled by the engine (a primitive: every layer
//! below metrics may record into it, and it imports nothing).
//!
//! Counters hold money in fen and counts as whole numbers per (stratum, year, half-year), so
//! sums are exact and identical whatever the thread count or chunk size; survey weights are
//! applied only after the reduction, in a fixed order.
//!
//! One scenario's counters of one replication are an `ndarray` array with named axes
//! ([`axis`]: stratum × year × half × counter), stored flat so the engine's hot loop writes a
//! plain slice ([`Counters::slot`]); a run holds one per (scenario, replication), the two outer
//! axes. Regions and periods are reductions over the stratum and half axes (see `metrics`),
//! and threads, shards and passes merge by adding arrays ([`Counters::merge`]).

use ndarray::{ArrayView4, ArrayViewMut4};

/// Bins of assessed need (0–1) in the quota's first pass, see `programs::quota`.
pub const NEED_BINS: usize = 40;

/// Declares consecutive counter indices.
macro_rules! counters {
    ($($name:ident),* $(,)?) => { counters!(@ 0usize; $($name),*); };
    (@ $i:expr; $name:ident $(, $rest:ident)*) => {
        pub const $name: usize = $i;
        counters!(@ $i + 1; $($rest),*);
    };
    (@ $i:expr;) => {
        /// Offset of the assistance spell block (dibao or tekun), after the need histogram.
        pub const ASSIST: usize = $i - 1 + crate::counters::NEED_BINS;
        /// Offset of the poverty spell block.
        pub const POVERTY: usize = ASSIST + crate::counters::SPELL_COUNTERS;
        /// Number of counters.
        pub const N: usize = POVERTY + crate::counters::SPELL_COUNTERS;
    };
}

/// Counter indices. Money in fen; gaps scaled by [`GAP_SCALE`]; everything else whole counts
/// (household-months, person-months, events).
pub mod c {
    counters!(
        HH_MONTHS,
        PERSON_MONTHS,
        // Costs by payer, fen.
        COST_DIBAO_FEN,
        COST_DIBAO_SINGLE_FEN,
        COST_TEKUN_FEN,
        COST_MARGINAL_FEN,
        COST_RIGID_FEN,
        COST_TEMPORARY_FEN,
        COST_SERVICES_FEN,
        COST_CHARITY_FEN,
        // Dibao recipients (single-person units included), and those covered alone.
        RECIP_HH_MONTHS,
        RECIP_PERSON_MONTHS,
        SINGLE_PERSON_MONTHS,
        TEKUN_HH_MONTHS,
        TEKUN_PERSON_MONTHS,
        TEKUN_INSTITUTION_PERSON_MONTHS,
        MARGINAL_HH_MONTHS,
        MARGINAL_PERSON_MONTHS,
        RIGID_HH_MONTHS,
        TEMP_CASES_PERSONS,
        TEMP_CASES_HH,
        SERVICE_PERSON_MONTHS,
        CHARITY_HH_MONTHS,
        // Charity claims by priority rank, fen (the year's demand; settled after the run).
        CHARITY_DEMAND_0,
        CHARITY_DEMAND_1,
        CHARITY_DEMAND_2,
        // Charity claim-months by rank; and by rank what paying the claims in full would take
        // off post-transfer poverty: persons lifted (person-months) and the gaps (GAP_SCALE).
        CHARITY_MONTHS_0,
        CHARITY_MONTHS_1,
        CHARITY_MONTHS_2,
        CHARITY_LIFTED_0,
        CHARITY_LIFTED_1,
        CHARITY_LIFTED_2,
        CHARITY_GAP1_0,
        CHARITY_GAP1_1,
        CHARITY_GAP1_2,
        CHARITY_GAP2_0,
        CHARITY_GAP2_1,
        CHARITY_GAP2_2,
        // Household-months on dibao and tekun at once: must stay 0.
        OVERLAP_DIBAO_TEKUN,
        STANDARD_PERSON_FEN,
        POOR_HH_MONTHS,
        POOR_RECIP_HH_MONTHS,
        ELIG_HH_MONTHS,
        ELIG_RECIP_HH_MONTHS,
        INELIG_RECIP_HH_MONTHS,
        PRE_POOR_HH_MONTHS,
        PRE_POOR_PERSON_MONTHS,
        PRE_GAP1,
        PRE_GAP2,
        POST_POOR_PERSON_MONTHS,
        POST_GAP1,
        POST_GAP2,
        // Essential (medical and education) spending of pre-transfer poor households, fen.
        ESSENTIAL_POOR_FEN,
        FALL_BASE,
        FALL_IN,
        WARNINGS,
        NEW_POOR,
        NEW_POOR_CAUGHT,
        SHOCK_ASSIST_MONTHS,
        SHOCK_ASSISTED,
        // Dibao recipient assistance units (a household may form several), unit-months.
        RECIP_UNIT_MONTHS,
        // Dibao recipients aged `population::STAT_ELDERLY_AGE` or more, person-months.
        RECIP_ELDERLY_PERSON_MONTHS,
        // Persons in households eligible for dibao by the rule on neither dibao nor tekun.
        ELIG_UNASSISTED_PERSON_MONTHS,
        // Persons in households of the monitoring platform's database (programs::monitoring).
        MONITORED_PERSON_MONTHS,
        // Person-months of members aged `population::STAT_ELDERLY_AGE` or more.
        ELDERLY_PERSON_MONTHS,
        // The January's births and deaths (population.demography), in the year's first half.
        BIRTHS,
        DEATHS,
        // Poverty on the year's income (metrics.annual_poverty), in the year's second half:
        // persons, persons poor before and after transfers; households poor after transfers
        // the year before (the same household), those of them that left this year, those exits
        // whose next year is in the horizon, and of these the ones poor again that next year
        // (counted in the exit's year).
        ANNUAL_PERSONS,
        ANNUAL_PRE_POOR_PERSONS,
        ANNUAL_POST_POOR_PERSONS,
        ANNUAL_POOR_BEFORE_HH,
        ANNUAL_EXITS_HH,
        ANNUAL_EXITS_OBS_HH,
        ANNUAL_BACK_HH,
        // Dibao household-months by assessed need (the quota's first pass), NEED_BINS bins.
        QUOTA_NEED_0,
    );
    /// First counter after the need histogram.
    pub const QUOTA_NEED_END: usize = QUOTA_NEED_0 + crate::counters::NEED_BINS;
}

/// Counters per spell kind (assistance, poverty), at offsets from the block start.
pub mod spell {
    pub const ENTRIES: usize = 0;
    pub const EXITS: usize = 1;
    /// Re-entries within 12 months, windows cut at the horizon (the reference definition).
    pub const RE12_ALL: usize = 2;
    /// Exits whose 12/24/36-month window is fully observed, and their re-entries.
    pub const EXITS_OBS: [usize; 3] = [3, 4, 5];
    pub const RE_OBS: [usize; 3] = [6, 7, 8];
    pub const SPELLS_DONE: usize = 9;
    pub const SPELL_MONTHS: usize = 10;
}
/// Size of a spell block.
pub const SPELL_COUNTERS: usize = 11;
/// Fall-back windows, months.
pub const WINDOWS: [i32; 3] = [12, 24, 36];
/// Scale of poverty-gap counters (1e6 = a full gap for one person-month).
pub const GAP_SCALE: f64 = 1e6;

/// `x.round() as i64` (half away from zero), without a call: on a baseline x86-64 target
/// `f64::round` is a library function, and counters round several values every slow month.
/// Exact: for |x| < 2^52 the fraction `x - trunc(x)` is representable; above, x is whole.
#[inline(always)]
pub fn round_i64(x: f64) -> i64 {
    let t = x as i64;
    let f = x - t as f64;
    // Comparisons as integers, not branches: the fraction of a money amount is a coin toss.
    t.saturating_add((f >= 0.5) as i64 - (f <= -0.5) as i64)
}

/// One household's poverty-gap sums over one counter period (a half-year), rounded once
/// when the period closes ([`GapSums::flush`]) instead of month by month: gaps are shares of
/// the line (0–1), summed per person of the household. What paying the charity claims of
/// each rank would take off the post-transfer gap (`CHARITY_GAP*`) is rounded from the same
/// sums, as the differences between the rounded gaps with ranks 0..r paid and 0..r-1 paid:
/// each is ≥ 0 and together they are at most the post-transfer gap, so a settled
/// post-charity gap is never negative, and with no budget it is the gap without charity.
#[derive(Debug, Clone, Copy, Default)]
pub struct GapSums {
    /// Σ g and Σ g² of pre-transfer poor months.
    pub pre: [f64; 2],
    /// Essential spending of pre-transfer poor months, yuan.
    pub essential: f64,
    /// Σ g and Σ g² of post-transfer poor months.
    pub post: [f64; 2],
    /// By charity claim rank: Σ (g − g') and Σ (g² − g'²) over months with a claim of the
    /// rank, g' the gap as it would be with the claim paid (≤ g).
    pub paid: [[f64; 2]; 3],
    /// Bit `r`: some month of rank `r` was recorded; [`GapSums::ANY`]: anything was.
    pub ranks: u8,
}

impl GapSums {
    /// Bit of [`GapSums::ranks`] set when any month was recorded.
    pub const ANY: u8 = 0x80;

    /// Add the sums to the counters of their period (`slot`, household of `k` members),
    /// each rounded once, and start over. A period with nothing recorded (most household
    /// half-years) is still all zeros and adds nothing: that test is made in line, the
    /// rounding out of line.
    #[inline(always)]
    pub fn flush(&mut self, k: i64, slot: &mut [i64; c::N]) {
        if self.ranks != 0 {
            self.flush_recorded(k, slot);
        }
    }

    #[inline(never)]
    fn flush_recorded(&mut self, k: i64, slot: &mut [i64; c::N]) {
        let r = |x: f64| round_i64(x * GAP_SCALE) * k;
        slot[c::PRE_GAP1] += r(self.pre[0]);
        slot[c::PRE_GAP2] += r(self.pre[1]);
        slot[c::ESSENTIAL_POOR_FEN] += round_i64(self.essential * 100.0);
        for (j, (gap, charity)) in [
            (c::POST_GAP1, c::CHARITY_GAP1_0),
            (c::POST_GAP2, c::CHARITY_GAP2_0),
        ]
        .into_iter()
        .enumerate()
        {
            let mut left = self.post[j];
            let mut before = r(left);
            slot[gap] += before;
            if self.ranks & 7 != 0 {
                for rank in 0..3 {
                    // Each difference is ≥ 0: rounding is monotone and `paid` ≥ 0.
                    left -= self.paid[rank][j];
                    let after = r(left);
                    slot[charity + rank] += before - after;
                    before = after;
                }
            }
        }
        *self = GapSums::default();
    }
}

/// Named axes of [`Counters::view`].
pub mod axis {
    use ndarray::Axis;
    /// Stratum (index into the population's strata).
    pub const STRATUM: Axis = Axis(0);
    /// Year of the horizon (0 = the start year).
    pub const YEAR: Axis = Axis(1);
    /// Half of the year (0 = January–June).
    pub const HALF: Axis = Axis(2);
    /// Counter id ([`super::c`]).
    pub const COUNTER: Axis = Axis(3);
}

/// Exact counters for one scenario: `[stratum][year][half] -> [i64; c::N]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Counters {
    pub strata: usize,
    pub years: usize,
    pub data: Vec<[i64; c::N]>,
    /// Benefit-incidence counters (empty unless asked for), see [`inc`].
    pub inc: Vec<i64>,
}

/// Benefit-incidence counters per (stratum, year, decile), fields at these offsets.
pub mod inc {
    /// Household-years.
    pub const HOUSEHOLDS: usize = 0;
    /// Person-years.
    pub const PERSONS: usize = 1;
    /// Cash received from every payer, fen.
    pub const CASH_FEN: usize = 2;
    /// Cash received minus what the same household received under the first scenario, fen.
    pub const GAIN_FEN: usize = 3;
    /// Household-years better off / worse off than under the first scenario.
    pub const GAINERS: usize = 4;
    pub const LOSERS: usize = 5;
    /// Person-months poor after transfers.
    pub const POOR_PERSON_MONTHS: usize = 6;
    /// Number of fields.
    pub const F: usize = 7;
    /// Deciles.
    pub const DECILES: usize = 10;
}

impl Counters {
    /// Turn on the benefit-incidence counters.
    pub fn with_incidence(mut self) -> Counters {
        self.inc = vec![0; self.strata * self.years * inc::DECILES * inc::F];
        self
    }

    /// Incidence field `f` of (stratum, year, decile).
    #[inline]
    pub fn inc_mut(&mut self, s: usize, t: usize, d: usize, f: usize) -> &mut i64 {
        &mut self.inc[((s * self.years + t) * inc::DECILES + d) * inc::F + f]
    }

    /// Incidence field `f` of (stratum, year, decile).
    pub fn inc_get(&self, s: usize, t: usize, d: usize, f: usize) -> i64 {
        self.inc[((s * self.years + t) * inc::DECILES + d) * inc::F + f]
    }

    /// Zeroed counters.
    pub fn new(strata: usize, years: usize) -> Counters {
        Counters {
            strata,
            years,
            data: vec![[0; c::N]; strata * years * 2],
            inc: Vec::new(),
        }
    }

    /// Slot of (stratum, year, half).
    #[inline]
    pub fn slot(&mut self, s: usize, t: usize, half: usize) -> &mut [i64; c::N] {
        &mut self.data[(s * self.years + t) * 2 + half]
    }

    /// Counter `k` of every stratum and half-year replaced by its running sum over the years:
    /// for a count recorded as what is new each year (persons reaching 60 without population
    /// change, `engine::household`). Linear, so shards and threads may sum first.
    pub fn cumulate_years(&mut self, k: usize) {
        for s in 0..self.strata {
            for h in 0..2 {
                let mut run = 0;
                for t in 0..self.years {
                    let slot = &mut self.data[(s * self.years + t) * 2 + h];
                    run += slot[k];
                    slot[k] = run;
                }
            }
        }
    }

    /// The two half-year slots of (stratum, year), together (`[first, second]`).
    #[inline]
    pub fn year_slots(&mut self, s: usize, t: usize) -> &mut [[i64; c::N]; 2] {
        let at = (s * self.years + t) * 2;
        (&mut self.data[at..at + 2])
            .try_into()
            .expect("a range of two slots")
    }

    /// The counters as an array over the named [`axis`]es: stratum × year × half × counter.
    pub fn view(&self) -> ArrayView4<'_, i64> {
        ArrayView4::from_shape((self.strata, self.years, 2, c::N), self.data.as_flattened())
            .expect("counters are strata × years × 2 slots")
    }

    /// [`Counters::view`], writable.
    pub fn view_mut(&mut self) -> ArrayViewMut4<'_, i64> {
        let shape = (self.strata, self.years, 2, c::N);
        ArrayViewMut4::from_shape(shape, self.data.as_flattened_mut())
            .expect("counters are strata × years × 2 slots")
    }

    /// Add another set of counters of the same shape (exact: integer addition of arrays).
    pub fn merge(&mut self, other: &Counters) {
        for (x, y) in self.inc.iter_mut().zip(&other.inc) {
            *x += y;
        }
        let mut a = self.view_mut();
        a += &other.view();
    }

    /// Zeroed counters of the same shape.
    pub fn zeroed(&self) -> Counters {
        let c = Counters::new(self.strata, self.years);
        if self.inc.is_empty() {
            c
        } else {
            c.with_incidence()
        }
    }

    /// Move stratum `s`'s slots into `dst` (added), leaving them zero here. Incidence counters
    /// are not moved.
    pub fn drain_stratum_into(&mut self, s: usize, dst: &mut Counters) {
        let range = s * self.years * 2..(s + 1) * self.years * 2;
        for (a, b) in dst.data[range.clone()]
            .iter_mut()
            .zip(&mut self.data[range])
        {
            for (x, y) in a.iter_mut().zip(b.iter_mut()) {
                *x += *y;
                *y = 0;
            }
        }
    }

    /// Slot of (stratum, year, half), read-only.
    pub fn get(&self, s: usize, t: usize, half: usize) -> &[i64; c::N] {
        &self.data[(s * self.years + t) * 2 + half]
    }

    /// Every counter as one flat list with its shape `[strata, years, halves, counters,
    /// incidence length]` (row-major, incidence last): the exact integers, for shard and
    /// checkpoint files.
    pub fn to_flat(&self) -> (Vec<usize>, Vec<i64>) {
        let mut v = Vec::with_capacity(self.data.len() * c::N + self.inc.len());
        for slot in &self.data {
            v.extend_from_slice(slot);
        }
        v.extend_from_slice(&self.inc);
        (vec![self.strata, self.years, 2, c::N, self.inc.len()], v)
    }

    /// The inverse of [`Counters::to_flat`]; `None` when the shape is not this build's (other
    /// counter count, no incidence of the expected size) or the length does not match it.
    pub fn from_flat(shape: &[usize], values: &[i64]) -> Option<Counters> {
        let &[strata, years, 2, n, inc_len] = shape else {
            return None;
        };
        let cells = strata.checked_mul(years)?.checked_mul(2)?;
        let expected_inc = strata * years * inc::DECILES * inc::F;
        if n != c::N
            || (inc_len != 0 && inc_len != expected_inc)
            || values.len() != cells.checked_mul(n)?.checked_add(inc_len)?
        {
            return None;
        }
        let mut out = Counters::new(strata, years);
        for (slot, chunk) in out.data.iter_mut().zip(values.chunks_exact(n)) {
            slot.copy_from_slice(chunk);
        }
        out.inc = values[cells * n..].to_vec();
        Some(out)
    }
}

/// Tracks one household's spells in a state (receiving assistance, or poor) month by month.
#[derive(Debug, Clone, Copy)]
pub struct SpellTracker {
    in_state: bool,
    start: i32,
    start_known: bool,
    last_exit: i32,
}

const NO_EXIT: i32 = i32::MIN;

impl SpellTracker {
    /// Start tracking at month 0 in the given state (a spell already running is left-censored).
    pub fn new(in_state: bool) -> SpellTracker {
        SpellTracker {
            in_state,
            start: 0,
            start_known: false,
            last_exit: NO_EXIT,
        }
    }

    /// In the state at the last month observed.
    #[inline(always)]
    pub fn in_state(&self) -> bool {
        self.in_state
    }

    /// Observe month `m` (≥ 1) of `months` and record entries, exits, re-entries and spells in
    /// the counters of block `base`. Exits and re-entries count in the year of the exit (the
    /// last month in the state).
    #[inline(always)]
    pub fn step(
        &mut self,
        m: i32,
        now: bool,
        months: i32,
        counters: &mut Counters,
        s: usize,
        base: usize,
    ) {
        if now != self.in_state {
            self.change(m, now, months, counters, s, base);
        }
    }

    #[inline(never)]
    fn change(
        &mut self,
        m: i32,
        now: bool,
        months: i32,
        counters: &mut Counters,
        s: usize,
        base: usize,
    ) {
        self.in_state = now;
        if now {
            let (t, h) = year_half(m);
            counters.slot(s, t, h)[base + spell::ENTRIES] += 1;
            if self.last_exit != NO_EXIT {
                let e = self.last_exit;
                let gap = m - e;
                let (te, he) = year_half(e);
                let slot = counters.slot(s, te, he);
                if gap <= 12 {
                    slot[base + spell::RE12_ALL] += 1;
                }
                for (i, w) in WINDOWS.iter().enumerate() {
                    if e + w < months && gap <= *w {
                        slot[base + spell::RE_OBS[i]] += 1;
                    }
                }
                self.last_exit = NO_EXIT;
            }
            self.start = m;
            self.start_known = true;
        } else {
            let e = m - 1;
            let (te, he) = year_half(e);
            let slot = counters.slot(s, te, he);
            slot[base + spell::EXITS] += 1;
            for (i, w) in WINDOWS.iter().enumerate() {
                if e + w < months {
                    slot[base + spell::EXITS_OBS[i]] += 1;
                }
            }
            if self.start_known {
                slot[base + spell::SPELLS_DONE] += 1;
                slot[base + spell::SPELL_MONTHS] += (e - self.start + 1) as i64;
            }
            self.last_exit = e;
        }
    }
}

/// Year index and half (0 = January–June) of month `m`.
#[inline]
pub fn year_half(m: i32) -> (usize, usize) {
    ((m / 12) as usize, ((m % 12) / 6) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_i64_is_f64_round(x in -1e15f64..1e15, bits in any::<u64>()) {
            prop_assert_eq!(round_i64(x), x.round() as i64);
            // Any finite bit pattern in range, halves and near-halves included.
            let y = f64::from_bits(bits);
            if y.is_finite() && y.abs() < 9e18 {
                prop_assert_eq!(round_i64(y), y.round() as i64);
            }
        }
    }

    #[test]
    fn round_i64_at_the_halves() {
        for x in [
            0.5,
            -0.5,
            1.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            0.0,
            -0.0,
        ] {
            assert_eq!(round_i64(x), x.round() as i64, "{x}");
        }
    }

    #[test]
    fn spell_tracker_counts_exit_and_reentry_in_the_exit_year() {
        let mut k = Counters::new(1, 5);
        let mut tr = SpellTracker::new(true);
        // In state months 0..=10, out 11..=14, back at 15, out again at 50 and never back.
        for m in 1..60 {
            let now = m <= 10 || (15..50).contains(&m);
            tr.step(m, now, 60, &mut k, 0, c::ASSIST);
        }
        let y0: i64 = (0..2)
            .map(|h| k.get(0, 0, h)[c::ASSIST + spell::EXITS])
            .sum();
        let re0: i64 = (0..2)
            .map(|h| k.get(0, 0, h)[c::ASSIST + spell::RE12_ALL])
            .sum();
        assert_eq!((y0, re0), (1, 1));
        let y4: i64 = (0..2)
            .map(|h| k.get(0, 4, h)[c::ASSIST + spell::EXITS])
            .sum();
        let obs4: i64 = (0..2)
            .map(|h| k.get(0, 4, h)[c::ASSIST + spell::EXITS_OBS[0]])
            .sum();
        // Exit at month 49 (year 4): its 12-month window ends at 61 > 59, so not observed.
        assert_eq!((y4, obs4), (1, 0));
        // Only the second spell (15..=49) is complete with a known start: 35 months.
        let months: i64 = k
            .data
            .iter()
            .map(|s| s[c::ASSIST + spell::SPELL_MONTHS])
            .sum();
        assert_eq!(months, 35);
    }
}
