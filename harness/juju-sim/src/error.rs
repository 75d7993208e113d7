//! The emulator's error type: one enum for every verb and hook tool, so `main` decides the exit
//! code and prints the message once. No I/O here.

use std::path::PathBuf;

/// Everything that can go wrong in the emulator itself (not in a charm).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Wrong command line (maps to exit code 2 in hook tools).
    #[error("{0}")]
    Usage(String),
    /// The request is well formed but cannot be done (exit code 1).
    #[error("{0}")]
    Run(String),
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot parse {what}: {msg}")]
    Parse { what: String, msg: String },
}

impl Error {
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }
    pub fn run(msg: impl Into<String>) -> Self {
        Error::Run(msg.into())
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    pub fn parse(what: impl Into<String>, msg: impl ToString) -> Self {
        Error::Parse {
            what: what.into(),
            msg: msg.to_string(),
        }
    }
    /// Exit code as Juju's cmd package uses it: 2 for argument errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
