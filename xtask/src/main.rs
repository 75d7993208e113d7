//! Project tasks that cargo alone does not do: packing the .charm (charmcraft's layout, built
//! by hand because `charmcraft pack` cannot run on Debian), setting up charmcraft for
//! `charmcraft analyse`, and the two whole-machine commands the README gives.
//!
//!     cargo xtask pack [--out DIR] [--debug]   build the static binary and write the .charm files
//!     cargo xtask charmcraft                   make sure charmcraft 4.5.0 is in a venv; print its path
//!     cargo xtask promtool                     make sure the pinned promtool is built; print its path
//!     cargo xtask setup                        everything a fresh machine needs for the tests
//!     cargo xtask test                         setup, lint, pack, then every test
//!     cargo xtask demo                         setup, pack, then the local demo

mod pack;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("pack") => pack::run(&args[1..]).map(|charms| {
            for c in charms {
                println!("{}", c.display());
            }
        }),
        Some("charmcraft") => setup::charmcraft().map(|p| println!("{}", p.display())),
        Some("promtool") => setup::promtool().map(|p| println!("{}", p.display())),
        Some("setup") => setup::all(),
        Some("test") => setup::all().and_then(|()| test(&args[1..])),
        Some("demo") => setup::all().and_then(|()| demo()),
        _ => Err("usage: cargo xtask <pack|charmcraft|promtool|setup|test|demo>".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root (xtask lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Runs a command in the repository root, failing with the command line when it fails.
pub fn sh(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("+ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Lint, pack, then every test of the workspace (unit, in-process, emulator, real Kafka).
fn test(extra: &[String]) -> Result<(), String> {
    sh("cargo", &["fmt", "--all", "--", "--check"])?;
    sh(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    pack::run(&[])?;
    let mut args = vec!["test", "--workspace", "--no-fail-fast"];
    args.extend(extra.iter().map(String::as_str));
    sh("cargo", &args)
}

/// Packs the charm and shows what was built; the demo proper grows with the emulator and the
/// real Kafka test bed (see README).
fn demo() -> Result<(), String> {
    let charms = pack::run(&[])?;
    for c in &charms {
        let size = std::fs::metadata(c).map(|m| m.len()).unwrap_or(0);
        println!("packed {} ({size} bytes)", c.display());
    }
    let demo = root().join("scripts/demo.sh");
    if demo.exists() {
        sh("bash", &[demo.to_str().expect("utf-8 path")])?;
    }
    Ok(())
}
