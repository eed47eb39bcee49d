//! Range checks with attribution: each failing key is reported against the file that set it.
//! A primitive: every layer validates its own parameters with it.

use crate::error::Error;
use crate::schedule::Schedule;
use std::collections::BTreeMap;

/// Collects the first validation error, naming the file that set the key.
pub struct Checker<'a> {
    origin: &'a BTreeMap<String, String>,
    default_file: String,
    /// The first error found, if any.
    pub error: Option<Error>,
}

impl<'a> Checker<'a> {
    /// A checker that attributes keys through `origin` (key path → file), else `default_file`.
    pub fn new(origin: &'a BTreeMap<String, String>, default_file: &str) -> Self {
        Checker {
            origin,
            default_file: default_file.to_string(),
            error: None,
        }
    }

    /// The file that set `key` (or one of its children / parents).
    pub fn file_of(&self, key: &str) -> String {
        if let Some(f) = self.origin.get(key) {
            return f.clone();
        }
        let child = format!("{key}.");
        if let Some((_, f)) = self
            .origin
            .range(child.clone()..)
            .find(|(k, _)| k.starts_with(&child))
        {
            return f.clone();
        }
        let mut k = key;
        while let Some(i) = k.rfind('.') {
            k = &k[..i];
            if let Some(f) = self.origin.get(k) {
                return f.clone();
            }
        }
        self.default_file.clone()
    }

    /// Record a failure unless one is already recorded.
    pub fn fail(&mut self, key: &str, value: impl std::fmt::Display, allowed: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(Error::bad_key(self.file_of(key), key, value, allowed));
        }
    }

    /// A real number within `[lo, hi]`.
    pub fn range(&mut self, key: &str, v: f64, lo: f64, hi: f64, what: &str) {
        if !(v.is_finite() && v >= lo && v <= hi) {
            // Very large or small numbers in exponent form (1e308, not 309 digits).
            let shown = if v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
                format!("{v:e}")
            } else {
                v.to_string()
            };
            self.fail(key, shown, format!("allowed: {what}, from {lo} to {hi}"));
        }
    }

    /// A share from 0 to 1.
    pub fn share(&mut self, key: &str, v: f64) {
        self.range(key, v, 0.0, 1.0, "a share");
    }

    /// A whole number within `[lo, hi]`.
    pub fn int_range(&mut self, key: &str, v: i64, lo: i64, hi: i64) {
        if v < lo || v > hi {
            self.fail(key, v, format!("allowed: a whole number from {lo} to {hi}"));
        }
    }

    /// One of a list of words.
    pub fn one_of(&mut self, key: &str, v: &str, allowed: &[&str]) {
        if !allowed.contains(&v) {
            let quoted: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
            self.fail(
                key,
                format!("\"{v}\""),
                format!("allowed: one of {}", quoted.join(", ")),
            );
        }
    }

    /// Every value of a schedule within `[lo, hi]`, and a value for every year in `years`.
    pub fn schedule(
        &mut self,
        key: &str,
        s: &Schedule,
        years: std::ops::RangeInclusive<i32>,
        lo: f64,
        hi: f64,
        what: &str,
    ) {
        for (y, v) in s.iter() {
            self.range(&format!("{key}.{y}"), v, lo, hi, what);
        }
        if !years.is_empty() && s.at(*years.start()).is_none() {
            let first = s.first_year().unwrap_or(0);
            self.fail(
                key,
                format!("{{ first year {first} }}"),
                format!(
                    "a value is needed for {} (a schedule holds from its first year on; \
                     years before the first key have no value)",
                    years.start()
                ),
            );
        }
    }
}
