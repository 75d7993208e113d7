//! What a fresh machine lacks for the tests: the musl target, charmcraft (for `charmcraft
//! analyse`) in a venv, and Apache Kafka's jars from Maven Central. Each step is idempotent.

use crate::{root, sh};
use std::path::PathBuf;

const CHARMCRAFT: &str = "charmcraft==4.5.0";

/// Where charmcraft's venv lives; the tests look here too (or at `$CHARMCRAFT`).
pub fn charmcraft_venv() -> PathBuf {
    root().join("build/charmcraft-venv")
}

/// Ensures charmcraft is installed in the venv; returns the path of its executable.
pub fn charmcraft() -> Result<PathBuf, String> {
    let venv = charmcraft_venv();
    let exe = venv.join("bin/charmcraft");
    if !exe.exists() {
        let v = venv.to_str().ok_or("venv path is not UTF-8")?;
        sh("python3", &["-m", "venv", v])?;
        let pip = venv.join("bin/pip");
        sh(
            pip.to_str().ok_or("pip path is not UTF-8")?,
            &["install", "--quiet", CHARMCRAFT],
        )?;
    }
    Ok(exe)
}

pub fn all() -> Result<(), String> {
    sh("rustup", &["target", "add", "x86_64-unknown-linux-musl"])?;
    charmcraft()?;
    let fetch = root().join("harness/kafka-bed/fetch.sh");
    if fetch.exists() {
        sh("bash", &[fetch.to_str().ok_or("path is not UTF-8")?])?;
    }
    Ok(())
}
