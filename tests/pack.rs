//! The packed .charm: its layout file by file, charmcraft's own analyser, and the project
//! files as charmcraft itself loads them.

mod common;

use common::{charmcraft, packed_charm, repo_root, unpack};
use std::process::Command;

fn charmcraft_cmd() -> Command {
    let mut cmd = Command::new(charmcraft());
    let xdg = std::env::temp_dir().join("mmi-xdg-runtime");
    std::fs::create_dir_all(&xdg).unwrap();
    cmd.env("XDG_RUNTIME_DIR", &xdg);
    cmd
}

// Proves the .charm holds exactly charmcraft's layout: these six files, these modes, the
// project files verbatim, a dispatch whose last word is the binary, and a static binary.
#[test]
fn charm_tree_matches_charmcraft_layout() {
    let dir = tempfile::tempdir().unwrap();
    let entries = unpack(&packed_charm(), dir.path());
    let expected: Vec<(String, u32)> = [
        ("actions.yaml", 0o100644),
        ("bin/mirrormaker-integrator", 0o100755),
        ("config.yaml", 0o100644),
        ("dispatch", 0o100755),
        ("manifest.yaml", 0o100644),
        ("metadata.yaml", 0o100644),
    ]
    .iter()
    .map(|(n, m)| (n.to_string(), *m))
    .collect();
    assert_eq!(entries, expected);

    for f in ["actions.yaml", "config.yaml", "metadata.yaml", "dispatch"] {
        assert_eq!(
            std::fs::read(dir.path().join(f)).unwrap(),
            std::fs::read(repo_root().join(f)).unwrap(),
            "{f} is not the project's file verbatim"
        );
    }
    let dispatch = std::fs::read_to_string(dir.path().join("dispatch")).unwrap();
    let last_line = dispatch.lines().rfind(|l| !l.trim().is_empty()).unwrap();
    assert_eq!(
        last_line.split_whitespace().last(),
        Some("./bin/mirrormaker-integrator")
    );

    let manifest = std::fs::read_to_string(dir.path().join("manifest.yaml")).unwrap();
    for needle in [
        "charmcraft-version: 4.5.0\n",
        "charmcraft-started-at: '",
        "bases:\n- name: ubuntu\n  channel: '22.04'\n  architectures:\n  - amd64\n",
        "analysis:\n  attributes:\n  - name: language\n    result: unknown\n  - name: framework\n    result: unknown\n",
    ] {
        assert!(manifest.contains(needle), "manifest.yaml lacks {needle:?}:\n{manifest}");
    }

    // A static binary: ELF with no program interpreter (PT_INTERP) — nothing to find on the host.
    let bin = std::fs::read(dir.path().join("bin/mirrormaker-integrator")).unwrap();
    assert_eq!(&bin[..4], b"\x7fELF");
    assert!(
        !bin.windows(b"ld-linux".len()).any(|w| w == b"ld-linux"),
        "binary refers to the glibc dynamic loader"
    );
}

// Proves the 24.04 charm differs only in its manifest base.
#[test]
fn one_charm_per_platform() {
    packed_charm();
    let dir = tempfile::tempdir().unwrap();
    unpack(
        &repo_root().join("mirrormaker-integrator_ubuntu@24.04-amd64.charm"),
        dir.path(),
    );
    let manifest = std::fs::read_to_string(dir.path().join("manifest.yaml")).unwrap();
    assert!(manifest.contains("channel: '24.04'"), "{manifest}");
}

// Proves the real `charmcraft analyse` (4.5.0) finds no lint error or warning in the .charm.
#[test]
fn charmcraft_analyse_is_clean() {
    let out = charmcraft_cmd()
        .arg("analyse")
        .arg(packed_charm())
        .output()
        .expect("run charmcraft analyse");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "charmcraft analyse failed:\n{text}");
    assert!(
        !text.contains("[ERROR]") && !text.contains("[WARNING]"),
        "{text}"
    );
    for linter in [
        "juju-actions: [OK]",
        "juju-config: [OK]",
        "metadata: [OK]",
        "entrypoint: [OK]",
        "naming-conventions: [OK]",
    ] {
        assert!(text.contains(linter), "missing {linter:?} in:\n{text}");
    }
}

// Proves charmcraft itself accepts the project files (charmcraft.yaml with both platforms
// beside metadata.yaml, config.yaml and actions.yaml) — what `charmcraft pack` would load.
#[test]
fn charmcraft_loads_the_project() {
    let out = charmcraft_cmd()
        .arg("expand-extensions")
        .current_dir(repo_root())
        .output()
        .expect("run charmcraft expand-extensions");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "name: mirrormaker-integrator",
        "ubuntu@22.04:amd64",
        "ubuntu@24.04:amd64",
        "- bin/mirrormaker-integrator",
        "format:",
        "topics:",
    ] {
        assert!(text.contains(needle), "expanded project lacks {needle:?}");
    }
}
