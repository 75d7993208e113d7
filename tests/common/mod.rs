//! Shared helpers for the black-box tests: the packed charm, unpacked as Juju would.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The packed charm for ubuntu@22.04: `$MMI_CHARM` if set, else packed once per test binary
/// with `cargo xtask pack` so the tests always see the current code.
pub fn packed_charm() -> PathBuf {
    static CHARM: OnceLock<PathBuf> = OnceLock::new();
    CHARM
        .get_or_init(|| {
            if let Some(p) = std::env::var_os("MMI_CHARM") {
                return PathBuf::from(p);
            }
            let out = Command::new(env!("CARGO"))
                .args(["xtask", "pack"])
                .current_dir(repo_root())
                .output()
                .expect("run cargo xtask pack");
            assert!(
                out.status.success(),
                "cargo xtask pack failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            repo_root().join("mirrormaker-integrator_ubuntu@22.04-amd64.charm")
        })
        .clone()
}

/// Unpacks a .charm into `dir` keeping the Unix modes stored in the zip, as Juju does.
pub fn unpack(charm: &Path, dir: &Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let file = std::fs::File::open(charm).expect("open charm");
    let mut zip = zip::ZipArchive::new(file).expect("charm is a zip");
    let mut entries = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("zip entry");
        let name = entry.name().to_string();
        let mode = entry.unix_mode().expect("entry has a unix mode");
        let path = dir.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut out = std::fs::File::create(&path).unwrap();
        std::io::copy(&mut entry, &mut out).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o7777)).unwrap();
        entries.push((name, mode));
    }
    entries.sort();
    entries
}

/// charmcraft from `$CHARMCRAFT`, or the venv `cargo xtask charmcraft` creates.
pub fn charmcraft() -> PathBuf {
    if let Some(p) = std::env::var_os("CHARMCRAFT") {
        return PathBuf::from(p);
    }
    let p = repo_root().join("build/charmcraft-venv/bin/charmcraft");
    assert!(
        p.exists(),
        "charmcraft is not installed: run `cargo xtask charmcraft` (or set $CHARMCRAFT)"
    );
    p
}
pub mod e2e;
