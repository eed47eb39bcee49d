//! Year schedules: a value holds from its year until the next key. Asking for a year before
//! the first key is an error, never a silent zero.

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
}
