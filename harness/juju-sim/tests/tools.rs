//! Hook tools: output format (`--format=json` shapes), `ERROR <msg>` texts and exit codes
//! (2 for flag/argument errors, 1 for run errors) pinned to spec/juju.md §4.

mod common;
use common::*;

fn setup() -> Sim {
    let sim = Sim::new();
    let req = sim.charm("req", REQUIRER_META, CONFIG, ACTIONS);
    let prov = sim.charm(
        "prov",
        "provides:\n  kafka-client:\n    interface: kafka_client\n",
        "",
        "",
    );
    sim.ok(&["deploy", req.to_str().unwrap(), "req", "-n", "2"]);
    sim.ok(&["deploy", prov.to_str().unwrap(), "prov"]);
    sim.ok(&["integrate", "req:source", "prov"]);
    sim
}

fn check(sim: &Sim, name: &str, stdout: &str, stderr: &str, rc: i32) {
    let (o, e, c) = sim.out(name);
    assert_eq!(
        (o.as_str(), e.as_str(), c),
        (stdout, stderr, rc),
        "tool call {name}"
    );
}

/// Proves the getters' JSON shapes and smart output, config-get omission of unset options
/// without default, and relation errors ("relation not found", exit 2) as juju.md §4 lists.
#[test]
fn getters_formats_and_errors() {
    let sim = setup();
    sim.handler(
        "req",
        "probe",
        r#"
t cfg config-get --format=json
t cfgall config-get --format=json --all
t cfgkey config-get secret-name --format=json
t cfgone config-get replicas --format=json
t leader is-leader --format=json
t leadersmart is-leader
t ids relation-ids source --format=json
t idssmart relation-ids source
t idsnone relation-ids --format=json
t list relation-list -r source:1 --format=json
t listnum relation-list -r 1 --format=json
t listapp relation-list -r source:1 --app --format=json
t list99 relation-list -r source:99 --format=json
t listbad relation-list -r source:x --format=json
t listnor relation-list --format=json
t get relation-get --format=json -r source:1 - prov/0
t getkey relation-get --format=json -r source:1 nokey prov/0
t getnomember relation-get --format=json -r source:1
t ownapp relation-get --format=json -r source:1 --app - req
t badflag is-leader --bogus
t badformat is-leader --format=xml
t actget action-get --format=json
t nolog juju-log --log-level INFO
juju-log --log-level WARNING -- "hello from probe"
t stbad status-set bogus -- msg
t stset status-set --application=False maintenance -- "doing things"
t stget status-get --include-data --format=json --application=false
t stapp status-set --application=True active -- "app msg"
t appget status-get --include-data --format=json --application=true
t secnone secret-get --format=json
t secboth secret-get --format=json secret:aaaaaaaaaaaaaaaaaaaa --peek --refresh
t secmissing secret-get --format=json secret:aaaaaaaaaaaaaaaaaaaa
t extra relation-ids source extra
t rmg relation-model-get -r source:1 --format=json
t net network-get source --format=json
t netbad network-get nosuch --format=json
"#,
    );
    sim.ok(&["run", "req/0", "probe"]);
    check(&sim, "cfg", "{\"replicas\":3,\"topics\":\".*\"}\n", "", 0);
    check(
        &sim,
        "cfgall",
        "{\"enabled\":null,\"replicas\":3,\"secret-name\":null,\"topics\":\".*\"}\n",
        "",
        0,
    );
    check(&sim, "cfgkey", "null\n", "", 0);
    check(&sim, "cfgone", "3\n", "", 0);
    check(&sim, "leader", "true\n", "", 0);
    check(&sim, "leadersmart", "True\n", "", 0);
    check(&sim, "ids", "[\"source:1\"]\n", "", 0);
    check(&sim, "idssmart", "source:1\n", "", 0);
    check(&sim, "idsnone", "", "ERROR no endpoint name specified\n", 2);
    check(&sim, "list", "[\"prov/0\"]\n", "", 0);
    check(&sim, "listnum", "[\"prov/0\"]\n", "", 0);
    check(&sim, "listapp", "\"prov\"\n", "", 0);
    check(
        &sim,
        "list99",
        "",
        "ERROR invalid value \"source:99\" for option -r: relation not found\n",
        2,
    );
    check(
        &sim,
        "listbad",
        "",
        "ERROR invalid value \"source:x\" for option -r: invalid relation id\n",
        2,
    );
    check(&sim, "listnor", "", "ERROR no relation id specified\n", 2);
    let (o, _, c) = sim.out("get");
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&o).unwrap();
    assert!(
        v["private-address"].is_string() && v["ingress-address"].is_string(),
        "{o}"
    );
    check(&sim, "getkey", "null\n", "", 0);
    check(
        &sim,
        "getnomember",
        "",
        "ERROR no unit or application specified\n",
        2,
    );
    check(&sim, "ownapp", "{}\n", "", 0);
    check(
        &sim,
        "badflag",
        "",
        "ERROR flag provided but not defined: --bogus\n",
        2,
    );
    assert_eq!(sim.out("badformat").2, 2);
    check(&sim, "actget", "{}\n", "", 0);
    check(&sim, "nolog", "", "ERROR no message specified\n", 2);
    check(
        &sim,
        "stbad",
        "",
        "ERROR invalid status \"bogus\", expected one of [maintenance blocked waiting active]\n",
        2,
    );
    check(&sim, "stset", "", "", 0);
    check(
        &sim,
        "stget",
        "{\"message\":\"doing things\",\"status\":\"maintenance\",\"status-data\":{}}\n",
        "",
        0,
    );
    check(&sim, "stapp", "", "", 0);
    let (o, _, _) = sim.out("appget");
    let v: serde_json::Value = serde_json::from_str(&o).unwrap();
    assert_eq!(v["application-status"]["status"], "active");
    assert_eq!(
        v["application-status"]["units"]["req/0"]["status"],
        "maintenance"
    );
    check(
        &sim,
        "secnone",
        "",
        "ERROR require either a secret URI or label\n",
        2,
    );
    check(
        &sim,
        "secboth",
        "",
        "ERROR specify one of --peek or --refresh but not both\n",
        2,
    );
    check(
        &sim,
        "secmissing",
        "",
        "ERROR secret \"secret:aaaaaaaaaaaaaaaaaaaa\" not found\n",
        1,
    );
    check(
        &sim,
        "extra",
        "",
        "ERROR unrecognized args: [\"extra\"]\n",
        2,
    );
    let log = sim.ok(&["debug-log"]);
    assert!(log.contains("req/0: WARNING hello from probe"), "{log}");
    let uuid = sim.dump()["uuid"].as_str().unwrap().to_string();
    check(&sim, "rmg", &format!("{{\"uuid\":\"{uuid}\"}}\n"), "", 0);
    let net: serde_json::Value = serde_json::from_str(&sim.out("net").0).unwrap();
    assert!(net["ingress-addresses"][0]
        .as_str()
        .unwrap()
        .starts_with("10.71."));
    assert_eq!(sim.out("netbad").2, 1);
    let st = sim.status();
    assert_eq!(
        st["applications"]["req"]["units"]["req/0"]["workload-status"]["current"],
        "maintenance"
    );
    assert_eq!(
        st["applications"]["req"]["application-status"]["message"],
        "app msg"
    );
}

/// Proves leader-only rules on a non-leader: `relation-set --app` fails with
/// "cannot write relation settings" (exit 1), reading the own app bag is denied (but allowed
/// on the peer relation), app status
/// cannot be set, and is-leader says false.
#[test]
fn non_leader_rules() {
    let sim = setup();
    sim.handler(
        "req",
        "probe",
        r#"
t leader is-leader --format=json
t setapp relation-set -r source:1 --app foo=bar
t getapp relation-get --format=json -r source:1 --app - req
t peerapp relation-get --format=json -r peer:0 --app - req
t stapp status-set --application=True active -- x
t setunit relation-set -r source:1 foo=bar
"#,
    );
    sim.ok(&["run", "req/1", "probe"]);
    check(&sim, "leader", "false\n", "", 0);
    check(
        &sim,
        "setapp",
        "",
        "ERROR cannot write relation settings\n",
        1,
    );
    let (_, e, c) = sim.out("getapp");
    assert_eq!(c, 1);
    assert!(e.contains("permission denied"), "{e}");
    // ... but every unit reads its own app's databag on the peer relation.
    check(&sim, "peerapp", "{}\n", "", 0);
    assert_eq!(sim.out("stapp").2, 1);
    check(&sim, "setunit", "", "", 0);
    assert_eq!(sim.unit_bag(1, "req/1")["foo"], "bar");
    assert!(sim.app_bag(1, "req").get("foo").is_none());
}

/// Proves action-set's key rules (lowercase segments, reserved keys, key=value form; exit 2),
/// dotted keys building nested results, action-get with Juju-applied defaults, and that
/// `juju-sim run` prints the results as YAML like `juju run`.
#[test]
fn action_set_rules_and_output() {
    let sim = setup();
    sim.handler(
        "req",
        "status",
        r#"
t upper action-set Foo=1
t reserved action-set stdout=x
t reserved2 action-set a.stderr=x
t noeq action-set novalue
t dash action-set -bad=1
t params action-get --format=json
t pname action-get name --format=json
action-set a.b=1 c=two
action-log -- "progress"
"#,
    );
    let out = sim.ok(&["run", "req/0", "status", "name=x"]);
    assert_eq!(out, "a:\n  b: '1'\nc: two\n");
    let (_, e, c) = sim.out("upper");
    assert_eq!(c, 2);
    assert_eq!(e, "ERROR key \"Foo\" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods\n");
    check(
        &sim,
        "reserved",
        "",
        "ERROR cannot set reserved action key \"stdout\"\n",
        2,
    );
    check(
        &sim,
        "reserved2",
        "",
        "ERROR cannot set reserved action key \"stderr\"\n",
        2,
    );
    check(
        &sim,
        "noeq",
        "",
        "ERROR argument \"novalue\" must be of the form key...=value\n",
        2,
    );
    check(
        &sim,
        "params",
        "{\"count\":5,\"name\":\"x\",\"verbose\":false}\n",
        "",
        0,
    );
    check(&sim, "pname", "\"x\"\n", "", 0);
}

/// Proves action tools outside an action fail with "not running an action" (exit 1), and
/// relation-ids/-list/-get default to the hook's relation and remote unit.
#[test]
fn context_defaults() {
    let sim = setup();
    sim.handler(
        "req",
        "update-status",
        "t actget action-get --format=json\n",
    );
    sim.handler(
        "req",
        "source-relation-changed",
        r#"
if [ "$JUJU_UNIT_NAME" = req/0 ] && [ -n "$JUJU_REMOTE_UNIT" ]; then
t dids relation-ids --format=json
t dlist relation-list --format=json
t dget relation-get --format=json
t dgetkey relation-get --format=json private-address
fi
"#,
    );
    sim.ok(&["update-status"]);
    check(&sim, "actget", "", "ERROR not running an action\n", 1);
    sim.ok(&["add-unit", "prov"]);
    check(&sim, "dids", "[\"source:1\"]\n", "", 0);
    check(&sim, "dlist", "[\"prov/0\",\"prov/1\"]\n", "", 0);
    let (o, _, _) = sim.out("dget");
    assert!(o.contains("private-address"));
    let (o, _, c) = sim.out("dgetkey");
    assert_eq!(c, 0);
    assert!(o.starts_with("\"10.71."), "{o}");
}

/// Proves leader-set/-get (non-leader write fails; leader-settings-changed on non-leaders),
/// open-port/close-port/opened-ports and application-version-set (shown by `status`).
#[test]
fn leader_settings_ports_and_version() {
    let sim = setup();
    sim.handler(
        "req",
        "probe",
        r#"
t lset leader-set a=1 b=2
t lget leader-get --format=json
t lone leader-get a --format=json
t port1 open-port 8080
t port2 open-port 9000-9010/udp
t portbad open-port 70000
t ports opened-ports --format=json
application-version-set 3.9.1
"#,
    );
    sim.handler(
        "req",
        "leader-settings-changed",
        "t lsc leader-get --format=json\n",
    );
    sim.ok(&["run", "req/0", "probe"]);
    check(&sim, "lset", "", "", 0);
    check(&sim, "lget", "{\"a\":\"1\",\"b\":\"2\"}\n", "", 0);
    check(&sim, "lone", "\"1\"\n", "", 0);
    check(&sim, "ports", "[\"8080/tcp\",\"9000-9010/udp\"]\n", "", 0);
    assert_eq!(sim.out("portbad").2, 2);
    assert_eq!(
        sim.hooks_of("req/1").last().unwrap(),
        "leader-settings-changed"
    );
    check(&sim, "lsc", "{\"a\":\"1\",\"b\":\"2\"}\n", "", 0);
    let st = sim.status();
    assert_eq!(st["applications"]["req"]["version"], "3.9.1");
    assert_eq!(
        st["applications"]["req"]["units"]["req/0"]["open-ports"],
        serde_json::json!(["8080/tcp", "9000-9010/udp"])
    );
    sim.handler("req", "probe", "t nl leader-set a=2\n");
    sim.ok(&["run", "req/1", "probe"]);
    check(
        &sim,
        "nl",
        "",
        "ERROR cannot write leadership settings: cannot write settings: not the leader\n",
        1,
    );
}
