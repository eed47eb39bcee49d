//! How a member's age is drawn within its band (child, working age, elderly): uniformly, or by
//! single year from `synthetic-data/ages-2013-2023.csv` (the 2010 census by single year of age,
//! aged to the end of 2023 with the model's death rates; `build_ages.py`, SOURCES.md). A band
//! the file covers entirely (the working-age and elderly bands) is drawn by single year; one it
//! does not (children born after the census) stays uniform.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Persons by single year of age at the end of 2023 (the census aged), embedded.
pub const AGES_CSV: &str = include_str!("../../synthetic-data/ages-2013-2023.csv");

/// Oldest age the table holds a weight for (years); `population.members.max_age` is at most it.
pub const TOP: usize = 120;

/// `population.members.age_shape`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeShape {
    /// Every age of a band equally likely.
    Uniform,
    /// Single years from `synthetic-data/ages-2013-2023.csv` where the file covers the band.
    Census,
}

/// Relative weights of each age 0..=[`TOP`] and their running sums, with the first age from
/// which every age is covered by the file (`first`; above [`TOP`] for the uniform shape).
#[derive(Debug, Clone)]
pub struct AgeTable {
    /// `cum[a]`: sum of the weights of ages below `a` (persons).
    cum: Vec<f64>,
    first: usize,
}

impl AgeTable {
    /// Every band uniform.
    pub fn uniform() -> AgeTable {
        AgeTable {
            cum: Vec::new(),
            first: TOP + 1,
        }
    }

    /// The table of `shape` (the embedded file for [`AgeShape::Census`]), parsed once.
    pub fn of(shape: AgeShape) -> &'static AgeTable {
        static UNIFORM: OnceLock<AgeTable> = OnceLock::new();
        static CENSUS: OnceLock<AgeTable> = OnceLock::new();
        match shape {
            AgeShape::Uniform => UNIFORM.get_or_init(AgeTable::uniform),
            AgeShape::Census => CENSUS.get_or_init(|| {
                AgeTable::from_csv(AGES_CSV, None)
                    .unwrap_or_else(|e| panic!("embedded synthetic-data/ages-2013-2023.csv: {e}"))
            }),
        }
    }

    /// The census aged to the end of `year` (the file's `persons_<year>_model`), parsed once;
    /// an error naming the years the file holds when it has no such column.
    pub fn census_at(year: i32) -> Result<&'static AgeTable, String> {
        static YEARS: OnceLock<Vec<(i32, AgeTable)>> = OnceLock::new();
        let all = YEARS.get_or_init(|| {
            let mut rdr = csv::Reader::from_reader(AGES_CSV.as_bytes());
            let headers = rdr.headers().expect("embedded ages file").clone();
            headers
                .iter()
                .filter_map(|h| {
                    let y: i32 = h
                        .strip_prefix("persons_")?
                        .strip_suffix("_model")?
                        .parse()
                        .ok()?;
                    let t = AgeTable::from_csv(AGES_CSV, Some(h))
                        .unwrap_or_else(|e| panic!("embedded ages file, column {h}: {e}"));
                    Some((y, t))
                })
                .collect()
        });
        all.iter()
            .find(|(y, _)| *y == year)
            .map(|(_, t)| t)
            .ok_or_else(|| {
                let lo = all.iter().map(|(y, _)| *y).min().unwrap_or(0);
                let hi = all.iter().map(|(y, _)| *y).max().unwrap_or(0);
                format!("year-ends {lo}-{hi}")
            })
    }

    /// Persons (the file's unit) aged `min` or more; 0 for the uniform shape.
    pub fn persons_from(&self, min: u8) -> f64 {
        if self.cum.is_empty() {
            return 0.0;
        }
        self.cum[TOP + 1] - self.cum[(min as usize).min(TOP + 1)]
    }

    /// Parse the `age` column and the persons of `column` (the first column after `age` when
    /// `None`); the first age covered is the one after the lowest with persons (that one holds
    /// only part of a year's births).
    pub fn from_csv(text: &str, column: Option<&str>) -> Result<AgeTable, String> {
        let mut w = vec![0.0; TOP + 1];
        let mut lowest = usize::MAX;
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let col = match column {
            None => 1,
            Some(name) => rdr
                .headers()
                .map_err(|e| e.to_string())?
                .iter()
                .position(|h| h == name)
                .ok_or(format!("no column `{name}`"))?,
        };
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| format!("row {}: {e}", i + 2))?;
            let age: usize = rec[0]
                .parse()
                .map_err(|_| format!("row {}: age `{}` is not a whole number", i + 2, &rec[0]))?;
            let n: f64 = rec[col]
                .parse()
                .map_err(|_| format!("row {}: persons `{}` is not a number", i + 2, &rec[col]))?;
            if !(n.is_finite() && n >= 0.0) {
                return Err(format!("row {}: persons {n}: allowed 0 or more", i + 2));
            }
            if age <= TOP {
                w[age] = n;
            }
            if n > 0.0 {
                lowest = lowest.min(age);
            }
        }
        if lowest == usize::MAX {
            return Err("no rows".into());
        }
        let mut cum = vec![0.0; TOP + 2];
        for a in 0..=TOP {
            cum[a + 1] = cum[a] + w[a];
        }
        Ok(AgeTable {
            cum,
            first: lowest + 1,
        })
    }

    /// Whether ages `lo..=hi` are drawn by single year.
    #[inline]
    fn covers(&self, lo: u8, hi: u8) -> bool {
        (lo as usize) >= self.first
            && (hi as usize) <= TOP
            && self.cum[hi as usize + 1] > self.cum[lo as usize]
    }

    /// An age in `lo..=hi` from one uniform `u` in [0, 1): the inverse of the band's
    /// distribution (uniform where the table does not cover the band).
    #[inline]
    pub fn draw(&self, lo: u8, hi: u8, u: f64) -> u8 {
        if !self.covers(lo, hi) {
            return lo + ((hi - lo + 1) as f64 * u).min((hi - lo) as f64) as u8;
        }
        let (l, h) = (lo as usize, hi as usize);
        let t = self.cum[l] + u * (self.cum[h + 1] - self.cum[l]);
        // The first age `a` in `l..h` with `cum[a + 1] > t`, else `h`: `cum` never falls, so
        // a binary search finds the age a walk up from `l` would stop at.
        (l + self.cum[l + 1..=h].partition_point(|&c| c <= t)) as u8
    }

    /// Share 0–1 of the band `lo..=hi` aged `min` or more ([`Self::draw`]'s law).
    #[inline]
    pub fn share_from(&self, min: u8, lo: u8, hi: u8) -> f64 {
        if !self.covers(lo, hi) {
            let (lo, hi) = (lo as f64, hi as f64);
            let band = hi - lo + 1.0;
            return if band > 0.0 {
                ((hi - lo.max(min as f64) + 1.0) / band).clamp(0.0, 1.0)
            } else {
                0.0
            };
        }
        let (l, h) = (lo as usize, hi as usize);
        let from = (min as usize).clamp(l, h + 1);
        (self.cum[h + 1] - self.cum[from]) / (self.cum[h + 1] - self.cum[l])
    }

    /// One over the chance of age `a` within the band `lo..=hi` ([`Self::draw`]'s law): the
    /// band's width where it is uniform.
    #[inline]
    pub fn inv_density(&self, a: u8, lo: u8, hi: u8) -> f64 {
        if !self.covers(lo, hi) {
            return (hi as f64) - (lo as f64) + 1.0;
        }
        let (l, h, a) = (lo as usize, hi as usize, a as usize);
        let wa = self.cum[a + 1] - self.cum[a];
        if wa <= 0.0 {
            return f64::INFINITY;
        }
        (self.cum[h + 1] - self.cum[l]) / wa
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The uniform shape draws exactly as the rule before the table existed.
    #[test]
    fn the_uniform_shape_is_the_old_rule() {
        let t = AgeTable::uniform();
        for i in 0..1000 {
            let u = i as f64 / 1000.0;
            for (lo, hi) in [(0u8, 15u8), (16, 59), (60, 90)] {
                let old = lo + ((hi - lo + 1) as f64 * u).min((hi - lo) as f64) as u8;
                assert_eq!(t.draw(lo, hi, u), old);
                assert_eq!(t.inv_density(old, lo, hi), (hi - lo + 1) as f64);
            }
        }
    }

    /// Single years: the chance of each age is its weight over the band's, checked exactly by
    /// the inverse distribution on a fine grid of u; children (before the file's first whole
    /// cohort) stay uniform.
    #[test]
    fn census_ages_follow_the_file_within_a_band() {
        let t = AgeTable::from_csv(
            "age,p\n12,0\n13,5\n14,100\n15,100\n16,300\n17,100\n18,0\n19,600\n",
            None,
        )
        .unwrap();
        let n = 100_000;
        let mut count = [0usize; 20];
        for i in 0..n {
            count[t.draw(16, 19, (i as f64 + 0.5) / n as f64) as usize] += 1;
        }
        // Band 16-19 weighs 1000: 0.3, 0.1, 0, 0.6.
        for (a, p) in [(16, 0.3), (17, 0.1), (18, 0.0), (19, 0.6)] {
            assert!((count[a] as f64 / n as f64 - p).abs() < 1e-4, "age {a}");
            assert!(
                (t.share_from(a as u8, 16, 19)
                    - count[a..].iter().sum::<usize>() as f64 / n as f64)
                    .abs()
                    < 1e-4
            );
            if p > 0.0 {
                assert!((t.inv_density(a as u8, 16, 19) - 1.0 / p).abs() < 1e-9);
            }
        }
        // 13 is a part cohort: a band from 13 is uniform, one from 14 is not.
        assert_eq!(t.draw(13, 16, 0.0), 13);
        assert_eq!(t.inv_density(14, 13, 16), 4.0);
        assert_eq!(t.draw(14, 16, 0.0), 14);
        assert!((t.inv_density(16, 14, 16) - 500.0 / 300.0).abs() < 1e-12);
    }

    /// The year-ends: the 2023 column is the default table, and each earlier year-end has
    /// fewer persons aged 60+ (the cohorts of the 1950s and 1960s had not reached 60), read
    /// from the same census cohorts six years younger.
    #[test]
    fn the_year_ends_are_the_same_cohorts_younger() {
        let t23 = AgeTable::census_at(2023).unwrap();
        let t17 = AgeTable::census_at(2017).unwrap();
        let base = AgeTable::of(AgeShape::Census);
        assert_eq!(t23.cum, base.cum);
        assert!(t17.persons_from(60) < 0.9 * t23.persons_from(60));
        // A cohort aged 70 at the end of 2023 was 64 at the end of 2017, and more of it lived.
        let at = |t: &AgeTable, a: usize| t.cum[a + 1] - t.cum[a];
        assert!(at(t17, 64) > at(t23, 70) && at(t17, 64) < 1.2 * at(t23, 70));
        assert!(AgeTable::census_at(2030).unwrap_err().contains("2013-2023"));
    }

    /// The embedded file: the elderly band's ages fall with age past 75 and the cohort born
    /// in the famine of 1959-1961 (ages 62-64 at the end of 2023) is smaller than the ones
    /// around it, so the table is read as single years, not smoothed.
    #[test]
    fn the_embedded_table_holds_the_census_cohorts() {
        let t = AgeTable::of(AgeShape::Census);
        let p = |a: u8| 1.0 / t.inv_density(a, 60, 90);
        assert!(p(80) < p(75) && p(85) < p(80) && p(90) < p(85));
        assert!(
            p(63) < 0.7 * p(60),
            "famine cohort {} against {}",
            p(63),
            p(60)
        );
        let total: f64 = (60..=90).map(p).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }
}
