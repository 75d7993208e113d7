//! `charmcraft pack` builds the charm from source: the parts of charmcraft.yaml, run through
//! craft-parts' own lifecycle (the craft-parts charmcraft 4.5 ships, in build/charmcraft-venv)
//! by scripts/craft_parts_prime.py in destructive mode on a clean copy of the tracked files,
//! prime the tree that `cargo xtask pack` zips.
//!
//! Cost: one more release build of the binary (about two minutes on two cores), in the temp
//! copy's own `target/` so the workspace's is untouched. Prerequisites (`cargo xtask setup`):
//! charmcraft's venv with python-apt, the Rust toolchain charmcraft.yaml pins, git. Without
//! one the test is skipped with a message, except under CI (`CI=true`), where it fails.

mod common;

use common::{assert_static_x86_64, packed_charm, repo_root, unpack};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The files charmcraft writes into the .charm itself when it zips the prime directory (the
/// project's metadata.yaml, config.yaml and actions.yaml verbatim, and its manifest.yaml).
const ADDED_BY_CHARMCRAFT: [&str; 4] = [
    "actions.yaml",
    "config.yaml",
    "manifest.yaml",
    "metadata.yaml",
];

/// The driver exits 3 when a prerequisite is missing.
const MISSING_PREREQUISITE: i32 = 3;

fn missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("missing prerequisite under CI: {what}");
    }
    eprintln!("SKIPPED: missing prerequisite: {what}");
}

/// Copies the files git tracks (as they are in the working tree) into `to`, with their modes.
fn copy_tracked_files(to: &Path) -> Result<usize, String> {
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(repo_root())
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git ls-files: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut copied = 0;
    for name in out.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).expect("UTF-8 file name");
        let from = repo_root().join(name);
        if !from.exists() {
            continue; // deleted in the working tree
        }
        let dest = to.join(name);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&from, &dest).unwrap(); // copies the permission bits too
        copied += 1;
    }
    Ok(copied)
}

/// The environment of a clean build host: only what locates the user, the Rust tools and the
/// network, and a PATH without a toolchain's own bin directory (cargo under rustup may put one
/// first), so rustup's proxies pick the toolchain the driver names.
fn clean_env(cmd: &mut Command) {
    cmd.env_clear();
    for key in [
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LC_ALL",
        "TMPDIR",
        "RUSTUP_HOME",
        "CARGO_HOME",
        "RUSTUP_DIST_SERVER",
        "RUSTUP_UPDATE_ROOT",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(
        std::env::split_paths(&path).filter(|p| !p.to_string_lossy().contains("/toolchains/")),
    )
    .unwrap();
    cmd.env("PATH", path);
}

/// Regular files under `dir` (relative path → st_mode, type bits included), as the zip stores
/// them.
fn files_with_modes(dir: &Path) -> BTreeMap<String, u32> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, u32>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            if meta.is_dir() {
                walk(root, &entry.path(), out);
            } else {
                let rel = entry.path().strip_prefix(root).unwrap().to_path_buf();
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    meta.permissions().mode(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

const FAKE_TOOL: &str = r#"#!/bin/sh
name=$(basename "$0")
{ printf '%s' "$name"; for a in "$@"; do printf '\t%s' "$a"; done; printf '\n'; } >> "$CALLS"
case "$name" in
  relation-ids) echo '[]' ;;
  is-leader) echo true ;;
  config-get) echo '{}' ;;
  relation-get) echo '{}' ;;
esac
"#;

/// Runs `./dispatch` of `charm_dir` for config-changed as Juju would, with stand-in hook tools
/// that record their argv; returns (exit code, recorded calls).
fn dispatch_config_changed(charm_dir: &Path, scratch: &Path) -> (i32, Vec<String>) {
    let tools = scratch.join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    for t in [
        "juju-log",
        "status-set",
        "relation-ids",
        "is-leader",
        "config-get",
        "relation-get",
        "relation-list",
        "action-fail",
    ] {
        let p = tools.join(t);
        std::fs::write(&p, FAKE_TOOL).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let calls = scratch.join("calls");
    std::fs::write(&calls, "").unwrap();
    let out = Command::new("./dispatch")
        .current_dir(charm_dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", tools.display()))
        .env("CALLS", &calls)
        .env("JUJU_DISPATCH_PATH", "hooks/config-changed")
        .env("JUJU_HOOK_NAME", "config-changed")
        .env("JUJU_DEBUG", "1")
        .env("JUJU_UNIT_NAME", "mirrormaker/0")
        .env("JUJU_MODEL_NAME", "dev")
        .env("JUJU_MODEL_UUID", "5b2e4a3c-1d2e-4f60-8a9b-0c1d2e3f4a5b")
        .env("JUJU_VERSION", "3.6.4")
        .env("JUJU_CHARM_DIR", charm_dir)
        .output()
        .expect("run dispatch");
    let calls = std::fs::read_to_string(calls)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    (out.status.code().unwrap_or(-1), calls)
}

/// Runs scripts/craft_parts_prime.py on a clean copy of the source; returns the prime
/// directory, or None when a prerequisite is missing (outside CI).
fn prime_from_clean_copy(tmp: &Path) -> Option<PathBuf> {
    let python = repo_root().join("build/charmcraft-venv/bin/python");
    if !python.exists() {
        missing(&format!("{} (run `cargo xtask setup`)", python.display()));
        return None;
    }
    let project = tmp.join("project");
    match copy_tracked_files(&project) {
        Ok(n) => assert!(n > 0, "git ls-files listed nothing"),
        Err(e) => {
            missing(&format!("git ({e})"));
            return None;
        }
    }
    let mut cmd = Command::new(&python);
    cmd.arg(repo_root().join("scripts/craft_parts_prime.py"))
        .arg(&project)
        .arg("--machine-rust");
    clean_env(&mut cmd);
    let out = cmd.output().expect("run scripts/craft_parts_prime.py");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(MISSING_PREREQUISITE) {
        missing(stderr.trim());
        return None;
    }
    assert!(
        out.status.success(),
        "craft-parts lifecycle failed ({}):\n{stderr}",
        out.status
    );
    eprintln!("{stderr}");
    let prime = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(
        prime,
        project.join("prime"),
        "destructive mode primes in the project"
    );
    Some(prime)
}

// Proves charmcraft.yaml's parts, run through craft-parts' lifecycle as `charmcraft pack
// --destructive-mode` runs them, build the charm from a clean copy of the source: the primed
// tree is, file by file, the .charm `cargo xtask pack` writes minus the four files charmcraft
// adds itself (same names, same modes, the same dispatch byte for byte); the primed binary is a
// static x86-64 executable like the packed one; and the primed tree, with the project files
// charmcraft adds, runs a config-changed hook through its dispatch.
#[test]
fn charmcraft_parts_prime_the_packed_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let Some(prime) = prime_from_clean_copy(tmp.path()) else {
        return;
    };
    eprintln!("craft-parts lifecycle: {:.0?}", started.elapsed());

    let charm_dir = tmp.path().join("charm");
    let mut charm = unpack(&packed_charm(), &charm_dir);
    charm.retain(|(name, _)| !ADDED_BY_CHARMCRAFT.contains(&name.as_str()));
    let charm: BTreeMap<String, u32> = charm.into_iter().collect();
    let primed = files_with_modes(&prime);
    assert_eq!(primed, charm, "primed tree vs. cargo xtask pack's .charm");
    assert_eq!(primed.get("dispatch"), Some(&0o100755));
    assert_eq!(primed.get("bin/mirrormaker-integrator"), Some(&0o100755));

    assert_eq!(
        std::fs::read(prime.join("dispatch")).unwrap(),
        std::fs::read(charm_dir.join("dispatch")).unwrap(),
        "dispatch differs"
    );
    let primed_bin = std::fs::read(prime.join("bin/mirrormaker-integrator")).unwrap();
    let packed_bin = std::fs::read(charm_dir.join("bin/mirrormaker-integrator")).unwrap();
    assert_static_x86_64(&primed_bin, "the primed binary");
    assert_static_x86_64(&packed_bin, "the packed binary");
    eprintln!(
        "binaries: primed {} bytes, packed {} bytes, {}",
        primed_bin.len(),
        packed_bin.len(),
        if primed_bin == packed_bin {
            "identical"
        } else {
            "not byte-identical"
        }
    );

    // The charm as charmcraft zips it: prime plus the project files it copies in.
    let project = tmp.path().join("project");
    for f in ["metadata.yaml", "config.yaml", "actions.yaml"] {
        std::fs::copy(project.join(f), prime.join(f)).unwrap();
    }
    let (code, calls) = dispatch_config_changed(&prime, tmp.path());
    assert_eq!(code, 0, "{calls:#?}");
    let log = "juju-log\t--log-level\tDEBUG\t--\trunning config-changed unit=mirrormaker/0";
    assert!(calls.iter().any(|c| c == log), "{calls:#?}");
    let status = "status-set\t--application=False\tblocked\t--\t\
                  missing relation(s): source, target, connect-client (juju integrate)";
    assert!(calls.iter().any(|c| c == status), "{calls:#?}");
}
