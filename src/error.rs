//! One error type for the library. Every user-facing error names the file, the key path or
//! row and column, the bad value and what is allowed; `exit_code` maps it to the CLI's codes
//! (2 for bad input or usage, 1 for internal faults).

use std::path::PathBuf;

/// Errors raised by safetynet.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario key with a bad value.
    #[error("{file}: key `{key}` = {value}: {allowed}")]
    BadKey {
        file: String,
        key: String,
        value: String,
        allowed: String,
    },
    /// A key that is not part of the schema.
    #[error("{file}: unknown key `{key}`{suggestion}")]
    UnknownKey {
        file: String,
        key: String,
        /// Already formatted, e.g. "; did you mean `standard`?"
        suggestion: String,
    },
    /// A file that does not parse (TOML, CSV header, ...).
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    /// A bad cell in a data file.
    #[error("{file}: row {row}, column `{column}`: value `{value}`: {allowed}")]
    BadCell {
        file: String,
        row: usize,
        column: String,
        value: String,
        allowed: String,
    },
    /// A file that cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An output that cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Bad command-line usage.
    #[error("{0}")]
    Usage(String),
    /// A fault inside safetynet: a bug, not the user's input.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Exit code for the CLI: 2 for bad input or usage, 1 for internal faults.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Internal(_) => 1,
            _ => 2,
        }
    }

    /// Shorthand for a bad key value.
    pub fn bad_key(
        file: impl Into<String>,
        key: impl Into<String>,
        value: impl std::fmt::Display,
        allowed: impl Into<String>,
    ) -> Self {
        Error::BadKey {
            file: file.into(),
            key: key.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
