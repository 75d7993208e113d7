//! What a fresh machine lacks for the tests: the musl target, charmcraft (for `charmcraft
//! analyse`) in a venv, Apache Kafka's jars from Maven Central and Prometheus's promtool (for
//! tests/cos_rules.rs) from the Go module proxy. Each step is idempotent.
//! For tests/charmcraft_parts.rs also python-apt in charmcraft's venv and the Rust toolchain
//! charmcraft.yaml pins (see `craft_parts_prereqs`).

use crate::{root, sh};
use std::path::{Path, PathBuf};
use std::process::Command;

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
    ops()?;
    craft_parts_prereqs()?;
    promtool()?;
    let fetch = root().join("harness/kafka-bed/fetch.sh");
    if fetch.exists() {
        sh("bash", &[fetch.to_str().ok_or("path is not UTF-8")?])?;
    }
    Ok(())
}

/// What tests/charmcraft_parts.rs needs beyond charmcraft to run charmcraft.yaml's parts through
/// craft-parts on this machine: python-apt in charmcraft's venv (craft-parts' apt backend on a
/// Debian/Ubuntu host; the charmcraft snap bundles it, PyPI has no usable build) and the Rust
/// toolchain charmcraft.yaml pins, with the musl target, installed once.
pub fn craft_parts_prereqs() -> Result<(), String> {
    python_apt(&charmcraft_venv())?;
    for channel in pinned_rust_channels()? {
        let installed = Command::new("rustup")
            .args(["toolchain", "list"])
            .output()
            .map_err(|e| format!("cannot run rustup: {e}"))?;
        let prefix = format!("{channel}-");
        let have = String::from_utf8_lossy(&installed.stdout)
            .lines()
            .any(|l| l.starts_with(&prefix));
        if have {
            sh(
                "rustup",
                &[
                    "target",
                    "add",
                    "--toolchain",
                    &channel,
                    "x86_64-unknown-linux-musl",
                ],
            )?;
        } else {
            sh(
                "rustup",
                &[
                    "toolchain",
                    "install",
                    &channel,
                    "--profile",
                    "minimal",
                    "--target",
                    "x86_64-unknown-linux-musl",
                ],
            )?;
        }
    }
    Ok(())
}

/// The `rust-channel` of each rust part of charmcraft.yaml (other than `none`).
pub fn pinned_rust_channels() -> Result<Vec<String>, String> {
    let path = root().join("charmcraft.yaml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("charmcraft.yaml: {e}"))?;
    let mut channels = Vec::new();
    if let Some(parts) = doc.get("parts").and_then(|p| p.as_mapping()) {
        for part in parts.values() {
            if part.get("plugin").and_then(|p| p.as_str()) != Some("rust") {
                continue;
            }
            match part.get("rust-channel").and_then(|c| c.as_str()) {
                Some("none") | None => {}
                Some(c) => channels.push(c.to_string()),
            }
        }
    }
    Ok(channels)
}

/// Whether this process runs as root (`id -u` prints 0).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Makes the system's python3-apt importable in the venv (symlinks to just its modules and a
/// .pth file), when the system Python has the venv's major.minor version; installs python3-apt
/// with apt-get first when it is missing and we are root.
fn python_apt(venv: &Path) -> Result<(), String> {
    let py = venv.join("bin/python");
    let imports = |py: &Path| {
        Command::new(py)
            .args(["-c", "import apt, apt_pkg"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if imports(&py) {
        return Ok(());
    }
    let probe = |py: &Path, code: &str| -> Result<Vec<String>, String> {
        let out = Command::new(py)
            .args(["-c", code])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", py.display()))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect())
    };
    let version = "import sys; print('%d.%d' % sys.version_info[:2])";
    let venv_version = probe(&py, version)?.concat();
    let system_probe =
        format!("{version}; import os, apt_pkg; print(os.path.dirname(apt_pkg.__file__))");
    let system_python = Path::new("/usr/bin/python3");
    if probe(system_python, &system_probe).is_err()
        && is_root()
        && Path::new("/usr/bin/apt-get").exists()
    {
        let install = ["install", "-y", "--no-install-recommends", "python3-apt"];
        if sh("apt-get", &install).is_err() {
            sh("apt-get", &["update"])?;
            sh("apt-get", &install)?;
        }
    }
    let system = probe(system_python, &system_probe).map_err(|e| {
        format!(
            "python-apt for craft-parts: /usr/bin/python3 cannot import apt_pkg \
             (install python3-apt): {e}"
        )
    })?;
    let [system_version, dist] = &system[..] else {
        return Err(format!(
            "unexpected output from /usr/bin/python3: {system:?}"
        ));
    };
    if *system_version != venv_version {
        return Err(format!(
            "python-apt for craft-parts: the system's python3-apt is for Python {system_version}, \
             charmcraft's venv runs Python {venv_version}"
        ));
    }
    let links = venv.join("system-apt");
    std::fs::create_dir_all(&links).map_err(|e| format!("{}: {e}", links.display()))?;
    let entries = std::fs::read_dir(dist).map_err(|e| format!("{dist}: {e}"))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let wanted = name == "apt"
            || name == "aptsources"
            || name.starts_with("apt_pkg.")
            || name.starts_with("apt_inst.");
        if wanted {
            let link = links.join(&name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(entry.path(), &link)
                .map_err(|e| format!("{}: {e}", link.display()))?;
        }
    }
    let pth = venv.join(format!(
        "lib/python{venv_version}/site-packages/system-apt.pth"
    ));
    std::fs::write(&pth, format!("{}\n", links.display()))
        .map_err(|e| format!("{}: {e}", pth.display()))?;
    if imports(&py) {
        eprintln!("+ linked the system's python3-apt into {}", venv.display());
        Ok(())
    } else {
        Err(format!(
            "{} still cannot import apt after linking python3-apt",
            py.display()
        ))
    }
}

/// The pinned ops the emulator's conformance test runs its charm with
/// (harness/juju-sim/tests/ops_conformance.rs).
pub const OPS: &str = "ops==3.9.0";

/// Where ops' venv lives; the conformance test looks here too (or at `$OPS_VENV`).
pub fn ops_venv() -> PathBuf {
    root().join("build/ops-venv")
}

/// Ensures the pinned ops is installed in its venv (a sibling of charmcraft's, so neither pins
/// the other's dependencies); returns the venv's python.
pub fn ops() -> Result<PathBuf, String> {
    let venv = ops_venv();
    let python = venv.join("bin/python3");
    let want = OPS.trim_start_matches("ops==");
    let check = format!("import ops, sys; sys.exit(ops.__version__ != {want:?})");
    let installed = std::process::Command::new(&python)
        .args(["-c", &check])
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        if !python.exists() {
            sh(
                "python3",
                &["-m", "venv", venv.to_str().ok_or("venv path is not UTF-8")?],
            )?;
        }
        let pip = venv.join("bin/pip");
        sh(
            pip.to_str().ok_or("pip path is not UTF-8")?,
            &["install", "--quiet", OPS],
        )?;
    }
    Ok(python)
}

/// Prometheus's promtool, pinned: Prometheus 3.16.0, whose Go module tags are `v0.316.0`.
pub const PROMTOOL: &str = "github.com/prometheus/prometheus/cmd/promtool@v0.316.0";

/// Where promtool is built; tests/cos_rules.rs looks here too (or at `$PROMTOOL`).
pub fn promtool_dir() -> PathBuf {
    root().join("build/promtool")
}

/// Ensures the pinned promtool is built (`go install` through the machine's Go module proxy
/// settings, GOPROXY/GOFLAGS as set); returns its path. A stamp names the version built.
pub fn promtool() -> Result<PathBuf, String> {
    let dir = promtool_dir();
    let exe = dir.join("promtool");
    let stamp = dir.join(".version");
    if exe.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == PROMTOOL) {
        return Ok(exe);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let status = Command::new("go")
        .args(["install", PROMTOOL])
        .env("GOBIN", &dir)
        .status()
        .map_err(|e| format!("cannot run go (needed to build promtool): {e}"))?;
    if !status.success() {
        return Err(format!("`go install {PROMTOOL}` failed ({status})"));
    }
    std::fs::write(&stamp, PROMTOOL)
        .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(exe)
}
