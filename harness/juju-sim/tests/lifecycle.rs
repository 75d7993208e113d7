//! Event order and hook environment: deploy, integrate, remove-relation, remove-unit,
//! leadership change, update-status and the ping-pong guard (spec/juju.md §1, §5).

mod common;
use common::*;

/// Proves deploy runs install → peer relation-created → leader-elected (leader only) →
/// config-changed → start, then peer joined → changed, each through ./dispatch.
#[test]
fn deploy_event_order() {
    let sim = Sim::new();
    let charm = sim.charm("app", REQUIRER_META, CONFIG, ACTIONS);
    sim.ok(&["deploy", charm.to_str().unwrap(), "app", "-n", "2"]);
    assert_eq!(
        sim.hooks_of("app/0"),
        [
            "install",
            "peer-relation-created",
            "leader-elected",
            "config-changed",
            "start",
            "peer-relation-joined",
            "peer-relation-changed"
        ]
    );
    assert_eq!(
        sim.hooks_of("app/1"),
        [
            "install",
            "peer-relation-created",
            "config-changed",
            "start",
            "peer-relation-joined",
            "peer-relation-changed"
        ]
    );
    assert!(sim.hooks().iter().all(|h| h.2 == 0));
}

/// Proves every JUJU_* variable of juju.md §1 is set as Juju sets it, incl. relation ids
/// `endpoint:N`, a dashed model uuid, JUJU_VERSION 3.6.x and the tools dir first on PATH.
#[test]
fn hook_environment() {
    let sim = Sim::new();
    let charm = sim.charm("app", REQUIRER_META, CONFIG, ACTIONS);
    sim.handler(
        "app",
        "peer-relation-joined",
        "echo \"$PATH\" > \"$out/path\"; command -v relation-get > \"$out/which\"\n",
    );
    sim.ok(&["deploy", charm.to_str().unwrap(), "app", "-n", "2"]);
    let hooks = sim.hooks_json();
    let install = &hooks[0]["env"];
    assert_eq!(install["JUJU_DISPATCH_PATH"], "hooks/install");
    assert_eq!(install["JUJU_HOOK_NAME"], "install");
    assert_eq!(install["JUJU_UNIT_NAME"], "app/0");
    assert_eq!(install["JUJU_MODEL_NAME"], "model");
    let uuid = install["JUJU_MODEL_UUID"].as_str().unwrap();
    let parts: Vec<usize> = uuid.split('-').map(str::len).collect();
    assert_eq!(parts, [8, 4, 4, 4, 12], "{uuid}");
    assert!(install["JUJU_VERSION"]
        .as_str()
        .unwrap()
        .starts_with("3.6."));
    assert!(install["JUJU_CHARM_DIR"]
        .as_str()
        .unwrap()
        .ends_with("units/app-0/charm"));
    for k in [
        "JUJU_CONTEXT_ID",
        "JUJU_AGENT_SOCKET_ADDRESS",
        "JUJU_MACHINE_ID",
        "JUJU_API_ADDRESSES",
    ] {
        assert!(!install[k].as_str().unwrap_or("").is_empty(), "{k} missing");
    }
    assert!(install.get("JUJU_RELATION").is_none());
    let joined = hooks
        .iter()
        .find(|h| h["unit"] == "app/1" && h["hook"] == "peer-relation-joined")
        .unwrap();
    assert_eq!(
        joined["env"]["JUJU_DISPATCH_PATH"],
        "hooks/peer-relation-joined"
    );
    assert_eq!(joined["env"]["JUJU_RELATION"], "peer");
    assert_eq!(joined["env"]["JUJU_RELATION_ID"], "peer:0");
    assert_eq!(joined["env"]["JUJU_REMOTE_UNIT"], "app/0");
    assert_eq!(joined["env"]["JUJU_REMOTE_APP"], "app");
    let which = std::fs::read_to_string(sim.hooks_dir.join("out/which")).unwrap();
    assert!(which
        .trim()
        .starts_with(sim.model.join("tools").to_str().unwrap()));
}

/// Proves integrate runs relation-created on every unit before any joined, then joined →
/// changed per remote unit; data set by one side triggers relation-changed (with empty
/// JUJU_REMOTE_UNIT for app data) on the other side before the verb returns; remove-relation
/// runs departed (JUJU_DEPARTING_UNIT) then broken.
#[test]
fn integrate_and_remove_relation_order() {
    let sim = Sim::new();
    let req = sim.charm("req", REQUIRER_META, "", "");
    let prov = sim.charm(
        "prov",
        "provides:\n  kafka-client:\n    interface: kafka_client\n",
        "",
        "",
    );
    sim.ok(&["deploy", req.to_str().unwrap(), "req"]);
    sim.ok(&["deploy", prov.to_str().unwrap(), "prov", "-n", "2"]);
    // The provider leader answers once the requirer asked.
    sim.handler(
        "prov",
        "kafka-client-relation-changed",
        "if [ \"$(is-leader --format=json)\" = true ] && [ -n \"$(relation-get --app topic $JUJU_REMOTE_APP)\" ]; then relation-set --app endpoints=127.0.0.1:9092; fi\n",
    );
    sim.handler(
        "req",
        "source-relation-created",
        "relation-set --app topic=t1\n",
    );
    let before = sim.hooks().len();
    sim.ok(&["integrate", "req:source", "prov"]);
    let new: Vec<(String, String)> = sim.hooks()[before..]
        .iter()
        .map(|h| (h.0.clone(), h.1.clone()))
        .collect();
    let req_hooks: Vec<&str> = new
        .iter()
        .filter(|h| h.0 == "req/0")
        .map(|h| h.1.as_str())
        .collect();
    assert_eq!(
        req_hooks,
        [
            "source-relation-created",
            "source-relation-joined",
            "source-relation-changed",
            "source-relation-joined",
            "source-relation-changed",
            "source-relation-changed"
        ]
    );
    let p0: Vec<&str> = new
        .iter()
        .filter(|h| h.0 == "prov/0")
        .map(|h| h.1.as_str())
        .collect();
    assert_eq!(p0[0], "kafka-client-relation-created");
    assert_eq!(p0[1], "kafka-client-relation-joined");
    // Created ran on all units before the first joined anywhere.
    let first_joined = new.iter().position(|h| h.1.ends_with("-joined")).unwrap();
    let last_created = new.iter().rposition(|h| h.1.ends_with("-created")).unwrap();
    assert!(last_created < first_joined);
    // The last requirer hook is the app-data change: no remote unit, remote app set.
    let hooks = sim.hooks_json();
    let last = hooks.iter().rev().find(|h| h["unit"] == "req/0").unwrap();
    assert_eq!(last["env"]["JUJU_REMOTE_UNIT"], "");
    assert_eq!(last["env"]["JUJU_REMOTE_APP"], "prov");
    assert_eq!(last["env"]["JUJU_RELATION_ID"], "source:1");
    assert_eq!(sim.app_bag(1, "prov")["endpoints"], "127.0.0.1:9092");

    let before = sim.hooks().len();
    sim.ok(&["remove-relation", "req:source", "prov:kafka-client"]);
    let hooks = sim.hooks_json();
    let req_rm: Vec<&Value> = hooks[before..]
        .iter()
        .filter(|h| h["unit"] == "req/0")
        .collect();
    let names: Vec<&str> = req_rm.iter().map(|h| h["hook"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "source-relation-departed",
            "source-relation-departed",
            "source-relation-broken"
        ]
    );
    assert_eq!(req_rm[0]["env"]["JUJU_DEPARTING_UNIT"], "prov/0");
    assert!(
        sim.dump()["relations"].get("1").is_none(),
        "relation is gone"
    );
}
use serde_json::Value;

/// Proves remove-unit runs departed on the remaining units (JUJU_DEPARTING_UNIT = the leaving
/// unit), departed/broken/stop/remove on the leaving unit, and moves leadership with
/// leader-elected when the leader leaves.
#[test]
fn remove_unit_and_leadership() {
    let sim = Sim::new();
    let charm = sim.charm("app", REQUIRER_META, "", "");
    sim.ok(&["deploy", charm.to_str().unwrap(), "app", "-n", "2"]);
    let before = sim.hooks().len();
    sim.ok(&["remove-unit", "app/0"]);
    let hooks = sim.hooks_json();
    let new = &hooks[before..];
    let of = |u: &str| -> Vec<String> {
        new.iter()
            .filter(|h| h["unit"] == u)
            .map(|h| h["hook"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        of("app/0"),
        [
            "peer-relation-departed",
            "peer-relation-broken",
            "stop",
            "remove"
        ]
    );
    assert_eq!(of("app/1"), ["peer-relation-departed", "leader-elected"]);
    let dep = new.iter().find(|h| h["unit"] == "app/1").unwrap();
    assert_eq!(dep["env"]["JUJU_DEPARTING_UNIT"], "app/0");
    let st = sim.status();
    assert!(st["applications"]["app"]["units"].get("app/0").is_none());
    assert_eq!(st["applications"]["app"]["units"]["app/1"]["leader"], true);
}

/// Proves `elect` moves leadership: leader-elected runs on the new leader and is-leader flips.
#[test]
fn elect_changes_leader() {
    let sim = Sim::new();
    let charm = sim.charm("app", REQUIRER_META, "", "");
    sim.handler(
        "app",
        "leader-elected",
        "t leader-$(echo $JUJU_UNIT_NAME | tr / -) is-leader --format=json\n",
    );
    sim.handler(
        "app",
        "update-status",
        "t upd-$(echo $JUJU_UNIT_NAME | tr / -) is-leader --format=json\n",
    );
    sim.ok(&["deploy", charm.to_str().unwrap(), "app", "-n", "2"]);
    assert_eq!(sim.out("leader-app-0").0, "true\n");
    sim.ok(&["elect", "app/1"]);
    assert_eq!(sim.hooks().last().unwrap().0, "app/1");
    assert_eq!(sim.hooks().last().unwrap().1, "leader-elected");
    assert_eq!(sim.out("leader-app-1").0, "true\n");
    sim.ok(&["update-status"]);
    assert_eq!(sim.out("upd-app-0").0, "false\n");
    assert_eq!(sim.out("upd-app-1").0, "true\n");
}

/// Proves two charms that rewrite relation data on every change stop with a clear error
/// instead of looping forever.
#[test]
fn ping_pong_is_bounded() {
    let sim = Sim::new();
    let req = sim.charm("req", REQUIRER_META, "", "");
    let prov = sim.charm(
        "prov",
        "provides:\n  kafka-client:\n    interface: kafka_client\n",
        "",
        "",
    );
    sim.ok(&["deploy", req.to_str().unwrap(), "req"]);
    sim.ok(&["deploy", prov.to_str().unwrap(), "prov"]);
    let bump = "relation-set n=$(date +%s%N)\n";
    sim.handler("req", "source-relation-changed", bump);
    sim.handler("prov", "kafka-client-relation-changed", bump);
    let r = sim.cmd(&["integrate", "req:source", "prov"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("did not settle"), "{}", r.stderr);
}

/// Proves `refresh` re-installs the charm and runs upgrade-charm → config-changed (no start),
/// as Juju does on machines.
#[test]
fn refresh_runs_upgrade_charm() {
    let sim = Sim::new();
    let charm = sim.charm("app", REQUIRER_META, CONFIG, "");
    sim.ok(&["deploy", charm.to_str().unwrap(), "app"]);
    let n = sim.hooks_of("app/0").len();
    sim.ok(&["refresh", "app"]);
    assert_eq!(
        sim.hooks_of("app/0")[n..],
        ["upgrade-charm", "config-changed"]
    );
}

/// Proves `refresh` deploys like Juju's manifest deployer: files the charm created in its charm
/// dir (ops' `.unit-state.db`, a data dir) stay, files and directories the old charm shipped
/// but the new one does not are deleted, shipped files are replaced by the new charm's.
#[test]
fn refresh_keeps_charm_created_files() {
    let sim = Sim::new();
    let charm = sim.charm("app", REQUIRER_META, CONFIG, "");
    std::fs::write(charm.join("keep.txt"), "v1").unwrap();
    std::fs::write(charm.join("old.txt"), "v1").unwrap();
    std::fs::create_dir_all(charm.join("olddir")).unwrap();
    std::fs::write(charm.join("olddir/f"), "v1").unwrap();
    sim.handler(
        "app",
        "install",
        "echo state > .unit-state.db\nmkdir -p data olddir\necho mine > data/user.txt\necho mine > olddir/created\n",
    );
    sim.ok(&["deploy", charm.to_str().unwrap(), "app"]);
    let dir = sim.model.join("units/app-0/charm");
    assert!(dir.join(".unit-state.db").exists());
    // v2: keep.txt changes, old.txt and olddir/ are gone, new.txt is new.
    std::fs::write(charm.join("keep.txt"), "v2").unwrap();
    std::fs::remove_file(charm.join("old.txt")).unwrap();
    std::fs::remove_dir_all(charm.join("olddir")).unwrap();
    std::fs::write(charm.join("new.txt"), "v2").unwrap();
    sim.ok(&["refresh", "app"]);
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).ok();
    assert_eq!(read(".unit-state.db").as_deref(), Some("state\n"));
    assert_eq!(read("data/user.txt").as_deref(), Some("mine\n"));
    assert_eq!(read("keep.txt").as_deref(), Some("v2"));
    assert_eq!(read("new.txt").as_deref(), Some("v2"));
    assert!(!dir.join("old.txt").exists());
    assert!(
        !dir.join("olddir").exists(),
        "a directory only the old charm shipped is removed with its content, as Juju does"
    );
    assert!(dir.join("dispatch").exists());
}

/// Proves a `.charm` zip (no directory entries, modes in `external_attr` as charmcraft writes
/// them) is unpacked per unit with its exec bits, and dispatch → bin/ works.
#[test]
fn deploy_packed_zip_keeps_modes() {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let sim = Sim::new();
    let path = sim.tmp.path().join("t_ubuntu@22.04-amd64.charm");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let file = |mode: u32| {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode)
    };
    z.start_file("dispatch", file(0o755)).unwrap();
    z.write_all(b"#!/bin/sh\nJUJU_DISPATCH_PATH=\"${JUJU_DISPATCH_PATH:-$0}\" exec ./bin/t\n")
        .unwrap();
    z.start_file("bin/t", file(0o755)).unwrap();
    z.write_all(b"#!/bin/sh\nstatus-set active \"ran $JUJU_DISPATCH_PATH\"\n")
        .unwrap();
    z.start_file("metadata.yaml", file(0o644)).unwrap();
    z.write_all(b"name: t\nsummary: s\ndescription: d\n")
        .unwrap();
    z.finish().unwrap();
    sim.ok(&["deploy", path.to_str().unwrap(), "t", "-n", "2"]);
    for u in ["t-0", "t-1"] {
        let d = sim.model.join("units").join(u).join("charm");
        let mode = |p: &str| std::fs::metadata(d.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            (mode("dispatch"), mode("bin/t"), mode("metadata.yaml")),
            (0o755, 0o755, 0o644)
        );
    }
    assert!(sim.hooks().iter().all(|h| h.2 == 0));
    let st = sim.status();
    assert_eq!(
        st["applications"]["t"]["units"]["t/1"]["workload-status"]["message"],
        "ran hooks/start"
    );
}

/// Proves `exec` runs a command in a hook context (tools work, no JUJU_DISPATCH_PATH), returns
/// its exit code and output, and commits its writes, which then trigger the other side.
#[test]
fn exec_in_hook_context() {
    let sim = Sim::new();
    let charm = sim.charm("app", REQUIRER_META, CONFIG, "");
    sim.ok(&["deploy", charm.to_str().unwrap(), "app", "-n", "2"]);
    let out = sim.ok(&[
        "exec",
        "app/0",
        "--",
        "sh",
        "-c",
        "echo \"[$JUJU_DISPATCH_PATH]\"; is-leader --format=json; relation-set -r peer:0 k=v",
    ]);
    assert_eq!(out, "[]\ntrue\n");
    assert_eq!(sim.unit_bag(0, "app/0")["k"], "v");
    assert_eq!(
        sim.hooks().last().unwrap(),
        &("app/1".to_string(), "peer-relation-changed".to_string(), 0)
    );
    let r = sim.cmd(&[
        "exec",
        "app/1",
        "--",
        "sh",
        "-c",
        "relation-set -r peer:0 k=x; exit 3",
    ]);
    assert_eq!(r.code, 3);
    assert!(sim.unit_bag(0, "app/1").get("k").is_none());
}

/// Proves a unit added to an integrated app runs relation-created for the existing relations
/// (peer first) before config-changed/start, then joined → changed with every remote and peer
/// unit, and that the remote side gets joined → changed for the new unit.
#[test]
fn add_unit_joins_existing_relations() {
    let sim = Sim::new();
    let req = sim.charm("req", REQUIRER_META, "", "");
    let prov = sim.charm(
        "prov",
        "provides:\n  kafka-client:\n    interface: kafka_client\n",
        "",
        "",
    );
    sim.ok(&["deploy", req.to_str().unwrap(), "req"]);
    sim.ok(&["deploy", prov.to_str().unwrap(), "prov"]);
    sim.ok(&["integrate", "req:source", "prov"]);
    let n = sim.hooks_of("prov/0").len();
    sim.ok(&["add-unit", "req"]);
    assert_eq!(
        sim.hooks_of("req/1"),
        [
            "install",
            "peer-relation-created",
            "source-relation-created",
            "config-changed",
            "start",
            "peer-relation-joined",
            "peer-relation-changed",
            "source-relation-joined",
            "source-relation-changed"
        ]
    );
    assert_eq!(
        sim.hooks_of("prov/0")[n..],
        [
            "kafka-client-relation-joined",
            "kafka-client-relation-changed"
        ]
    );
}

/// Proves endpoint `limit` is enforced like Juju (target has limit 1), and ambiguous or
/// impossible integrations are refused.
#[test]
fn integrate_limits_and_ambiguity() {
    let sim = Sim::new();
    let req = sim.charm("req", REQUIRER_META, "", "");
    sim.ok(&["deploy", req.to_str().unwrap(), "req"]);
    sim.ok(&["deploy", "--sim", "kafka", "kafka-b"]);
    sim.ok(&["deploy", "--sim", "kafka", "kafka-c"]);
    let r = sim.cmd(&["integrate", "req", "kafka-b"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("ambiguous relation"), "{}", r.stderr);
    sim.ok(&["integrate", "req:target", "kafka-b"]);
    let r = sim.cmd(&["integrate", "req:target", "kafka-c"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("maximum relation limit of 1"),
        "{}",
        r.stderr
    );
    let r = sim.cmd(&["integrate", "req:target", "kafka-b"]);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(
        sim.cmd(&["integrate", "req:connect-client", "kafka-c"])
            .code,
        1
    );
    sim.ok(&["integrate", "req:source", "kafka-c"]);
    sim.ok(&["integrate", "req:source", "kafka-b"]);
}
