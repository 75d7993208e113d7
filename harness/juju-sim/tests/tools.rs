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
        .starts_with("127.71."));
    check(
        &sim,
        "netbad",
        "",
        "ERROR no network config found for binding \"nosuch\"\n",
        1,
    );
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
    assert!(o.starts_with("\"127.71."), "{o}");
}

/// Proves leader-set/-get (non-leader write fails; leader-settings-changed on non-leaders),
/// open-port/close-port/opened-ports (pending opens show from the next hook on, sorted, with
/// ` (*)` for `--endpoints`) and application-version-set (shown by `status`).
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
    // Opening ports commits with the hook: the same hook's opened-ports does not show them.
    check(&sim, "ports", "[]\n", "", 0);
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
    sim.handler(
        "req",
        "probe",
        "t ports opened-ports --format=json\nt portsep opened-ports --endpoints\n",
    );
    sim.ok(&["run", "req/0", "probe"]);
    check(&sim, "ports", "[\"8080/tcp\",\"9000-9010/udp\"]\n", "", 0);
    check(&sim, "portsep", "8080/tcp (*)\n9000-9010/udp (*)\n", "", 0);
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

/// Every hook tool of a Juju 3.6 machine unit, as jujuc's command registry
/// (`internal/worker/uniter/runner/jujuc/server.go`: base, secret, storage, leader, resource,
/// payload and action commands) lists them.
const JUJU_36_HOOK_TOOLS: &[&str] = &[
    "action-fail",
    "action-get",
    "action-log",
    "action-set",
    "add-metric",
    "application-version-set",
    "close-port",
    "config-get",
    "credential-get",
    "goal-state",
    "is-leader",
    "juju-log",
    "juju-reboot",
    "k8s-raw-get",
    "k8s-raw-set",
    "k8s-spec-get",
    "k8s-spec-set",
    "leader-get",
    "leader-set",
    "network-get",
    "open-port",
    "opened-ports",
    "payload-register",
    "payload-status-set",
    "payload-unregister",
    "pod-spec-get",
    "pod-spec-set",
    "relation-get",
    "relation-ids",
    "relation-list",
    "relation-model-get",
    "relation-set",
    "resource-get",
    "secret-add",
    "secret-get",
    "secret-grant",
    "secret-ids",
    "secret-info-get",
    "secret-remove",
    "secret-revoke",
    "secret-set",
    "state-delete",
    "state-get",
    "state-set",
    "status-get",
    "status-set",
    "storage-add",
    "storage-get",
    "storage-list",
    "unit-get",
];

/// Proves every Juju 3.6 hook tool is on the hook's PATH (none is "command not found", which
/// ops would raise as FileNotFoundError) and parses its flags as jujuc does: an unknown flag is
/// `ERROR flag provided but not defined: --no-such-flag` with exit 2.
#[test]
fn every_juju_hook_tool_exists() {
    let sim = setup();
    let mut script = String::new();
    for tool in JUJU_36_HOOK_TOOLS {
        script.push_str(&format!("t {tool} {tool} --no-such-flag\n"));
    }
    sim.handler("req", "update-status", &script);
    sim.ok(&["update-status"]);
    for tool in JUJU_36_HOOK_TOOLS {
        check(
            &sim,
            tool,
            "",
            "ERROR flag provided but not defined: --no-such-flag\n",
            2,
        );
    }
    let linked: Vec<String> = std::fs::read_dir(sim.model.join("tools"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut linked = linked;
    linked.sort();
    assert_eq!(
        linked, JUJU_36_HOOK_TOOLS,
        "tools dir = Juju 3.6's hook tools"
    );
}

/// Proves the tools for features a juju-sim model lacks answer with Juju's own error text and
/// exit code for the absent feature (so ops raises ModelError): resource-get (never uploaded),
/// credential-get (untrusted), add-metric (not allowed in a hook), k8s/pod spec getters (not a
/// k8s model), payloads not in metadata.yaml, storage (none attached); argument errors exit 2.
#[test]
fn unmodelled_features_answer_as_juju() {
    let sim = setup();
    sim.handler(
        "req",
        "update-status",
        r#"
[ "$JUJU_UNIT_NAME" = req/0 ] || { t nlspec sh -c 'echo "containers: []" | pod-spec-set'; exit 0; }
t res resource-get blob
t resnone resource-get
t resextra resource-get a b
t cred credential-get --format=json
t metnone add-metric
t metbad add-metric x
t metjuju add-metric juju-units=1
t met add-metric requests=1
t metlabels add-metric -l bad requests=1
t reboot juju-reboot
t specget k8s-spec-get
t podget pod-spec-get
t rawget k8s-raw-get
t specempty k8s-spec-set --file /dev/null
t spec sh -c 'echo "containers: []" | k8s-spec-set'
t raw sh -c 'echo "kind: x" | k8s-raw-set'
t plreg payload-register docker web abc
t plregargs payload-register docker web
t plunreg payload-unregister web
t plstatus payload-status-set web abc
t stlist storage-list --format=json
t stlistsmart storage-list
t stget storage-get --format=json
t stgetid storage-get -s data/0 --format=json
t stgetbad storage-get -s Data --format=json
t stadd storage-add
"#,
    );
    sim.handler("req", "probe", "t actreboot juju-reboot\n");
    sim.ok(&["update-status"]);
    sim.ok(&["run", "req/0", "probe"]);
    let uuid = sim.dump()["uuid"].as_str().unwrap().to_string();
    check(
        &sim,
        "res",
        "",
        &format!("ERROR could not download resource: HTTP request failed: Get https://127.71.0.1:17070/model/{uuid}/units/unit-req-0/resources/blob: resource#req/blob not found\n"),
        1,
    );
    check(
        &sim,
        "resnone",
        "",
        "ERROR missing required resource name\n",
        2,
    );
    check(
        &sim,
        "resextra",
        "",
        "ERROR unrecognized args: [\"b\"]\n",
        2,
    );
    check(
        &sim,
        "cred",
        "",
        "ERROR cannot access cloud credentials: permission denied\n",
        1,
    );
    check(&sim, "metnone", "", "ERROR no metrics specified\n", 2);
    check(
        &sim,
        "metbad",
        "",
        "ERROR invalid metrics: expected \"key=value\", got \"x\"\n",
        2,
    );
    check(
        &sim,
        "metjuju",
        "",
        "ERROR juju-units uses a reserved prefix\n",
        1,
    );
    check(
        &sim,
        "met",
        "",
        "ERROR cannot record metric: metrics not allowed in this context\n",
        1,
    );
    check(
        &sim,
        "metlabels",
        "",
        "ERROR invalid labels: expected \"key=value\", got \"bad\"\n",
        2,
    );
    check(&sim, "reboot", "", "", 0);
    assert!(sim.ok(&["debug-log"]).contains("juju-reboot requested"));
    let caas = "ERROR called CAASModel() on a non-CAAS Model not supported\n";
    check(&sim, "specget", "", caas, 1);
    check(&sim, "podget", "", caas, 1);
    check(&sim, "rawget", "", caas, 1);
    check(
        &sim,
        "specempty",
        "",
        "ERROR no k8s spec specified: pipe k8s spec to command, or specify a file with --file\n",
        1,
    );
    check(&sim, "spec", "", "", 0);
    check(&sim, "raw", "", "", 0);
    check(&sim, "nlspec", "", "ERROR this unit is not the leader\n", 1);
    check(
        &sim,
        "plreg",
        "",
        "ERROR payload \"web\" not found in metadata.yaml\n",
        1,
    );
    check(
        &sim,
        "plregargs",
        "",
        "ERROR missing required arguments\n",
        2,
    );
    check(&sim, "plunreg", "", "ERROR missing required arguments\n", 2);
    check(
        &sim,
        "plstatus",
        "",
        "ERROR missing required arguments\n",
        2,
    );
    check(&sim, "stlist", "[]\n", "", 0);
    check(&sim, "stlistsmart", "", "", 0);
    check(
        &sim,
        "stget",
        "",
        "ERROR no storage instance specified\n",
        2,
    );
    check(
        &sim,
        "stgetid",
        "",
        "ERROR invalid value \"data/0\" for option -s: storage attachment data/0:req/0 not found\n",
        2,
    );
    check(
        &sim,
        "stgetbad",
        "",
        "ERROR invalid value \"Data\" for option -s: invalid storage ID \"Data\"\n",
        2,
    );
    check(
        &sim,
        "stadd",
        "",
        "ERROR storage add requires a storage directive\n",
        2,
    );
    check(
        &sim,
        "actreboot",
        "",
        "ERROR juju-reboot is not supported when running an action.\n",
        1,
    );
}

/// Proves `storage-add` of a storage the charm does not declare fails the hook when Juju
/// commits it (dispatch exited 0, the unit goes to error, the hook's writes are discarded).
#[test]
fn storage_add_of_undeclared_storage_fails_the_commit() {
    let sim = setup();
    sim.handler(
        "req",
        "update-status",
        "[ \"$JUJU_UNIT_NAME\" = req/0 ] || exit 0\nt sa storage-add data=2\nrelation-set -r source:1 after=1\n",
    );
    sim.ok(&["update-status"]);
    check(&sim, "sa", "", "", 0);
    let st = sim.status();
    assert_eq!(
        st["applications"]["req"]["units"]["req/0"]["workload-status"]["current"],
        "error"
    );
    assert!(sim.unit_bag(1, "req/0").get("after").is_none());
    let log = sim.ok(&["debug-log"]);
    assert!(
        log.contains("cannot apply changes: charm storage \"data\" not found"),
        "{log}"
    );
}

/// Proves the tools modelled from the emulator's model: unit-get (the unit's address), goal-state
/// (this app's units, non-peer relations with the remote app and its units), and the unit's
/// charm state (state-set/-get/-delete, `{}` when empty, `--strict`, committed with the hook).
#[test]
fn unit_get_goal_state_and_charm_state() {
    let sim = setup();
    sim.handler(
        "req",
        "update-status",
        r#"
[ "$JUJU_UNIT_NAME" = req/0 ] || exit 0
t priv unit-get private-address
t pub unit-get public-address --format=json
t unone unit-get
t ubad unit-get foo
t goal goal-state --format=json
t goalyaml goal-state
t sget0 state-get --format=json
t sset state-set a=1 b=
t sget state-get --format=json
t sone state-get a --format=json
t smiss state-get missing --format=json
t sstrict state-get missing --strict
t sdel state-delete b
t sdelnone state-delete
"#,
    );
    sim.ok(&["update-status"]);
    let addr = sim.status()["applications"]["req"]["units"]["req/0"]["address"]
        .as_str()
        .unwrap()
        .to_string();
    check(&sim, "priv", &format!("{addr}\n"), "", 0);
    check(&sim, "pub", &format!("\"{addr}\"\n"), "", 0);
    check(&sim, "unone", "", "ERROR no setting specified\n", 2);
    check(&sim, "ubad", "", "ERROR unknown setting \"foo\"\n", 2);
    let goal: serde_json::Value = serde_json::from_str(&sim.out("goal").0).unwrap();
    assert_eq!(
        goal["units"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["req/0", "req/1"]
    );
    assert_eq!(goal["units"]["req/0"]["status"], "unknown");
    let since = goal["units"]["req/0"]["since"].as_str().unwrap();
    assert!(
        since.len() == 20 && since.as_bytes()[10] == b' ' && since.ends_with('Z'),
        "Juju's FormatTime: {since}"
    );
    let source = goal["relations"]["source"].as_object().unwrap();
    assert_eq!(source.keys().collect::<Vec<_>>(), ["prov", "prov/0"]);
    assert_eq!(source["prov"]["status"], "joined");
    assert!(
        goal["relations"].get("peer").is_none(),
        "peers are left out"
    );
    assert!(sim.out("goalyaml").0.starts_with("relations:\n"));
    check(&sim, "sget0", "{}\n", "", 0);
    check(&sim, "sset", "", "", 0);
    check(&sim, "sget", "{\"a\":\"1\",\"b\":\"\"}\n", "", 0);
    check(&sim, "sone", "\"1\"\n", "", 0);
    check(&sim, "smiss", "\"\"\n", "", 0);
    check(&sim, "sstrict", "", "ERROR \"missing\" not found\n", 1);
    check(&sim, "sdel", "", "", 0);
    check(&sim, "sdelnone", "", "", 0);
    // Committed with the hook: the next hook sees it; a failed hook's state-set is discarded.
    sim.handler(
        "req",
        "update-status",
        "[ \"$JUJU_UNIT_NAME\" = req/0 ] || exit 0\nt sget state-get --format=json\nstate-set c=3\nexit 1\n",
    );
    sim.ok(&["update-status"]);
    check(&sim, "sget", "{\"a\":\"1\"}\n", "", 0);
    sim.ok(&["resolve", "req/0", "--no-retry"]);
    sim.handler(
        "req",
        "update-status",
        "[ \"$JUJU_UNIT_NAME\" = req/0 ] || exit 0\nt sget state-get --format=json\n",
    );
    sim.ok(&["update-status"]);
    check(&sim, "sget", "{\"a\":\"1\"}\n", "", 0);
}

/// Proves `status-get` prints what jujuc's status-get.go prints: the bare status for the smart
/// format without `--include-data`, `{status}` maps in JSON without it, `message` and
/// `status-data` with it; `--application` nests the units in `application-status`, and an
/// application status nobody set is derived from the most severe unit status.
#[test]
fn status_get_shapes() {
    let sim = setup();
    sim.handler(
        "req",
        "update-status",
        r#"
if [ "$JUJU_UNIT_NAME" = req/1 ]; then status-set blocked -- b1; exit 0; fi
status-set maintenance -- m0
t usmart status-get
t ujson status-get --format=json
t udata status-get --include-data --format=json
"#,
    );
    sim.ok(&["update-status"]);
    sim.handler(
        "req",
        "probe",
        r#"
t asmart status-get --application
t ajson status-get --application --format=json
t adata status-get --application=true --include-data --format=json
status-set --application active -- "app set"
t aset status-get --application --include-data --format=json
"#,
    );
    sim.ok(&["run", "req/0", "probe"]);
    check(&sim, "usmart", "maintenance\n", "", 0);
    check(&sim, "ujson", "{\"status\":\"maintenance\"}\n", "", 0);
    check(
        &sim,
        "udata",
        "{\"message\":\"m0\",\"status\":\"maintenance\",\"status-data\":{}}\n",
        "",
        0,
    );
    check(&sim, "asmart", "blocked\n", "", 0);
    check(
        &sim,
        "ajson",
        "{\"application-status\":{\"status\":\"blocked\",\"units\":{\"req/0\":{\"status\":\"maintenance\"},\"req/1\":{\"status\":\"blocked\"}}}}\n",
        "",
        0,
    );
    check(
        &sim,
        "adata",
        "{\"application-status\":{\"message\":\"b1\",\"status\":\"blocked\",\"status-data\":{},\"units\":{\"req/0\":{\"message\":\"m0\",\"status\":\"maintenance\",\"status-data\":{}},\"req/1\":{\"message\":\"b1\",\"status\":\"blocked\",\"status-data\":{}}}}}\n",
        "",
        0,
    );
    let (o, _, _) = sim.out("aset");
    let v: serde_json::Value = serde_json::from_str(&o).unwrap();
    assert_eq!(v["application-status"]["status"], "active");
    assert_eq!(v["application-status"]["message"], "app set");
}

/// Proves network-get's shapes (jujuc network-get.go): JSON without the YAML-only copies, one
/// requested value printed alone, several as a map, `--primary-address` alone only, and
/// extra-bindings accepted like endpoints.
#[test]
fn network_get_shapes() {
    let sim = Sim::new();
    let req = sim.charm(
        "req",
        &format!("{REQUIRER_META}extra-bindings:\n  admin:\n"),
        CONFIG,
        ACTIONS,
    );
    sim.ok(&["deploy", req.to_str().unwrap(), "req"]);
    sim.handler(
        "req",
        "probe",
        r#"
t full network-get source --format=json
t yaml network-get source --format=yaml
t ingress network-get source --ingress-address --format=json
t two network-get source --bind-address --egress-subnets --format=json
t prim network-get source --primary-address --ingress-address
t extra network-get admin --ingress-address
t empty network-get ""
"#,
    );
    sim.ok(&["run", "req/0", "probe"]);
    let addr = sim.status()["applications"]["req"]["units"]["req/0"]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let full: serde_json::Value = serde_json::from_str(&sim.out("full").0).unwrap();
    assert_eq!(
        full,
        serde_json::json!({
            "bind-addresses": [{
                "mac-address": "",
                "interface-name": "lo",
                "addresses": [{"hostname": "", "value": addr, "cidr": "127.0.0.0/8"}],
            }],
            "egress-subnets": [format!("{addr}/32")],
            "ingress-addresses": [addr],
        })
    );
    let yaml = sim.out("yaml").0;
    assert!(yaml.contains("macaddress: ''") && yaml.contains(&format!("address: {addr}")));
    check(&sim, "ingress", &format!("\"{addr}\"\n"), "", 0);
    let two: serde_json::Value = serde_json::from_str(&sim.out("two").0).unwrap();
    assert_eq!(
        two,
        serde_json::json!({"bind-address": addr, "egress-subnets": [format!("{addr}/32")]})
    );
    check(
        &sim,
        "prim",
        "",
        "ERROR --primary-address must be the only flag specified\n",
        1,
    );
    check(&sim, "extra", &format!("{addr}\n"), "", 0);
    check(&sim, "empty", "", "ERROR no binding name specified\n", 2);
}

/// Every IPv4 address (a.b.c.d, each ≤ 255) in a text.
fn ipv4s(text: &str) -> Vec<String> {
    let mut out = vec![];
    for word in text.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
        let parts: Vec<&str> = word.split('.').collect();
        for w in parts.windows(4) {
            if w.iter()
                .all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u16>().is_ok_and(|n| n <= 255))
            {
                out.push(w.join("."));
            }
        }
    }
    out
}

/// Proves every address the emulator hands out is in the loopback range 127.0.0.0/8, so a charm
/// under test never sends traffic off the machine: unit addresses in `status`, `network-get`,
/// `unit-get`, the `ingress-address`/`private-address`/`egress-subnets` of relation unit
/// databags, JUJU_API_ADDRESSES, the simulated providers' plain endpoints and every string of
/// the model dump.
#[test]
fn every_address_is_loopback() {
    let sim = setup();
    sim.handler(
        "req",
        "target-relation-created",
        "[ \"$(is-leader)\" = True ] && relation-set --app topic=t extra-user-roles=admin; exit 0\n",
    );
    sim.handler(
        "req",
        "connect-client-relation-created",
        "[ \"$(is-leader)\" = True ] && relation-set --app plugin-url=NOT-REQUIRED; exit 0\n",
    );
    sim.handler(
        "req",
        "probe",
        r#"
t net network-get source --format=yaml
t netj network-get peer --format=json
t priv unit-get private-address
t pub unit-get public-address
t env sh -c 'echo "$JUJU_API_ADDRESSES"'
t bags sh -c 'for r in $(relation-ids source) $(relation-ids target) $(relation-ids peer); do for u in $(relation-list -r $r); do relation-get -r $r - $u; done; done'
"#,
    );
    sim.ok(&["add-unit", "prov", "-n", "2"]);
    sim.ok(&["deploy", "--sim", "kafka", "kafka-a", "-n", "2"]);
    sim.ok(&["deploy", "--sim", "kafka-connect", "connect", "-n", "2"]);
    sim.ok(&["integrate", "req:target", "kafka-a"]);
    sim.ok(&["integrate", "req:connect-client", "connect"]);
    for u in ["req/0", "req/1"] {
        sim.ok(&["run", u, "probe"]);
        let mut seen = vec![];
        for name in ["net", "netj", "priv", "pub", "env", "bags"] {
            let (o, e, c) = sim.out(name);
            assert_eq!(c, 0, "{name}: {e}");
            seen.extend(ipv4s(&o));
        }
        assert!(seen.len() >= 20, "{u}: too few addresses seen: {seen:?}");
        for a in &seen {
            assert!(a.starts_with("127."), "{u}: non-loopback address {a}");
        }
    }
    let kafka = sim.app_bag(2, "kafka-a");
    let connect = sim.app_bag(3, "connect");
    assert!(
        kafka["endpoints"].as_str().unwrap().starts_with("127.71."),
        "{kafka}"
    );
    assert!(
        connect["endpoints"]
            .as_str()
            .unwrap()
            .starts_with("http://127.71."),
        "{connect}"
    );
    let mut all = ipv4s(&sim.ok(&["dump"]));
    all.extend(ipv4s(&sim.ok(&["status", "--format", "json"])));
    all.extend(ipv4s(&sim.ok(&["status"])));
    all.extend(ipv4s(&serde_json::to_string(&sim.hooks_json()).unwrap()));
    assert!(all.len() > 20, "{all:?}");
    for a in all {
        assert!(a.starts_with("127."), "non-loopback address {a}");
    }
}
