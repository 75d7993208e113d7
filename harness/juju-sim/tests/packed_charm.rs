//! End-to-end: the project's PACKED charm (`cargo xtask pack`) deployed in the emulator and
//! integrated with simulated kafka-a (`source`), kafka-b (`target`) and kafka-connect
//! (`connect-client`); every hook runs through the charm's `./dispatch` in Juju's order.
//!
//! Finding the charm: `$MMI_CHARM` (a .charm path) if set; otherwise the test runs
//! `cargo xtask pack --out <tempdir>` from the workspace root and uses the ubuntu@22.04 file it
//! prints (packing into a temp dir avoids racing with a pack writing the repo-root file).

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::PathBuf;

fn packed_charm(sim: &Sim) -> PathBuf {
    if let Ok(p) = std::env::var("MMI_CHARM") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out_dir = sim.tmp.path().join("packed");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = std::process::Command::new(env!("CARGO"))
        .args(["xtask", "pack", "--out"])
        .arg(&out_dir)
        .current_dir(&root)
        .output()
        .expect("run cargo xtask pack");
    assert!(
        out.status.success(),
        "`cargo xtask pack` failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let charms: Vec<PathBuf> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "charm"))
        .collect();
    charms
        .iter()
        .find(|p| p.to_string_lossy().contains("22.04"))
        .or(charms.first())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "`cargo xtask pack` wrote no .charm into {}",
                out_dir.display()
            )
        })
}

/// Proves the packed charm unpacks with its exec bits, runs through `./dispatch` (with
/// JUJU_DISPATCH_PATH=hooks/<hook>) in Juju's deploy order, then for each integration runs
/// relation-created → joined → changed, never fails a hook, and that its requests reach the
/// simulated providers, which answer (Kafka `topic`, Kafka Connect `plugin-url`).
#[test]
fn packed_charm_deploy_and_integrate() {
    let sim = Sim::new();
    let charm = packed_charm(&sim);
    // Connect on a closed local port: REST calls fail fast instead of timing out.
    let backend = sim.tmp.path().join("connect.json");
    std::fs::write(
        &backend,
        json!({"endpoints": "http://127.0.0.1:9"}).to_string(),
    )
    .unwrap();
    sim.ok(&["deploy", charm.to_str().unwrap(), "mirror"]);
    let dispatch = sim.model.join("units/mirror-0/charm/dispatch");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&dispatch).unwrap().permissions(),
    );
    assert_eq!(mode & 0o111, 0o111, "dispatch lost its exec bits");
    assert_eq!(
        sim.hooks_of("mirror/0"),
        [
            "install",
            "peer-relation-created",
            "leader-elected",
            "config-changed",
            "start"
        ]
    );
    sim.ok(&["deploy", "--sim", "kafka", "kafka-a"]);
    sim.ok(&["deploy", "--sim", "kafka", "kafka-b"]);
    sim.ok(&[
        "deploy",
        "--sim",
        "kafka-connect",
        "kafka-connect",
        "--backend",
        backend.to_str().unwrap(),
    ]);
    for (ep, app) in [
        ("source", "kafka-a"),
        ("target", "kafka-b"),
        ("connect-client", "kafka-connect"),
    ] {
        let n = sim.hooks_of("mirror/0").len();
        sim.ok(&["integrate", &format!("mirror:{ep}"), app]);
        let new = sim.hooks_of("mirror/0")[n..].to_vec();
        assert_eq!(
            new[..3],
            [
                format!("{ep}-relation-created"),
                format!("{ep}-relation-joined"),
                format!("{ep}-relation-changed")
            ],
            "{new:?}"
        );
    }
    let hooks = sim.hooks_json();
    for h in hooks.iter().filter(|h| h["unit"] == "mirror/0") {
        assert_eq!(h["code"], 0, "hook failed: {h}\n{}", sim.ok(&["debug-log"]));
        assert_eq!(
            h["env"]["JUJU_DISPATCH_PATH"],
            format!("hooks/{}", h["hook"].as_str().unwrap())
        );
    }
    let st = sim.status();
    assert_eq!(
        st["applications"]["mirror"]["units"]["mirror/0"]["leader"],
        true
    );
    // The charm asked and the providers answered.
    let rels: Vec<Value> = st["relations"].as_array().unwrap().clone();
    let id_of = |ep: &str| {
        rels.iter()
            .find(|r| {
                r["endpoints"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e == &json!(format!("mirror:{ep}")))
            })
            .map(|r| r["id"].as_u64().unwrap())
            .unwrap()
    };
    for (ep, app, key) in [
        ("source", "kafka-a", "secret-user"),
        ("target", "kafka-b", "secret-user"),
        ("connect-client", "kafka-connect", "endpoints"),
    ] {
        let bag = sim.app_bag(id_of(ep), app);
        assert!(
            bag.get(key).is_some(),
            "{app} did not answer on {ep}: {bag}\nrequest: {}",
            sim.app_bag(id_of(ep), "mirror")
        );
    }
    // And the charm ran relation-changed after the answers, still without failing.
    let last: Vec<String> = sim.hooks_of("mirror/0");
    assert!(
        last.iter()
            .filter(|h| *h == "source-relation-changed")
            .count()
            >= 2,
        "{last:?}"
    );
}
