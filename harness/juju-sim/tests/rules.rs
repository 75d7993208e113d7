//! Juju rules the emulator must keep: buffered hook writes (discarded on failure), `''`
//! deletes, secrets (owner/consumer, labels, tracked revisions, secret-changed only on a new
//! revision), config typing and config-changed, action validation and failure, resolve.

mod common;
use common::*;

fn pair(sim: &Sim) {
    let req = sim.charm("req", REQUIRER_META, CONFIG, ACTIONS);
    let prov = sim.charm(
        "prov",
        "provides:\n  kafka-client:\n    interface: kafka_client\n",
        "",
        ACTIONS,
    );
    sim.ok(&["deploy", req.to_str().unwrap(), "req"]);
    sim.ok(&["deploy", prov.to_str().unwrap(), "prov"]);
}

/// Proves a failed hook's relation writes are discarded (the other side neither sees the data
/// nor gets relation-changed), the unit shows `error` with the failed hook, later events wait,
/// and `resolve` re-runs the hook, after which the data flows.
#[test]
fn failed_hook_discards_writes_and_resolve_retries() {
    let sim = Sim::new();
    pair(&sim);
    sim.handler(
        "req",
        "source-relation-created",
        "relation-set --app topic=t1\nrelation-set mine=1\nexit 3\n",
    );
    sim.handler(
        "prov",
        "kafka-client-relation-changed",
        "t seen relation-get --format=json --app topic req\n",
    );
    sim.ok(&["integrate", "req:source", "prov"]);
    let st = sim.status();
    let u = &st["applications"]["req"]["units"]["req/0"];
    assert_eq!(u["workload-status"]["current"], "error");
    assert_eq!(
        u["workload-status"]["message"],
        "hook failed: \"source-relation-created\""
    );
    assert!(
        sim.app_bag(1, "req").get("topic").is_none(),
        "write of failed hook leaked"
    );
    assert!(sim.unit_bag(1, "req/0").get("mine").is_none());
    // prov/0 ran the changed that follows joined (req/0's agent error does not stop the other
    // side), but saw no data and got no further relation-changed.
    assert_eq!(sim.out("seen").0, "null\n");
    let changed = |s: &Sim| {
        s.hooks_of("prov/0")
            .iter()
            .filter(|h| *h == "kafka-client-relation-changed")
            .count()
    };
    assert_eq!(changed(&sim), 1);
    assert_eq!(
        sim.hooks_of("req/0").last().unwrap(),
        "source-relation-created"
    );
    // Fix the charm and resolve: the hook is retried, data is committed, the other side reacts.
    sim.handler(
        "req",
        "source-relation-created",
        "relation-set --app topic=t1\n",
    );
    sim.ok(&["resolve", "req/0"]);
    assert_eq!(sim.app_bag(1, "req")["topic"], "t1");
    assert_eq!(changed(&sim), 2);
    assert_eq!(sim.out("seen").0, "\"t1\"\n");
    let r = sim.hooks_of("req/0");
    assert_eq!(
        &r[r.len() - 3..],
        [
            "source-relation-created",
            "source-relation-joined",
            "source-relation-changed"
        ]
    );
    assert_eq!(
        sim.status()["applications"]["req"]["units"]["req/0"]["workload-status"]["current"],
        "unknown"
    );
}

/// Proves `''` deletes a key (relation-set args and --file -), file values are merged, and
/// the deletion is a change that triggers relation-changed on the other side.
/// Proves status-set and application-version-set take effect at once, as in Juju (whose hook
/// context calls the API immediately instead of buffering them): a failed hook keeps the unit
/// and application status and the workload version it set, while its relation data is
/// discarded; `status-get` in the retried hook sees them.
#[test]
fn status_and_version_survive_a_failed_hook() {
    let sim = Sim::new();
    pair(&sim);
    sim.handler(
        "req",
        "update-status",
        "status-set blocked -- \"set before failing\"\nstatus-set --application waiting -- app\napplication-version-set 9.9\nrelation-set -r peer:0 lost=1\nexit 1\n",
    );
    sim.ok(&["update-status"]);
    let dump = sim.dump();
    assert_eq!(dump["units"]["req/0"]["status"]["status"], "blocked");
    assert_eq!(
        dump["units"]["req/0"]["status"]["message"],
        "set before failing"
    );
    assert_eq!(dump["apps"]["req"]["status"]["status"], "waiting");
    assert_eq!(dump["apps"]["req"]["version"], "9.9");
    assert!(sim.unit_bag(0, "req/0").get("lost").is_none());
    sim.handler(
        "req",
        "update-status",
        "t st status-get --include-data --format=json\n",
    );
    sim.ok(&["resolve", "req/0"]);
    assert_eq!(
        sim.out("st").0,
        "{\"message\":\"set before failing\",\"status\":\"blocked\",\"status-data\":{}}\n"
    );
}

#[test]
fn empty_value_deletes() {
    let sim = Sim::new();
    pair(&sim);
    sim.ok(&["integrate", "req:source", "prov"]);
    sim.handler("req", "probe", "echo '{\"a\": \"1\", \"b\": \"2\", \"c\": \"3\"}' | relation-set -r source:1 --app --file -\n");
    sim.ok(&["run", "req/0", "probe"]);
    assert_eq!(
        sim.app_bag(1, "req"),
        serde_json::json!({"a": "1", "b": "2", "c": "3"})
    );
    let before = sim.hooks_of("prov/0").len();
    sim.handler(
        "req",
        "probe",
        "echo '{\"a\": \"\"}' | relation-set -r source:1 --app --file - b=\n",
    );
    sim.ok(&["run", "req/0", "probe"]);
    assert_eq!(sim.app_bag(1, "req"), serde_json::json!({"c": "3"}));
    assert_eq!(
        sim.hooks_of("prov/0")[before..],
        ["kafka-client-relation-changed"]
    );
}

/// Proves secrets: the owner's app secret granted to the relation is readable by the consumer,
/// which tracks the revision it first saw; an identical secret-set makes no revision and no
/// secret-changed; new content fires secret-changed on the consumer with its consumer label;
/// plain get keeps the tracked revision, --peek shows the latest, --refresh moves tracking;
/// the owner label is separate from the consumer label; non-granted units are denied.
#[test]
fn secrets_revisions_labels_and_secret_changed() {
    let sim = Sim::new();
    pair(&sim);
    sim.ok(&["integrate", "req:source", "prov"]);
    sim.handler(
        "prov",
        "probe",
        r#"
id=$(secret-add --label kafka-client.1.user.secret username=relation-1 password=pw1)
secret-grant "$id" --relation kafka-client:1
relation-set -r 1 --app secret-user="$id"
echo "$id" > "$out/secret-id"
t ownget secret-get --format=json --label kafka-client.1.user.secret
t info secret-info-get --format=json --label kafka-client.1.user.secret
t ids secret-ids --format=json
"#,
    );
    sim.ok(&["run", "prov/0", "probe"]);
    let id = std::fs::read_to_string(sim.hooks_dir.join("out/secret-id"))
        .unwrap()
        .trim()
        .to_string();
    assert!(id.starts_with("secret:") && id.len() == 27, "{id}");
    assert_eq!(
        sim.out("ownget").0,
        "{\"password\":\"pw1\",\"username\":\"relation-1\"}\n"
    );
    let info: serde_json::Value = serde_json::from_str(&sim.out("info").0).unwrap();
    let short = id.trim_start_matches("secret:");
    assert_eq!(info[short]["revision"], 1);
    assert_eq!(info[short]["label"], "kafka-client.1.user.secret");
    assert_eq!(info[short]["owner"], "application");
    assert_eq!(sim.out("ids").0, format!("[\"{id}\"]\n"));

    // Consumer reads by id with its own label, then by label.
    sim.handler(
        "req",
        "probe",
        r#"
id=$(relation-get -r source:1 secret-user prov)
t c1 secret-get "$id" --label source.1.user.secret --format=json
t c2 secret-get --label source.1.user.secret --format=json
t cpw secret-get "$id" password
t badkey secret-get --label source.1.user.secret password
t cinfo secret-info-get --format=json "$id"
"#,
    );
    sim.ok(&["run", "req/0", "probe"]);
    assert_eq!(
        sim.out("c1").0,
        "{\"password\":\"pw1\",\"username\":\"relation-1\"}\n"
    );
    assert_eq!(sim.out("c2").0, sim.out("c1").0);
    assert_eq!(sim.out("cpw").0, "pw1\n");
    // The first positional is always the URI (jujuc's Init), so a bare key is an invalid URI.
    assert_eq!(
        sim.out("badkey"),
        (
            String::new(),
            "ERROR secret URI \"password\" not valid\n".into(),
            2
        )
    );
    assert_eq!(sim.out("cinfo").2, 1, "secret-info-get is owner-only");

    // Identical content: no new revision, no secret-changed.
    sim.handler(
        "prov",
        "probe",
        &format!("secret-set {id} username=relation-1 password=pw1\n"),
    );
    sim.ok(&["run", "prov/0", "probe"]);
    assert!(!sim
        .hooks_of("req/0")
        .contains(&"secret-changed".to_string()));
    let s: serde_json::Value =
        serde_json::from_str(&sim.ok(&["secrets", "--format", "json"])).unwrap();
    assert_eq!(s[&id]["latest-revision"], 1);

    // New content: secret-changed on the consumer, with its label.
    sim.handler(
        "req",
        "secret-changed",
        r#"
t old secret-get --format=json --label "$JUJU_SECRET_LABEL"
t peek secret-get --format=json "$JUJU_SECRET_ID" --peek
t old2 secret-get --format=json --label "$JUJU_SECRET_LABEL"
t new secret-get --format=json "$JUJU_SECRET_ID" --refresh
t new2 secret-get --format=json --label "$JUJU_SECRET_LABEL"
"#,
    );
    sim.handler(
        "prov",
        "probe",
        &format!("secret-set {id} username=relation-1 password=pw2\n"),
    );
    sim.ok(&["run", "prov/0", "probe"]);
    assert_eq!(sim.hooks_of("req/0").last().unwrap(), "secret-changed");
    let hooks = sim.hooks_json();
    let ev = hooks
        .iter()
        .rev()
        .find(|h| h["hook"] == "secret-changed")
        .unwrap();
    assert_eq!(ev["env"]["JUJU_SECRET_ID"], id.as_str());
    assert_eq!(ev["env"]["JUJU_SECRET_LABEL"], "source.1.user.secret");
    assert!(ev["env"].get("JUJU_RELATION_ID").is_none());
    assert!(sim.out("old").0.contains("pw1"));
    assert!(sim.out("peek").0.contains("pw2"));
    assert!(
        sim.out("old2").0.contains("pw1"),
        "--peek must not move tracking"
    );
    assert!(sim.out("new").0.contains("pw2"));
    assert!(
        sim.out("new2").0.contains("pw2"),
        "--refresh moves tracking"
    );

    // A unit of an app without a grant is denied.
    let other = sim.charm("other", "", "", ACTIONS);
    sim.ok(&["deploy", other.to_str().unwrap(), "other"]);
    sim.handler(
        "other",
        "probe",
        &format!("t deny secret-get {id} --format=json\n"),
    );
    sim.ok(&["run", "other/0", "probe"]);
    assert_eq!(
        sim.out("deny"),
        (String::new(), "ERROR permission denied\n".into(), 1)
    );

    // Non-leader cannot add an application-owned secret.
    sim.ok(&["add-unit", "prov"]);
    sim.handler("prov", "probe", "t nl secret-add foo=bar\n");
    sim.ok(&["run", "prov/1", "probe"]);
    assert_eq!(sim.out("nl").2, 1);
}

/// Proves `config` types values from config.yaml, rejects unknown keys and bad types, fires
/// config-changed only on change, `--reset` returns to the default, and config-get omits keys
/// without value and default.
#[test]
fn config_typing_and_config_changed() {
    let sim = Sim::new();
    pair(&sim);
    sim.handler("req", "config-changed", "t cfg config-get --format=json\n");
    let before = sim.hooks_of("req/0").len();
    sim.ok(&[
        "config",
        "req",
        "replicas=5",
        "enabled=true",
        "secret-name=x",
    ]);
    assert_eq!(sim.hooks_of("req/0")[before..], ["config-changed"]);
    assert_eq!(
        sim.out("cfg").0,
        "{\"enabled\":true,\"replicas\":5,\"secret-name\":\"x\",\"topics\":\".*\"}\n"
    );
    let r = sim.cmd(&["config", "req", "replicas=lots"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("replicas"), "{}", r.stderr);
    assert_eq!(sim.cmd(&["config", "req", "nope=1"]).code, 1);
    let n = sim.hooks_of("req/0").len();
    sim.ok(&["config", "req", "replicas=5"]);
    assert_eq!(sim.hooks_of("req/0").len(), n, "no change, no hook");
    sim.ok(&["config", "req", "--reset", "replicas,secret-name,enabled"]);
    assert_eq!(sim.out("cfg").0, "{\"replicas\":3,\"topics\":\".*\"}\n");
}

/// Proves `run` validates params against actions.yaml (required, types, unknown keys) before
/// running, and exits non-zero printing the message on action-fail or a non-zero exit, with
/// results still printed; the unit is not put in error by a failed action.
#[test]
fn action_validation_and_failure() {
    let sim = Sim::new();
    pair(&sim);
    let r = sim.cmd(&["run", "req/0", "status"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("\"name\" property is missing and required"),
        "{}",
        r.stderr
    );
    let r = sim.cmd(&["run", "req/0", "status", "name=x", "count=many"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("count"), "{}", r.stderr);
    let r = sim.cmd(&["run", "req/0", "status", "name=x", "bogus=1"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("additional property \"bogus\""),
        "{}",
        r.stderr
    );
    assert_eq!(sim.cmd(&["run", "req/0", "nope"]).code, 1);

    sim.handler(
        "req",
        "status",
        "action-set partial=yes\naction-fail \"connect is down\"\n",
    );
    let r = sim.cmd(&["run", "req/0", "status", "name=x"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "partial: yes\n");
    assert!(r.stderr.contains("connect is down"), "{}", r.stderr);

    sim.handler("req", "status", "exit 4\n");
    let r = sim.cmd(&["run", "req/0", "status", "name=x"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("with return code 4"), "{}", r.stderr);
    let st = sim.status();
    assert_eq!(
        st["applications"]["req"]["units"]["req/0"]["workload-status"]["current"],
        "unknown"
    );
    let h = sim.hooks();
    assert_eq!(
        h.last().unwrap(),
        &("req/0".to_string(), "action:status".to_string(), 4)
    );
    let env = &sim.hooks_json().last().unwrap()["env"].clone();
    assert_eq!(env["JUJU_DISPATCH_PATH"], "actions/status");
    assert_eq!(env["JUJU_ACTION_NAME"], "status");
    assert_eq!(env["JUJU_HOOK_NAME"], "");
    assert!(env["JUJU_ACTION_TAG"]
        .as_str()
        .unwrap()
        .starts_with("action-"));
}

/// Proves a hook that hangs is killed after JUJU_SIM_HOOK_TIMEOUT seconds and counts as a
/// failed hook (unit in error), so a stuck charm cannot hang a test.
#[test]
fn hanging_hook_is_killed() {
    let sim = Sim::new();
    let charm = sim.charm("slow", "", "", "");
    sim.handler("slow", "install", "sleep 30\n");
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_juju-sim"))
        .arg("--model")
        .arg(&sim.model)
        .args(["deploy", charm.to_str().unwrap(), "slow"])
        .env("SIM_TEST_HOOKS", &sim.hooks_dir)
        .env("JUJU_SIM_HOOK_TIMEOUT", "1")
        .output()
        .unwrap();
    assert!(r.status.success());
    assert_eq!(
        sim.hooks(),
        [("slow/0".to_string(), "install".to_string(), 124)]
    );
    assert!(sim.ok(&["debug-log"]).contains("hook killed after 1s"));
}
