//! kafka-bed: a test bed with REAL Apache Kafka and REAL Kafka Connect (MirrorMaker 2).
//!
//! * two independent single-node KRaft clusters `kafka-a` (active) and `kafka-b` (passive),
//!   SASL_SSL + SCRAM-SHA-512 client listener, StandardAuthorizer, one test CA per cluster;
//! * one Kafka Connect worker (distributed mode, backed by `kafka-b`) with MirrorMaker 2 on
//!   the classpath, an HTTPS REST listener with its own CA and basic auth;
//! * provisioning backends (`provision-kafka`, `provision-connect`) that behave like the
//!   Charmed Kafka / Charmed Kafka Connect providers;
//! * test helpers built on Kafka's own Java clients (`java/KafkaTool.java`).
//!
//! Jars come from Maven Central via `fetch.sh`; versions live in `versions.env`.
//! See docs/kafka-bed.md.

pub mod bed;
pub mod certs;
pub mod process;
pub mod provision;
pub mod requests;
pub mod rest;
pub mod state;
pub mod tool;

use std::fmt;
use std::path::{Path, PathBuf};

pub use bed::Bed;
pub use state::BedState;

/// kafka-bed's error: a message meant for a human reading a test failure.
#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

macro_rules! from_err {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error(e.to_string())
            }
        }
    )*};
}
from_err!(
    std::io::Error,
    serde_json::Error,
    rcgen::Error,
    reqwest::Error,
    std::string::FromUtf8Error
);

pub type Result<T> = std::result::Result<T, Error>;

/// Builds an [`Error`] from a format string.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::Error(format!($($arg)*)) };
}

/// The kafka-bed directory (holds `versions.env`, `fetch.sh`, `lib/`, `java/`).
/// `KAFKA_BED_HOME` overrides the compiled-in crate directory.
pub fn home() -> PathBuf {
    match std::env::var_os("KAFKA_BED_HOME") {
        Some(h) => PathBuf::from(h),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    }
}

/// Versions from `versions.env` (the one place they are set).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Versions {
    pub broker: String,
    pub connect: String,
}

/// Reads `versions.env` under [`home`].
pub fn versions() -> Result<Versions> {
    let path = home().join("versions.env");
    let text =
        std::fs::read_to_string(&path).map_err(|e| err!("cannot read {}: {e}", path.display()))?;
    parse_versions(&text).ok_or_else(|| err!("{} lacks KAFKA_*_VERSION", path.display()))
}

fn parse_versions(text: &str) -> Option<Versions> {
    let get = |key: &str| {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix(key))
            .filter_map(|rest| rest.strip_prefix('='))
            .map(|v| v.trim().to_string())
            .next_back()
    };
    Some(Versions {
        broker: get("KAFKA_BROKER_VERSION")?,
        connect: get("KAFKA_CONNECT_VERSION")?,
    })
}

/// `lib/broker` (Kafka 4.2.x brokers, tools, clients used by KafkaTool.java).
pub fn broker_lib() -> PathBuf {
    home().join("lib").join("broker")
}

/// `lib/connect` (Kafka Connect 3.9.x runtime + MirrorMaker 2).
pub fn connect_lib() -> PathBuf {
    home().join("lib").join("connect")
}

/// The Prometheus JMX exporter java agent version of `versions.env` (`JMX_EXPORTER_VERSION`).
pub fn jmx_exporter_version() -> Result<String> {
    let path = home().join("versions.env");
    let text =
        std::fs::read_to_string(&path).map_err(|e| err!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("JMX_EXPORTER_VERSION="))
        .map(|v| v.trim().to_string())
        .next_back()
        .ok_or_else(|| err!("{} lacks JMX_EXPORTER_VERSION", path.display()))
}

/// `lib/jmx/jmx_prometheus_javaagent.jar` (fetch.sh copies the version of `versions.env`).
pub fn jmx_exporter_jar() -> PathBuf {
    home()
        .join("lib")
        .join("jmx")
        .join("jmx_prometheus_javaagent.jar")
}

/// The exporter rules the bed's Connect worker runs with (docs/kafka-bed.md "Metrics").
pub fn jmx_exporter_rules() -> PathBuf {
    home().join("jmx").join("kafka-connect.yaml")
}

/// Fails, telling to run fetch.sh, unless the JMX exporter agent of `versions.env` is there.
pub fn check_jmx_exporter() -> Result<()> {
    let want = jmx_exporter_version()?;
    let stamp = home().join("lib").join("jmx").join(".version");
    let have = std::fs::read_to_string(&stamp).unwrap_or_default();
    if have.trim() != format!("jmx_exporter={want}") || !jmx_exporter_jar().is_file() {
        return Err(err!(
            "the JMX exporter agent {want} is missing from {}. Run `{}` first.",
            jmx_exporter_jar().display(),
            home().join("fetch.sh").display()
        ));
    }
    Ok(())
}

/// Java classpath wildcard for a lib directory.
pub fn classpath(dir: &Path) -> String {
    format!("{}/*", dir.display())
}

/// Fails, telling to run fetch.sh, unless the jars of the configured versions are present.
pub fn check_jars() -> Result<Versions> {
    let v = versions()?;
    let needed = [
        broker_lib().join(format!("kafka_2.13-{}.jar", v.broker)),
        broker_lib().join(format!("kafka-clients-{}.jar", v.broker)),
        connect_lib().join(format!("connect-runtime-{}.jar", v.connect)),
        connect_lib().join(format!("connect-mirror-{}.jar", v.connect)),
        connect_lib().join(format!("connect-basic-auth-extension-{}.jar", v.connect)),
    ];
    for jar in &needed {
        if !jar.is_file() {
            return Err(err!(
                "Kafka jars are missing: {} not found. Run `{}` first (it resolves Kafka {} and \
                 Kafka Connect {} from Maven Central into {}).",
                jar.display(),
                home().join("fetch.sh").display(),
                v.broker,
                v.connect,
                home().join("lib").display()
            ));
        }
    }
    Ok(v)
}

/// The `java` executable: `$JAVA_HOME/bin/java` if set, else `java` on PATH.
pub fn java() -> PathBuf {
    match std::env::var_os("JAVA_HOME") {
        Some(h) if Path::new(&h).join("bin/java").is_file() => Path::new(&h).join("bin/java"),
        _ => PathBuf::from("java"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_env_parses() {
        let v = parse_versions("# c\nKAFKA_BROKER_VERSION=4.2.0\nKAFKA_CONNECT_VERSION=3.9.1\n")
            .unwrap();
        assert_eq!(v.broker, "4.2.0");
        assert_eq!(v.connect, "3.9.1");
        assert!(versions().is_ok());
    }

    // Cluster ids are 22 URL-safe base64 characters and never start with '-', which the
    // storage tool would read as a missing --cluster-id value.
    #[test]
    fn cluster_ids_never_start_with_a_dash() {
        for _ in 0..2000 {
            let id = process::random_cluster_id();
            assert_eq!(id.len(), 22, "{id}");
            assert!(!id.starts_with('-'), "{id}");
        }
    }
}
