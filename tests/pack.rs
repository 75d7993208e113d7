//! The packed .charm: its layout file by file, charmcraft's own analyser, and the project
//! files as charmcraft itself loads them.

mod common;

use common::{
    assert_static_x86_64, charmcraft, elf_program_header_types, packed_charm, repo_root, unpack,
    PT_INTERP, PT_LOAD,
};
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

    // manifest.yaml as charmcraft 4.5 writes it, read as YAML: the channel a string, the
    // start time a string (charmcraft quotes it), the analysis as charmcraft leaves it for a
    // charm in neither Python nor ops.
    let manifest = read_yaml(&dir.path().join("manifest.yaml"));
    assert_eq!(
        manifest["charmcraft-version"],
        yaml("4.5.0"),
        "{manifest:?}"
    );
    assert!(
        manifest["charmcraft-started-at"].is_string(),
        "{manifest:?}"
    );
    assert_eq!(
        manifest["bases"],
        yaml("[{name: ubuntu, channel: '22.04', architectures: [amd64]}]"),
        "{manifest:?}"
    );
    assert_eq!(
        manifest["analysis"],
        yaml(
            "{attributes: [{name: language, result: unknown}, {name: framework, result: unknown}]}"
        ),
        "{manifest:?}"
    );

    // A static binary: its ELF program headers (parsed) hold no PT_INTERP — no dynamic loader
    // to find on the host.
    let bin = std::fs::read(dir.path().join("bin/mirrormaker-integrator")).unwrap();
    assert_static_x86_64(&bin, "bin/mirrormaker-integrator");
}

// Proves the static-binary check can fail: this test's own executable, linked dynamically by
// cargo against the host's libc, has a PT_INTERP program header and fails it.
#[test]
fn static_check_catches_a_dynamic_binary() {
    let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let types = elf_program_header_types(&me).unwrap();
    assert!(
        types.contains(&PT_LOAD) && types.contains(&PT_INTERP),
        "{types:?}"
    );
    let caught = std::panic::catch_unwind(|| assert_static_x86_64(&me, "the test binary"));
    assert!(
        caught.is_err(),
        "a dynamically linked binary passed the static check"
    );
    assert!(elf_program_header_types(b"#!/bin/sh\n").is_err());
    assert!(
        elf_program_header_types(&me[..0x30]).is_err(),
        "a truncated header is refused"
    );
}

// Proves the 24.04 charm differs from the 22.04 one only in its manifest's base: same files,
// same modes, same bytes, and manifests equal but for the base's channel.
#[test]
fn one_charm_per_platform() {
    let (jammy, noble) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let jammy_entries = unpack(
        &packed_charm().with_file_name("mirrormaker-integrator_ubuntu@22.04-amd64.charm"),
        jammy.path(),
    );
    let noble_entries = unpack(
        &packed_charm().with_file_name("mirrormaker-integrator_ubuntu@24.04-amd64.charm"),
        noble.path(),
    );
    assert_eq!(jammy_entries, noble_entries);
    for (name, _) in &jammy_entries {
        if name != "manifest.yaml" {
            assert!(
                std::fs::read(jammy.path().join(name)).unwrap()
                    == std::fs::read(noble.path().join(name)).unwrap(),
                "{name} differs between the platforms"
            );
        }
    }
    let mut m22 = read_yaml(&jammy.path().join("manifest.yaml"));
    let mut m24 = read_yaml(&noble.path().join("manifest.yaml"));
    assert_eq!(m24["bases"][0]["channel"], yaml("'24.04'"), "{m24:?}");
    assert_eq!(m22["bases"][0]["channel"], yaml("'22.04'"), "{m22:?}");
    for m in [&mut m22, &mut m24] {
        let m = m.as_mapping_mut().unwrap();
        m.remove("bases");
        m.remove("charmcraft-started-at");
    }
    assert_eq!(m22, m24);
}

fn read_yaml(path: &std::path::Path) -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(text: &str) -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(text).unwrap()
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
// beside metadata.yaml, config.yaml and actions.yaml) — what `charmcraft pack` would load —
// and loads them as they are: the expanded project (read as YAML) has metadata.yaml's name,
// both platforms, a part priming the dispatch script and the binary, and actions.yaml's
// actions and config.yaml's options unchanged.
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
    let project: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let metadata = read_yaml(&repo_root().join("metadata.yaml"));
    assert_eq!(project["name"], metadata["name"]);
    assert_eq!(project["name"], yaml("mirrormaker-integrator"));
    let platforms: Vec<&str> = project["platforms"]
        .as_mapping()
        .expect("platforms")
        .keys()
        .filter_map(|k| k.as_str())
        .collect();
    assert_eq!(platforms, ["ubuntu@22.04:amd64", "ubuntu@24.04:amd64"]);
    let primed = &project["parts"]["charm"]["prime"];
    for file in ["dispatch", "bin/mirrormaker-integrator"] {
        assert!(
            primed
                .as_sequence()
                .is_some_and(|p| p.contains(&yaml(file))),
            "the charm part does not prime {file}: {primed:?}"
        );
    }
    assert_eq!(
        project["actions"],
        read_yaml(&repo_root().join("actions.yaml"))
    );
    assert_eq!(
        project["config"],
        read_yaml(&repo_root().join("config.yaml"))
    );
}
