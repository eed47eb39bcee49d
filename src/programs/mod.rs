//! The programs of the tiered assistance system, one file each, run as steps of one declared
//! pipeline. Each program owns its whole rule: its parameters and their checks (under
//! `programs.<name>` in the scenario), its yearly facts about a household, the income line
//! above which it cannot apply, its monthly step and the counters it records.
//!
//! A month of a household runs the enabled programs in the order of [`programs!`] below over
//! one [`Ledger`] of awards: a program reads what the programs before it decided ("tekun
//! excludes dibao" is dibao reading `ledger.tekun`; "temporary assistance also reaches dibao
//! households" is temporary not reading it) and writes its own award. A program switched off
//! has no rule ([`Step::new`] returns `None`): no propensities, streams, yearly facts or
//! steps are set up for it.
//!
//! Rules are pure: randomness comes only through streams of their own purpose, and the number
//! of numbers drawn depends on parameters only, never on the household's state. Monthly draws
//! are keyed by month ([`month_draws`]) and made in the step, so months no step looks at
//! draw nothing.

use crate::check::Checker;
use crate::counters::c;
use crate::population::{Household, MemberParams};
use crate::rng::{month_stream, purpose_key, unit_key, unit_stream, MonthRng, Purpose, StreamRng};
use crate::simulation::SimulationParams;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Counters a household's steps write to: the slot of its stratum and half-year.
pub type Record = [i64; c::N];

/// The most once-per-household propensities the programs draw together (see [`Step::PROPENSITIES`]).
pub const MAX_PROPENSITIES: usize = 16;

/// Which household a program's streams belong to.
#[derive(Debug, Clone, Copy)]
pub struct HouseholdKey {
    /// `rng::unit_key(seed, rep, index)`, taken once for all the household's streams (private:
    /// only `new` makes it, so it cannot go stale).
    unit: u64,
}

impl HouseholdKey {
    /// The key of household `index` of replication `rep` under master seed `seed`.
    #[inline]
    pub fn new(seed: u64, rep: u32, index: u64) -> HouseholdKey {
        HouseholdKey {
            unit: unit_key(seed, rep, index),
        }
    }

    /// `rng::unit_key(seed, rep, index)`: the household's other streams are keyed by it too.
    #[inline]
    pub fn unit(&self) -> u64 {
        self.unit
    }

    /// The household's stream of one purpose.
    #[inline]
    pub fn stream(&self, purpose: Purpose) -> StreamRng {
        unit_stream(self.unit, purpose)
    }

    /// The key of the household's stream of one purpose, for draws keyed by month
    /// ([`month_draws`]).
    #[inline]
    pub fn stream_key(&self, purpose: Purpose) -> u64 {
        purpose_key(self.unit, purpose)
    }
}

/// The generator of month `m` of a household's stream of key `key` (see
/// [`HouseholdKey::stream_key`]): a program that draws monthly draws here in its step, so a
/// month it does not look at costs no draw and streams stay aligned across scenarios.
#[inline]
pub fn month_draws(key: u64, m: i32) -> MonthRng {
    month_stream(key, m)
}

/// Facts of one household-year every program may read, set by the engine.
#[derive(Debug, Clone, Copy)]
pub struct YearCtx<'a> {
    pub hh: &'a Household,
    pub members: &'a MemberParams,
    /// Year index from the start year.
    pub t: usize,
    /// Calendar year (the start year for burn-in months).
    pub year: i32,
    /// Dibao standard where the household applies, yuan per person per month, and its log.
    pub standard: f64,
    pub ln_standard: f64,
    /// Dibao standard where it lives (temporary assistance is paid where a shock happens).
    pub local_standard: f64,
    pub ln_local_standard: f64,
    /// Price level relative to the start year.
    pub price_index: f64,
    /// The dibao standard where the household applies relative to its start-year level.
    pub standard_index: f64,
    /// Nominal per-capita income index of the household's region relative to the start year
    /// (the national index unless `dynamics.income.by_region`).
    pub income_index: f64,
    /// Stratum mean per-capita income of the prior year, yuan per person per month.
    pub mean_income: f64,
    /// Education spending of the household, yuan per month.
    pub education: f64,
    /// Share of income spent on medical care (essential spending), 0–1.
    pub medical_share: f64,
    /// With a quota, after its first pass: the stratum's need cut-off this year.
    pub quota_cut: Option<f64>,
    /// With a quota: this pass counts dibao's recipients by need (`engine::RepTables`).
    pub quota_record: bool,
    /// Members.
    pub size: f64,
    pub k: i64,
    /// The household lives in an urban stratum.
    pub urban: bool,
}

/// What a month brings, as the programs see it (set by the engine before the steps).
#[derive(Debug, Clone, Copy)]
pub struct MonthCtx<'a> {
    /// Month index from the start of the horizon (burn-in months are negative).
    pub m: i32,
    /// Log of true per-capita income, and the income, yuan per person per month.
    pub ly: f64,
    pub y: f64,
    /// Log of per-capita income as the means test counts it (see [`rigid::RigidParams::means_log_income`]).
    pub lm: f64,
    /// Household shocks that started this month (bit flags of [`temporary::shock`]).
    pub kinds: u8,
    /// Essential (medical and education) spending this month, yuan per household.
    pub essential: f64,
    /// True income below the local standard this month, and it was not last month.
    pub poor: bool,
    pub newly_poor: bool,
    /// The run's first month under `simulation.start = "enrolled"`: a program whose take-up
    /// has memory takes up whoever is eligible and willing now (its chance is 1 this month).
    pub enrol: bool,
    /// At `simulation.start = "replayed"`, read only in the month of `enrol`: the household's
    /// past, which dibao replays instead of enrolling (a reference to it is all a month
    /// builds: the steps' hot path).
    pub replay: &'a Option<crate::dynamics::PastIncome<'a>>,
}

/// One household-month's awards and standings, written by the steps in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ledger {
    /// Monitoring: an early warning is active; what it offers dibao's take-up.
    pub warned: bool,
    pub reached: bool,
    pub proactive_apply_prob: f64,
    /// Tekun supports the household; its support, yuan (cash, or institutional care).
    pub tekun: bool,
    pub tekun_cash: f64,
    pub tekun_institutional: bool,
    /// Tekun's care subsidy (sum of shares of the standard) and members needing care.
    pub care_share: f64,
    pub care_needing: f64,
    /// Dibao paid this month, yuan per household; the household is on dibao's roll after
    /// this month (paid or not); its assessed per-capita income, yuan per person per month.
    pub dibao: f64,
    pub dibao_on: bool,
    pub dibao_assessed_pc: f64,
    /// Dibao's assessment of the month (log assessed per-capita income, drawn when read:
    /// [`Assessment::log`]), and whether the household would apply when it believes itself
    /// eligible.
    pub assessment: Assessment,
    pub would_apply_dibao: bool,
    /// A dibao application is being processed, or was decided this month (the monitoring
    /// database registers applicants).
    pub dibao_applied: bool,
    /// Marginal family: registered this month, special assistance, yuan.
    pub marginal: bool,
    pub special_marginal: f64,
    /// A marginal-family application was assessed this month (recognised or not).
    pub marginal_applied: bool,
    /// Severely ill or disabled members covered by dibao alone, and their dibao, yuan.
    pub single: f64,
    pub n_single: i64,
    /// Rigid-expenditure special assistance.
    pub rigid: bool,
    pub special_rigid: f64,
    /// Temporary assistance paid this month, yuan.
    pub temporary: f64,
    /// Cash awarded by programs without a field of their own (a program registered later
    /// adds its award here), yuan per household.
    pub cash_other: f64,
    /// Charity claim this month, yuan (paid in full or not at all when the year is settled,
    /// `charity::CharityParams::settle`); bit `r` of `claimed`: a claim of priority rank `r`.
    pub charity: f64,
    pub claimed: u8,
}

/// Dibao's assessment of a household-month as a later step reads it: the log of the
/// per-capita income declared, plus `sd` times the month's assessment error, the first
/// standard normal of the household's administrative stream of key `error` in month `m` (0
/// without a stream). The error is drawn only when read ([`Assessment::log`]): most months no
/// step reads it, and the stream is keyed by month, so leaving it undrawn shifts no other draw.
#[derive(Debug, Clone, Copy, Default)]
pub struct Assessment {
    /// Log declared per-capita income, yuan per person per month.
    pub declared: f64,
    /// The assessment error's standard deviation (log points).
    pub sd: f64,
    /// Key of the household's administrative stream, where the error is drawn.
    pub error: Option<u64>,
    /// The month (its stream's draws are keyed by it).
    pub m: i32,
}

impl Assessment {
    /// An assessment of `log` with no error: [`Assessment::log`] is `log` + 0.0, which is
    /// `log` in every comparison (only a −0 would turn +0).
    #[inline(always)]
    pub const fn known(log: f64) -> Assessment {
        Assessment {
            declared: log,
            sd: 0.0,
            error: None,
            m: 0,
        }
    }

    /// The assessment error of month `m` of the administrative stream of key `key`: its
    /// month's first standard normal (dibao's step reads the same).
    #[inline]
    pub fn error_draw(key: u64, m: i32) -> f64 {
        use rand_distr::Distribution;
        rand_distr::StandardNormal.sample(&mut month_draws(key, m))
    }

    /// Log assessed per-capita income, yuan per person per month.
    #[inline]
    pub fn log(&self) -> f64 {
        self.declared + self.sd * self.error.map_or(0.0, |k| Self::error_draw(k, self.m))
    }
}

impl Ledger {
    /// Persons dibao pays this month in a household of `size` members: every member when the
    /// household is paid, else the members covered alone by single-person inclusion.
    #[inline]
    pub fn dibao_persons(&self, size: f64) -> f64 {
        if self.dibao > 0.0 {
            size
        } else {
            self.n_single as f64
        }
    }

    /// Pay `yuan_per_person` to every person dibao pays this month ([`Ledger::dibao_persons`])
    /// and every member of a household tekun supports, from their budgets (`cost_dibao`,
    /// `cost_tekun`): the per-person subsidies to dibao and tekun persons (one-off, price-linked).
    #[inline]
    pub fn pay_dibao_and_tekun_persons(
        &mut self,
        yuan_per_person: f64,
        size: f64,
        rec: &mut Record,
    ) {
        let to_dibao = yuan_per_person * self.dibao_persons(size);
        let to_tekun = yuan_per_person * if self.tekun { size } else { 0.0 };
        self.cash_other += to_dibao + to_tekun;
        rec[c::COST_DIBAO_FEN] += fen(to_dibao);
        rec[c::COST_TEKUN_FEN] += fen(to_tekun);
    }

    /// The ledger of a month no program needed: nothing awarded.
    pub const EMPTY: Ledger = Ledger {
        warned: false,
        reached: false,
        proactive_apply_prob: 0.0,
        tekun: false,
        tekun_cash: 0.0,
        tekun_institutional: false,
        care_share: 0.0,
        care_needing: 0.0,
        dibao: 0.0,
        dibao_on: false,
        dibao_assessed_pc: 0.0,
        assessment: Assessment::known(0.0),
        would_apply_dibao: false,
        dibao_applied: false,
        marginal: false,
        special_marginal: 0.0,
        marginal_applied: false,
        single: 0.0,
        n_single: 0,
        rigid: false,
        special_rigid: 0.0,
        temporary: 0.0,
        cash_other: 0.0,
        charity: 0.0,
        claimed: 0,
    };

    /// The ledger a month that takes the steps starts from: nothing awarded yet, and dibao's
    /// assessment of the month, `log_assessed` (log yuan per person per month).
    #[inline(always)]
    pub const fn open(log_assessed: f64) -> Ledger {
        Ledger {
            assessment: Assessment::known(log_assessed),
            ..Ledger::EMPTY
        }
    }

    /// On dibao this month (dibao is paid to recipients only).
    #[inline]
    pub fn on_dibao(&self) -> bool {
        self.dibao > 0.0
    }

    /// On regular assistance: dibao or tekun.
    #[inline]
    pub fn regular(&self) -> bool {
        self.on_dibao() || self.tekun
    }

    /// Cash from government programs this month, yuan per household, summed in payer order.
    #[inline]
    pub fn government(&self) -> f64 {
        self.dibao
            + self.single
            + self.tekun_cash
            + self.special_marginal
            + self.special_rigid
            + self.temporary
            + self.cash_other
    }
}

/// The propensity slot that decides whether a household has a supporter able and obliged to
/// support it: read by tekun (its no-supporter condition), dibao (relatives' support) and the
/// population's retirees (`Tekun::has_supporter`).
pub const SUPPORTER_SLOT: usize = 1;

/// A household's first `n` propensity draws: one stream, drawn in slot order (the slots past
/// `n` hold 0).
pub(crate) fn propensity_draws(key: &HouseholdKey, n: usize) -> [f64; MAX_PROPENSITIES] {
    let mut u = [0.0; MAX_PROPENSITIES];
    if n > 0 {
        let mut rng = key.stream(Purpose::Propensity);
        for x in u.iter_mut().take(n) {
            *x = rng.random();
        }
    }
    u
}

/// A program as a step of the monthly pipeline. Implemented once per program file; the
/// engine calls it through [`Rules`] (static dispatch, no trait objects).
pub trait Step: Sized {
    /// What the program keeps per household: its state, its streams and its yearly facts.
    type Household;
    /// Once-per-household propensities it reads: slots `0..PROPENSITIES` of the household's
    /// propensity stream are drawn when it is on (each program reads fixed slots; a new
    /// program appends its slots at the end so earlier ones keep their draws).
    const PROPENSITIES: usize = 0;

    /// Slots it reads under its scenario's parameters, at most `PROPENSITIES`: slots past
    /// them that only an unused parameter reads need not be drawn (the stream's earlier
    /// draws are the same either way; an undrawn slot holds 0).
    fn propensities(&self) -> usize {
        Self::PROPENSITIES
    }
    /// The rule of a scenario's programs, `None` when this program is off.
    fn new(p: &ProgramsParams) -> Option<Self>;
    /// Set up a household: `u` holds its propensity draws.
    fn household(&self, key: &HouseholdKey, u: &[f64; MAX_PROPENSITIES]) -> Self::Household;
    /// Refresh its yearly facts; returns the log of true per-capita income (yuan per person
    /// per month) at or above which the program cannot act on the household this year, unless
    /// it is [`busy`](Step::busy), a shock starts, or an illness month matters to it.
    /// Contract: the facts are made afresh from the household and the year (draws only from
    /// streams keyed by the year), so the engine may skip a year's call or make it late.
    fn year(&self, h: &mut Self::Household, y: &YearCtx) -> f64;
    /// The line [`year`](Step::year) would return, when it follows from the year's context
    /// alone (the standards and indices of the household's stratum and year, not its members
    /// or propensities): then the engine leaves `year` until a month of the year needs the
    /// steps, and a year none needs costs no yearly facts. `None` (the default): `year` runs
    /// at the start of every household-year. The line table is made before the replication's
    /// quota cut-offs (`YearCtx::quota_cut`), so a line must not read them.
    fn line(&self, _y: &YearCtx) -> Option<f64> {
        None
    }
    /// For a program whose [`line`](Step::line) is `None`: an upper bound, from the year's
    /// context alone, of the line [`year`](Step::year) returns for any household of the
    /// stratum and year that is not [`inert`](Step::inert) (log yuan per person per month).
    /// With it the engine leaves a household-year's `year` until a month below the bound (or
    /// one of the other months that take the steps) needs it, and a year none needs costs no
    /// yearly facts. `f64::INFINITY` (the default): no bound, `year` runs at the start of
    /// every household-year.
    fn line_bound(&self, _y: &YearCtx) -> f64 {
        f64::INFINITY
    }
    /// In every year, [`year`](Step::year) returns `f64::NEG_INFINITY` for this household,
    /// and [`illness_matters_for`](Step::illness_matters_for) is false, whatever its members
    /// (it reads the household's propensities only): its line counts for nothing in the bound.
    #[inline(always)]
    fn inert(&self, _h: &Self::Household) -> bool {
        false
    }
    /// The household is in the program (or in its procedure): every month needs its step.
    /// Contract: a household just set up ([`household`](Step::household)) is never busy; the
    /// engine makes a standing lazily on that ground (`RepTables::fresh_idle`).
    #[inline(always)]
    fn busy(&self, _h: &Self::Household) -> bool {
        false
    }
    /// A month with a severe illness needs this program's step whatever the income.
    fn illness_matters(&self) -> bool {
        false
    }
    /// After [`year`](Step::year), with [`illness_matters`](Step::illness_matters): whether
    /// an illness month of this household may need the step this year (a program that
    /// cannot act on it this year says no, and its illness months may skip the steps).
    #[inline(always)]
    fn illness_matters_for(&self, _h: &Self::Household) -> bool {
        true
    }
    /// One month: read the ledger, write the award, record the counters.
    fn step(
        &self,
        h: &mut Self::Household,
        y: &YearCtx,
        mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    );
    /// The program has a quiet form ([`quiet`](Step::quiet) is not the default): a scenario
    /// with a program without one takes no idle forms ([`Rules::idle`]).
    const QUIET: bool = false;
    /// For a month with no shock (`mo.kinds` 0), not the run's first (`mo.enrol` false), of a
    /// household no program is [busy](Step::busy) with: whether the step would do no more than
    /// write the ledger as this does (given the ledger the programs before it left) and what
    /// [`idle`](Step::idle) does: no draw, no award and no change of standing. It changes
    /// nothing but the ledger. False (the default): the step may act, and the engine runs
    /// every program's step from a fresh ledger. Most such months (a household below some
    /// line that does not apply) are quiet for every program, and the month costs the idle
    /// forms only (`Rules::quiet_month`).
    #[inline(always)]
    fn quiet(&self, _h: &Self::Household, _y: &YearCtx, _mo: &MonthCtx, _led: &mut Ledger) -> bool {
        false
    }
    /// The rest of a month for which every program's [`quiet`](Step::quiet) held, over its
    /// final ledger: exactly what the step does then beside writing the ledger (its counters,
    /// and a standing it keeps up whatever happens). Nothing by default.
    #[inline(always)]
    fn idle(
        &self,
        _h: &mut Self::Household,
        _y: &YearCtx,
        _mo: &MonthCtx,
        _led: &Ledger,
        _rec: &mut Record,
    ) {
    }
    /// After every step of a month, the month's whole ledger (what later programs decided):
    /// what the program must remember of it for the next month, which it may make
    /// [`busy`](Step::busy) (a month that skips the steps runs no `after`).
    #[inline(always)]
    fn after(&self, _h: &mut Self::Household, _led: &Ledger) {}
}

/// Declares the programs: the module `<name>` (file `src/programs/<name>.rs`), its parameters
/// under `programs.<name>`, its rule, its per-household state, and the order of the steps
/// (the order of the list). Registering a program is one line of the list below.
macro_rules! programs {
    ($($name:ident: $params:ident => $rule:ident),* $(,)?) => {
        $(pub mod $name;)*

        /// Each program's bit in a mask of programs ([`Rules::line_part`]), in the list's order.
        #[allow(non_camel_case_types, dead_code)]
        #[derive(Clone, Copy)]
        enum Bit {
            $($name,)*
        }
        /// How many programs are registered (bits of a mask, bounds of [`Rules::line_bounds`]).
        pub const PROGRAMS: usize = [$(Bit::$name),*].len();
        const _: () = assert!(PROGRAMS <= 16, "a mask of programs is a u16");

        /// `programs.*`.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct ProgramsParams {
            $(pub $name: $name::$params,)*
        }

        impl ProgramsParams {
            pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
                $(self.$name.validate(c, sim);)*
            }
        }

        /// The rules of the enabled programs of one scenario.
        #[derive(Debug, Clone)]
        pub struct Rules {
            $(pub $name: Option<$name::$rule>,)*
            /// Propensity draws per household (the largest any enabled program reads).
            pub propensities: usize,
            /// Some enabled program needs illness months.
            pub illness_matters: bool,
            /// Every enabled program has a quiet form ([`Step::QUIET`]): a month of a
            /// household no program is busy with may take the idle forms
            /// ([`Rules::quiet_month`]). Without one, trying would cost the others' quiet
            /// forms in every such month for nothing. (Charity has none: with a quiet form
            /// it claims in so many of these months that the full system ran 1.8 % more
            /// instructions.)
            pub idle: bool,
            /// The enabled programs that need illness months (one bit each, in the list's
            /// order).
            pub illness_mask: u16,
            /// How the means test counts income.
            pub means: dibao::MeansTest,
            /// Tekun's parameters, kept with tekun off too: they decide who has a supporter
            /// ([`Rules::has_supporter`]).
            pub supporters: tekun::TekunParams,
        }

        /// One household's standing with every enabled program.
        #[derive(Debug, Clone)]
        pub struct Households {
            $($name: Option<<$name::$rule as Step>::Household>,)*
        }

        impl Rules {
            /// The rules of `p`'s enabled programs.
            pub fn new(p: &ProgramsParams) -> Rules {
                let mut r = Rules {
                    $($name: <$name::$rule as Step>::new(p),)*
                    propensities: 0,
                    illness_matters: false,
                    idle: true,
                    illness_mask: 0,
                    means: dibao::MeansTest::new(p),
                    supporters: p.tekun.clone(),
                };
                $(if let Some(x) = &r.$name {
                    r.idle &= <$name::$rule as Step>::QUIET;
                    r.propensities = r.propensities.max(x.propensities());
                    r.illness_matters |= x.illness_matters();
                    if x.illness_matters() {
                        r.illness_mask |= 1 << Bit::$name as u16;
                    }
                })*
                r
            }

            /// Whether `hh` has a supporter by tekun's rule ([`tekun::TekunParams::has_supporter`]),
            /// read with tekun on or off.
            pub fn has_supporter(
                &self,
                key: &HouseholdKey,
                hh: &Household,
                urban: bool,
                year: i32,
            ) -> bool {
                self.supporters.has_supporter(key, hh, urban, year)
            }

            /// Set up one household.
            pub fn household(&self, key: &HouseholdKey) -> Households {
                self.household_in::<{ compiled::ALL }>(key)
            }

            /// [`Rules::household`] compiled for the programs of `SET` ([`Rules::compiled`]).
            #[inline]
            pub fn household_in<const SET: u16>(&self, key: &HouseholdKey) -> Households {
                let u = propensity_draws(key, self.propensities);
                Households {
                    $($name: if SET & (1 << Bit::$name as u16) != 0 {
                        self.$name.as_ref().map(|x| x.household(key, &u))
                    } else {
                        None
                    },)*
                }
            }

            /// Refresh every program's yearly facts; the highest of their lines.
            #[inline]
            pub fn year(&self, h: &mut Households, y: &YearCtx) -> f64 {
                let mut line = f64::NEG_INFINITY;
                $(if let (Some(x), Some(s)) = (&self.$name, h.$name.as_mut()) {
                    line = line.max(x.year(s, y));
                })*
                line
            }

            /// The highest of the lines of the enabled programs whose line follows from the
            /// year's context alone ([`Step::line`]), and the mask of those whose line does not
            /// (one bit each, in the list's order): the part of [`Rules::year`]'s value that is the
            /// same for every household of a stratum, migrant or not, and year (made once per
            /// replication, `RepTables::near_parts`).
            #[inline]
            pub fn line_part(&self, y: &YearCtx) -> (f64, u16) {
                let mut line = f64::NEG_INFINITY;
                let mut mask = 0u16;
                $(if let Some(x) = &self.$name {
                    match x.line(y) {
                        Some(l) => line = line.max(l),
                        None => mask |= 1 << Bit::$name as u16,
                    }
                })*
                (line, mask)
            }

            /// Each program in `mask`'s [`Step::line_bound`] in the year of `y`, at its bit
            /// (`f64::NEG_INFINITY` for the others).
            pub fn line_bounds(&self, y: &YearCtx, mask: u16) -> [f64; PROGRAMS] {
                let mut b = [f64::NEG_INFINITY; PROGRAMS];
                $(if let Some(x) = &self.$name {
                    if mask & (1 << Bit::$name as u16) != 0 {
                        b[Bit::$name as usize] = x.line_bound(y);
                    }
                })*
                b
            }

            /// The household's [`Step::inert`] programs (one bit each), for
            /// [`Rules::line_bound`]: made once per household.
            #[inline]
            pub fn inert<const SET: u16>(&self, h: &Households) -> u16 {
                let mut mask = 0u16;
                $(if let (true, Some(x), Some(s)) = (SET & (1 << Bit::$name as u16) != 0, &self.$name, h.$name.as_ref()) {
                    if x.inert(s) {
                        mask |= 1 << Bit::$name as u16;
                    }
                })*
                mask
            }

            /// Before [`Rules::year_lines`] of `mask`: the highest of the `bounds`
            /// ([`Rules::line_bounds`]) of the programs in `mask` that are not in `inert`
            /// ([`Rules::inert`]; at or above [`Rules::year_lines`]), and whether some program
            /// may need the household's illness months (at least
            /// [`Rules::illness_matters_for`]).
            #[inline(always)]
            pub fn line_bound(&self, inert: u16, mask: u16, bounds: &[f64; PROGRAMS]) -> (f64, bool) {
                let live = mask & !inert;
                let mut line = f64::NEG_INFINITY;
                let mut m = live;
                while m != 0 {
                    line = line.max(bounds[m.trailing_zeros() as usize]);
                    m &= m - 1;
                }
                (line, ((!mask | live) & self.illness_mask) != 0)
            }

            /// The highest of the lines of the programs in `mask` (their yearly facts made
            /// now); with [`Rules::line_part`]'s line, the value [`Rules::year`] returns. The
            /// others' facts wait for [`Rules::facts`], at the first month of the year that
            /// takes the steps.
            #[inline]
            pub fn year_lines<const SET: u16>(&self, h: &mut Households, y: &YearCtx, mask: u16) -> f64 {
                let mut line = f64::NEG_INFINITY;
                $(if SET & mask & (1 << Bit::$name as u16) != 0 {
                    if let (Some(x), Some(s)) = (&self.$name, h.$name.as_mut()) {
                        line = line.max(x.year(s, y));
                    }
                })*
                line
            }

            /// After [`Rules::year_lines`] of `mask`: some enabled program needs this
            /// household's illness months this year ([`Step::illness_matters_for`]; a program
            /// whose facts wait, not in `mask`, is taken to need them when it needs illness
            /// months at all).
            #[inline]
            pub fn illness_matters_for<const SET: u16>(&self, h: &Households, mask: u16) -> bool {
                $((if let (true, Some(x), Some(s)) = (SET & (1 << Bit::$name as u16) != 0, &self.$name, h.$name.as_ref()) {
                    x.illness_matters()
                        && (mask & (1 << Bit::$name as u16) == 0 || x.illness_matters_for(s))
                } else {
                    false
                }) ||)* false
            }

            /// The yearly facts [`Rules::year_lines`] of `mask` left: those of the programs
            /// not in `mask`, whose line follows from the year's context; the highest of their
            /// lines.
            #[inline]
            pub fn facts<const SET: u16>(&self, h: &mut Households, y: &YearCtx, mask: u16) -> f64 {
                let mut line = f64::NEG_INFINITY;
                $(if SET & (1 << Bit::$name as u16) != 0 && mask & (1 << Bit::$name as u16) == 0 {
                    if let (Some(x), Some(s)) = (&self.$name, h.$name.as_mut()) {
                        let l = x.year(s, y);
                        debug_assert_eq!(x.line(y), Some(l), "Step::line differs from year");
                        line = line.max(l);
                    }
                })*
                line
            }

            /// The highest of the enabled programs' lines when every one is known from
            /// the year's context alone ([`Step::line`]): the value [`Rules::year`] returns,
            /// without the yearly facts; `None` when some program needs them for its line.
            #[inline]
            pub fn line(&self, y: &YearCtx) -> Option<f64> {
                let (line, mask) = self.line_part(y);
                (mask == 0).then_some(line)
            }

            /// How many programs are enabled (have a rule).
            pub fn enabled(&self) -> usize {
                0 $(+ self.$name.is_some() as usize)*
            }

            /// Some program needs this household's month whatever its income.
            #[inline(always)]
            pub fn busy(&self, h: &Households) -> bool {
                self.busy_in::<{ compiled::ALL }>(h)
            }

            /// [`Rules::busy`] compiled for the programs of `SET` ([`Rules::compiled`]).
            #[inline(always)]
            pub fn busy_in<const SET: u16>(&self, h: &Households) -> bool {
                $((SET & (1 << Bit::$name as u16) != 0
                    && if let (Some(x), Some(s)) = (&self.$name, h.$name.as_ref()) {
                        x.busy(s)
                    } else {
                        false
                    }) ||)* false
            }

            /// The enabled programs, one bit each in the list's order.
            pub fn mask(&self) -> u16 {
                0 $(| if self.$name.is_some() { 1 << Bit::$name as u16 } else { 0 })*
            }

            /// Every enabled program's step, in order, over a fresh ledger.
            #[inline]
            pub fn month(
                &self,
                h: &mut Households,
                y: &YearCtx,
                mo: &MonthCtx,
                rec: &mut Record,
            ) -> Ledger {
                let mut led = Ledger::EMPTY;
                self.month_into::<{ compiled::ALL }>(h, y, mo, rec, &mut led);
                led
            }

            /// Every enabled program's [`Step::quiet`] in `SET`, in order, writing the ledger:
            /// false at the first that may act. Under [`Rules::idle`] (every enabled program
            /// has a quiet form), a program without one is off and not looked at.
            #[inline(always)]
            fn quiet<const SET: u16>(
                &self,
                h: &Households,
                y: &YearCtx,
                mo: &MonthCtx,
                led: &mut Ledger,
            ) -> bool {
                debug_assert!(self.idle);
                $(if SET & (1 << Bit::$name as u16) != 0 && <$name::$rule as Step>::QUIET {
                    if let (Some(x), Some(s)) = (&self.$name, h.$name.as_ref()) {
                        if !x.quiet(s, y, mo, led) {
                            return false;
                        }
                    }
                })*
                true
            }

            /// As [`Rules::month`], into `led` (the engine keeps its ledgers in place),
            /// compiled for the programs of `SET` ([`Rules::compiled`]): a program outside it
            /// has no code here, and must be off.
            #[inline(always)]
            pub fn month_into<const SET: u16>(
                &self,
                h: &mut Households,
                y: &YearCtx,
                mo: &MonthCtx,
                rec: &mut Record,
                led: &mut Ledger,
            ) {
                debug_assert!(self.mask() & !SET == 0, "a program outside the compiled set is on");
                *led = Ledger::open(mo.lm);
                // The household's slot is looked at only for an enabled program.
                $(if SET & (1 << Bit::$name as u16) != 0 {
                    if let Some(x) = &self.$name {
                        if let Some(s) = h.$name.as_mut() {
                            x.step(s, y, mo, led, rec);
                        }
                    }
                })*
                self.after_all::<SET>(h, led);
            }

            /// Every enabled program's [`Step::after`] in `SET`, in order, over the month's
            /// whole ledger (the end of both [`Rules::month_into`] and [`Rules::quiet_month`]).
            #[inline(always)]
            fn after_all<const SET: u16>(&self, h: &mut Households, led: &Ledger) {
                $(if SET & (1 << Bit::$name as u16) != 0 {
                    if let Some(x) = &self.$name {
                        if let Some(s) = h.$name.as_mut() {
                            x.after(s, led);
                        }
                    }
                })*
            }

            /// A month with no shock, not the run's first, of a household no program is busy
            /// with, under [`Rules::idle`]: if every program is [quiet](Step::quiet) in it,
            /// each takes its [idle](Step::idle) form and its `after`, into `led`, and true:
            /// the same ledger, counters and standings as [`Rules::month_into`]. False (and
            /// nothing changed but `led`) when some program may act: then the month is
            /// [`Rules::month_into`]'s.
            #[inline(always)]
            pub fn quiet_month<const SET: u16>(
                &self,
                h: &mut Households,
                y: &YearCtx,
                mo: &MonthCtx,
                rec: &mut Record,
                led: &mut Ledger,
            ) -> bool {
                debug_assert!(
                    self.idle && mo.kinds == 0 && !mo.enrol && !self.busy(h),
                    "an idle month must have no shock, not enrol, and find no program busy"
                );
                debug_assert!(self.mask() & !SET == 0, "a program outside the compiled set is on");
                *led = Ledger::open(mo.lm);
                if !self.quiet::<SET>(h, y, mo, led) {
                    return false;
                }
                $(if SET & (1 << Bit::$name as u16) != 0 && <$name::$rule as Step>::QUIET {
                    if let (Some(x), Some(s)) = (&self.$name, h.$name.as_mut()) {
                        x.idle(s, y, mo, led, rec);
                    }
                })*
                self.after_all::<SET>(h, led);
                true
            }
        }
    };
}

// The monthly pipeline, in order. Monitoring warns before anyone applies; tekun comes before
// dibao, which it excludes; the quota counts dibao's recipients; the marginal band is
// assessed with dibao's assessment; services re-price tekun's care; charity tops up what
// every government program left. Residence has no step of its own: dibao and temporary
// assistance read its rule.
programs! {
    monitoring: MonitoringParams => Monitoring,
    tekun: TekunParams => Tekun,
    dibao: DibaoParams => Dibao,
    quota: QuotaParams => Quota,
    marginal: MarginalParams => Marginal,
    rigid: RigidParams => Rigid,
    temporary: TemporaryParams => Temporary,
    one_off: OneOffParams => OneOff,
    price_link: PriceLinkParams => PriceLink,
    services: ServicesParams => Services,
    charity: CharityParams => Charity,
    residence: ResidenceParams => Residence,
}

/// The sets of programs the monthly pipeline is compiled for (`SET` of [`Rules::month_into`],
/// [`Rules::quiet_month`], [`Rules::busy_in`], and of the household's set-up and yearly facts:
/// [`Rules::household_in`], [`Rules::year_lines`], [`Rules::facts`], [`Rules::inert`],
/// [`Rules::illness_matters_for`]), one bit per program in the list's order. A
/// program outside the set has no code in that copy, not even its on/off check: an off step
/// in the pipeline cost the baseline 2.4 % of its instructions and 3 % of its time
/// (docs/performance-log.md, "After the windows' normals: … what an empty step costs"), and
/// the copy for every program still costs the baseline 2.5 % over its own. The engine runs the
/// smallest set that holds every enabled program ([`Rules::compiled`]); the sets nest.
pub mod compiled {
    use super::Bit;

    /// Every program (each checked at run time): the copy any scenario can run.
    pub const ALL: u16 = u16::MAX;
    /// Dibao alone (the reference model), or no program at all.
    pub const DIBAO: u16 = 1 << Bit::dibao as u16;
    /// The programs of the 2023 system as the shipped baseline runs it: monitoring, tekun,
    /// dibao, marginal families, rigid expenditure, temporary assistance and the one-off
    /// subsidy (not the quota, the price linkage, services or charity; residence has no step).
    pub const SYSTEM_2023: u16 = 1 << Bit::monitoring as u16
        | 1 << Bit::tekun as u16
        | DIBAO
        | 1 << Bit::marginal as u16
        | 1 << Bit::rigid as u16
        | 1 << Bit::temporary as u16
        | 1 << Bit::one_off as u16;
    /// Every program that existed in 2023 (`scenarios/full-system-2023.toml`, the held
    /// caseload, the charity linkage): the 2023 system with the quota, services and charity
    /// (not the price linkage).
    pub const FULL_SYSTEM_2023: u16 =
        SYSTEM_2023 | 1 << Bit::quota as u16 | 1 << Bit::services as u16 | 1 << Bit::charity as u16;

    // `Rules::compiled` takes the first set that holds the enabled programs: the smallest,
    // while each set holds the one before.
    const _: () = assert!(
        DIBAO | SYSTEM_2023 == SYSTEM_2023
            && SYSTEM_2023 | FULL_SYSTEM_2023 == FULL_SYSTEM_2023
            && FULL_SYSTEM_2023 | ALL == ALL
    );
}

impl Rules {
    /// The smallest of the [`compiled`] sets that holds every enabled program: the copy of
    /// the monthly pipeline the engine runs.
    pub fn compiled(&self) -> u16 {
        let on = self.mask();
        [
            compiled::DIBAO,
            compiled::SYSTEM_2023,
            compiled::FULL_SYSTEM_2023,
        ]
        .into_iter()
        .find(|set| on & !set == 0)
        .unwrap_or(compiled::ALL)
    }
}

/// The payers whose costs are reported separately; their costs sum to `cost_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    Dibao,
    Tekun,
    SpecialMarginal,
    SpecialRigid,
    Temporary,
    Services,
    Charity,
}

impl Program {
    /// Every payer, in reporting order.
    pub const ALL: [Program; 7] = [
        Program::Dibao,
        Program::Tekun,
        Program::SpecialMarginal,
        Program::SpecialRigid,
        Program::Temporary,
        Program::Services,
        Program::Charity,
    ];

    /// Name used in metric names (`cost_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Program::Dibao => "dibao",
            Program::Tekun => "tekun",
            Program::SpecialMarginal => "special_marginal",
            Program::SpecialRigid => "special_rigid",
            Program::Temporary => "temporary",
            Program::Services => "services",
            Program::Charity => "charity",
        }
    }
}

/// Whether a rule dated `from_year` (calendar year) is in force in month `m` of calendar year
/// `year` (`m` counted from the start of the horizon). Burn-in months carry the start year but
/// stand for the time before it, so a rule dated from the start year does not act in them: the
/// steady state the run starts from is the one before the rule.
#[inline]
pub fn in_force(from_year: i32, year: i32, m: i32) -> bool {
    year > from_year || (year == from_year && m >= 0)
}

/// Whether a rule dated `from_year` may act in some month of a household-year of calendar year
/// `year` (burn-in or not): the check a program's `year` makes before its monthly one.
#[inline]
pub fn in_force_in_year(from_year: i32, year: i32) -> bool {
    year >= from_year
}

/// Check a `from_year` key (a calendar year).
pub(crate) fn check_from_year(c: &mut Checker, key: &str, from_year: i32) {
    c.int_range(key, from_year as i64, 1949, 2100);
}

/// Months to the next review of a household taken up at the stationary start
/// (`simulation.start = "enrolled"`), for a uniform draw `u` in [0, 1) and a review every
/// `interval` months: 1 to `interval`, each equally likely, as in a steady state where
/// awards began in every month alike.
#[inline]
pub fn review_phase(u: f64, interval: i32) -> i32 {
    1 + ((u * interval as f64) as i32).min(interval - 1)
}

/// Money in fen, for counters.
#[inline]
pub fn fen(yuan: f64) -> i64 {
    crate::counters::round_i64(yuan * 100.0)
}

#[cfg(test)]
mod idle_tests {
    use super::*;
    use rand::Rng;

    /// A month of a household no program is busy with, without a shock and not the run's
    /// first, gives the same ledger, counters and standings whether it may take the idle forms
    /// (`Rules::quiet_month`) or runs every step (`Rules::month_into`): for the baseline, and the full
    /// system with the quota counting and without charity (which has no quiet form, so a
    /// scenario with it takes none), over random households, years (monitoring and rigid
    /// expenditure in force or not), incomes around the standard, illness spending and
    /// shocks, month after month from each household's fresh standing. Both kinds of idle
    /// month occur: quiet for every program, and not.
    #[test]
    fn an_idle_month_is_the_month_of_every_step() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for name in ["baseline", "full-system-2023"] {
            let mut s = crate::scenario::load(&root.join(format!("scenarios/{name}.toml")))
                .unwrap()
                .scenario;
            assert_eq!(Rules::new(&s.programs).idle, !s.programs.charity.enabled);
            if name != "baseline" {
                s.programs.charity.enabled = false;
                s.programs.quota.enabled = true;
                // The price linkage, paying in every month of 2025 (indices after its table).
                s.programs.price_link.enabled = true;
                s.programs.price_link.projected_food_yoy_pct = 8.0;
            }
            let rules = Rules::new(&s.programs);
            assert!(rules.idle);
            let pop = crate::population::PopulationModel::new(&s, "t").unwrap();
            let mut rng = crate::rng::month_stream(11, 3);
            let (mut quiet, mut loud) = (0, 0);
            for index in 0..300u64 {
                let mut hh = pop.household(&s.simulation, 0, index);
                hh.assets_per_capita *= rng.random_range(0.0..2.0);
                let key = HouseholdKey::new(5, 0, index);
                let mut h = rules.household(&key);
                let year = [2022, 2023, 2025][index as usize % 3];
                let standard: f64 = rng.random_range(500.0..900.0);
                let size = hh.size as f64;
                let y = YearCtx {
                    hh: &hh,
                    members: &s.population.members,
                    t: 0,
                    year,
                    standard,
                    ln_standard: standard.ln(),
                    local_standard: standard,
                    ln_local_standard: standard.ln(),
                    price_index: 1.0,
                    standard_index: 1.0,
                    income_index: 1.0,
                    mean_income: 2.5 * standard,
                    education: rng.random_range(0.0..300.0),
                    medical_share: 0.05,
                    quota_cut: None,
                    quota_record: index % 2 == 1,
                    size,
                    k: hh.size as i64,
                    urban: index % 2 == 0,
                };
                rules.year(&mut h, &y);
                let mut was_poor = false;
                for m in 0..48 {
                    let ly = (standard * rng.random_range(0.3..2.2f64)).ln();
                    let yv = ly.exp();
                    let ill = rng.random::<f64>() < 0.05;
                    let essential = y.medical_share * yv * size
                        + y.education
                        + if ill { 3.0 * yv } else { 0.0 };
                    let poor = ly < y.ln_local_standard;
                    let mo = MonthCtx {
                        m,
                        ly,
                        y: yv,
                        lm: rules.means.log_income(ly, yv, essential, size),
                        kinds: (rng.random::<f64>() < 0.1) as u8,
                        essential,
                        poor,
                        newly_poor: poor && !was_poor,
                        enrol: false,
                        replay: &None,
                    };
                    was_poor = poor;
                    let idle = rules.idle && mo.kinds == 0 && !rules.busy(&h);
                    let mut rec = [0i64; c::N];
                    let mut led = Ledger::EMPTY;
                    if idle {
                        let mut h2 = h.clone();
                        let (mut rec2, mut led2) = ([0i64; c::N], Ledger::EMPTY);
                        if rules.quiet::<{ compiled::ALL }>(&h, &y, &mo, &mut Ledger::open(mo.lm)) {
                            quiet += 1;
                        } else {
                            loud += 1;
                        }
                        rules.month_into::<{ compiled::ALL }>(
                            &mut h2, &y, &mo, &mut rec2, &mut led2,
                        );
                        // As the engine: the idle forms, else every step.
                        if !rules
                            .quiet_month::<{ compiled::ALL }>(&mut h, &y, &mo, &mut rec, &mut led)
                        {
                            rules.month_into::<{ compiled::ALL }>(
                                &mut h, &y, &mo, &mut rec, &mut led,
                            );
                        }
                        assert_eq!(
                            format!("{led:?}"),
                            format!("{led2:?}"),
                            "{name} {index} {m}"
                        );
                        assert_eq!(rec, rec2, "{name} {index} {m}");
                        assert_eq!(format!("{h:?}"), format!("{h2:?}"), "{name} {index} {m}");
                    } else {
                        rules.month_into::<{ compiled::ALL }>(&mut h, &y, &mo, &mut rec, &mut led);
                    }
                }
            }
            eprintln!("{name}: {quiet} quiet, {loud} not");
            assert!(
                quiet > 1000 && loud > 100,
                "{name}: {quiet} quiet, {loud} not"
            );
        }
    }
}
