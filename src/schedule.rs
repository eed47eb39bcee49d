//! Year and month schedules: a value holds from its year (or month) until the next key. Asking
//! for a year before the first key is an error, never a silent zero.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A step function of the calendar year, written in TOML as `{ 2023 = 769.0, 2026 = 800.0 }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schedule(pub BTreeMap<i32, f64>);

impl Schedule {
    /// A schedule with one value from `year` on.
    pub fn constant(year: i32, value: f64) -> Self {
        Schedule(BTreeMap::from([(year, value)]))
    }

    /// The value in force in `year`, or `None` when `year` precedes the first key.
    #[inline]
    pub fn at(&self, year: i32) -> Option<f64> {
        // From the last key down: schedules hold a few keys and are asked per household-year,
        // where a linear scan beats the tree's range search.
        self.0
            .iter()
            .rev()
            .find(|(&k, _)| k <= year)
            .map(|(_, v)| *v)
    }

    /// The first year with a value.
    pub fn first_year(&self) -> Option<i32> {
        self.0.keys().next().copied()
    }

    /// Iterate over (year, value) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (i32, f64)> + '_ {
        self.0.iter().map(|(k, v)| (*k, *v))
    }
}

impl Serialize for Schedule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(&k.to_string(), v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Schedule;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table keyed by year, e.g. { 2023 = 769.0, 2026 = 800.0 }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Schedule, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(k) = map.next_key::<String>()? {
                    let year: i32 = k.trim().parse().map_err(|_| {
                        de::Error::custom(format!(
                            "schedule key `{k}` is not a year: use whole years such as 2023"
                        ))
                    })?;
                    if !(1900..=2200).contains(&year) {
                        return Err(de::Error::custom(format!(
                            "schedule year {year} is outside 1900..=2200"
                        )));
                    }
                    let v: f64 = map.next_value()?;
                    out.insert(year, v);
                }
                if out.is_empty() {
                    return Err(de::Error::custom(
                        "a schedule needs at least one year, e.g. { 2023 = 0.05 }",
                    ));
                }
                Ok(Schedule(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A month as one number: `year * 12 + (month - 1)` (January 2020 is 24240).
pub fn month_number(year: i32, month0: i32) -> i32 {
    year * 12 + month0
}

/// A `YYYY-MM` month (1900-01 to 2200-12) as its [`month_number`], or `None`.
pub fn parse_month(s: &str) -> Option<i32> {
    let (y, m) = s.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m): (i32, i32) = (y.parse().ok()?, m.parse().ok()?);
    ((1900..=2200).contains(&y) && (1..=12).contains(&m)).then(|| month_number(y, m - 1))
}

/// A [`month_number`] written `YYYY-MM`.
pub fn month_name(n: i32) -> String {
    format!("{:04}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
}

/// A step function of the calendar month, written in TOML as
/// `{ "2000-01" = 3.5, "2022-09" = 3.0, "2023-04" = 3.5 }`: for rules dated to the month.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MonthSchedule(pub BTreeMap<i32, f64>);

impl MonthSchedule {
    /// The value in force in month `n` (a [`month_number`]), or `None` before the first key.
    pub fn at(&self, n: i32) -> Option<f64> {
        self.0.range(..=n).next_back().map(|(_, v)| *v)
    }

    /// The first month with a value.
    pub fn first_month(&self) -> Option<i32> {
        self.0.keys().next().copied()
    }

    /// Iterate over (month number, value) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (i32, f64)> + '_ {
        self.0.iter().map(|(k, v)| (*k, *v))
    }
}

impl Serialize for MonthSchedule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(&month_name(*k), v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for MonthSchedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MonthSchedule;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table keyed by month, e.g. { \"2000-01\" = 3.5, \"2022-09\" = 3.0 }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MonthSchedule, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(k) = map.next_key::<String>()? {
                    let n = parse_month(&k).ok_or_else(|| {
                        de::Error::custom(format!(
                            "schedule key `{k}` is not a month: use \"YYYY-MM\" from 1900-01 to 2200-12, such as \"2022-09\""
                        ))
                    })?;
                    let v: f64 = map.next_value()?;
                    out.insert(n, v);
                }
                if out.is_empty() {
                    return Err(de::Error::custom(
                        "a month schedule needs at least one month, e.g. { \"2000-01\" = 3.5 }",
                    ));
                }
                Ok(MonthSchedule(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_holds_until_next_key_and_before_first_is_none() {
        let s = Schedule(BTreeMap::from([(2023, 1.0), (2026, 2.0)]));
        assert_eq!(s.at(2022), None);
        assert_eq!(s.at(2023), Some(1.0));
        assert_eq!(s.at(2025), Some(1.0));
        assert_eq!(s.at(2026), Some(2.0));
        assert_eq!(s.at(2040), Some(2.0));
    }

    #[test]
    fn parses_from_toml_and_rejects_non_years() {
        #[derive(Deserialize)]
        struct W {
            g: Schedule,
        }
        let w: W = toml::from_str("g = { 2024 = 0.048, 2030 = 0.03 }").unwrap();
        assert_eq!(w.g.at(2027), Some(0.048));
        assert!(toml::from_str::<W>("g = { soon = 0.1 }").is_err());
        assert!(toml::from_str::<W>("g = {}").is_err());
    }

    #[test]
    fn month_schedules_parse_hold_until_the_next_month_and_reject_non_months() {
        #[derive(Deserialize, Serialize)]
        struct W {
            g: MonthSchedule,
        }
        let w: W =
            toml::from_str("g = { \"2000-01\" = 3.5, \"2022-09\" = 3.0, \"2023-04\" = 3.5 }")
                .unwrap();
        let at = |s: &str| w.g.at(parse_month(s).unwrap());
        assert_eq!(at("1999-12"), None);
        assert_eq!(at("2022-08"), Some(3.5));
        assert_eq!(at("2022-09"), Some(3.0));
        assert_eq!(at("2023-03"), Some(3.0));
        assert_eq!(at("2023-04"), Some(3.5));
        assert_eq!(month_name(parse_month("2020-03").unwrap()), "2020-03");
        let back: W = toml::from_str(&toml::to_string(&w).unwrap()).unwrap();
        assert_eq!(back.g, w.g);
        for bad in [
            "2022-13", "2022-9", "22-09", "2022", "soon", "2201-01", "2022-+9",
        ] {
            let e = toml::from_str::<W>(&format!("g = {{ \"{bad}\" = 1.0 }}"))
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"))
                .to_string();
            assert!(e.contains(bad) && e.contains("YYYY-MM"), "{e}");
        }
        assert!(toml::from_str::<W>("g = {}").is_err());
    }
}
