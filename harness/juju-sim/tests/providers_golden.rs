//! Golden fixtures of the simulated providers (tests/fixtures/*.json): each fixture holds the
//! databags and secret revisions that the real provider library produces for one scenario —
//! written from that library's code, named in the fixture's `follows` — with volatile values
//! (secret ids, passwords, salts, unit addresses) replaced by placeholders. Each test runs
//! the scenario against the simulation and requires exactly the fixture.

mod common;
use common::*;
use serde_json::{json, Map, Value};

/// A requirer test charm with every endpoint our charm has.
const META: &str = "requires:
  source:
    interface: kafka_client
  connect-client:
    interface: connect_client
    limit: 1
  receive-ca-cert:
    interface: certificate_transfer
peers:
  peer:
    interface: peer_iface
";

/// What data_interfaces v0 requirers write into their app databag on relation-created.
const KAFKA_REQUEST: &str = r#"relation-set --app requested-secrets='["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]' provided-secrets='["mtls-cert"]' topic=__mirrormaker-user extra-user-roles=admin
"#;
const CONNECT_REQUEST: &str = r#"relation-set --app requested-secrets='["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]' provided-secrets='["mtls-cert"]' plugin-url=NOT-REQUIRED
"#;

const PEM_KAFKA: &str = "-----BEGIN CERTIFICATE-----\nMIIBkafka\n-----END CERTIFICATE-----\n";
const PEM_CONNECT: &str = "-----BEGIN CERTIFICATE-----\nMIIBconnect\n-----END CERTIFICATE-----\n";
const FIRST: &str = "-----BEGIN CERTIFICATE-----\nMIIBfirst\n-----END CERTIFICATE-----\n";
const SECOND: &str = "-----BEGIN CERTIFICATE-----\nMIIBsecond\n-----END CERTIFICATE-----\n";

fn requirer(sim: &Sim, ca_version: Option<&str>) {
    let dir = sim.charm("mm", META, "", "");
    sim.handler("mm", "source-relation-created", KAFKA_REQUEST);
    sim.handler("mm", "connect-client-relation-created", CONNECT_REQUEST);
    if let Some(v) = ca_version {
        sim.handler(
            "mm",
            "receive-ca-cert-relation-created",
            &format!("relation-set --app version={v}\n"),
        );
    }
    sim.ok(&["deploy", dir.to_str().unwrap(), "mm"]);
}

fn backend(sim: &Sim, name: &str, v: Value) -> String {
    let p = sim.tmp.path().join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_str().unwrap().to_string()
}

/// Replaces every occurrence of each `from` in every string of `v`.
fn replace_all(v: &mut Value, reps: &[(String, String)]) {
    match v {
        Value::String(s) => {
            for (from, to) in reps {
                if !from.is_empty() {
                    *s = s.replace(from, to);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| replace_all(x, reps)),
        Value::Object(m) => m.values_mut().for_each(|x| replace_all(x, reps)),
        _ => {}
    }
}

/// The provider side of relation `rid` as the fixtures record it: the provider app databag,
/// its units' databags, and the secrets the provider app owns (label → owner, whether granted
/// to the relation, every revision's content), with volatile values replaced.
fn snapshot(sim: &Sim, rid: u64, app: &str) -> Value {
    let dump = sim.dump();
    let rel = &dump["relations"][rid.to_string()];
    let mut reps: Vec<(String, String)> = vec![];
    let mut secrets = Map::new();
    for s in dump["secrets"].as_object().unwrap().values() {
        if s["owner_kind"] != "application" || s["owner"] != app {
            continue;
        }
        let label = s["label"].as_str().unwrap().to_string();
        reps.push((
            s["id"].as_str().unwrap().to_string(),
            format!("secret:<{label}>"),
        ));
        let mut revs: Vec<(u64, Value)> = s["revisions"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.clone()))
            .collect();
        revs.sort_by_key(|(n, _)| *n);
        secrets.insert(
            label,
            json!({
                "owner": format!("application:{app}"),
                "granted_to_relation": s["grants"].as_array().unwrap().iter().any(|g| g["relation"] == rid),
                "revisions": revs.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
            }),
        );
    }
    if let Some(p) = dump["apps"][app]["provider"][rid.to_string()]["password"].as_str() {
        reps.push((p.to_string(), "<password>".into()));
    }
    let app_bag = rel["app_data"].get(app).cloned().unwrap_or(json!({}));
    if let Some(s) = app_bag["salt"].as_str() {
        reps.push((s.to_string(), "<salt>".into()));
    }
    if let Some(d) = app_bag["data"].as_str() {
        let d: Value = serde_json::from_str(d).unwrap();
        if let Some(s) = d["salt"].as_str() {
            reps.push((s.to_string(), "<data-salt>".into()));
        }
    }
    let mut units = Map::new();
    for (name, u) in dump["units"].as_object().unwrap() {
        if u["app"] != app {
            continue;
        }
        reps.push((
            u["address"].as_str().unwrap().to_string(),
            "<address>".into(),
        ));
        units.insert(
            name.clone(),
            rel["unit_data"].get(name).cloned().unwrap_or(json!({})),
        );
    }
    let mut out = json!({
        "provider_app_bag": app_bag,
        "provider_unit_bags": units,
        "secrets": secrets,
    });
    replace_all(&mut out, &reps);
    out
}

fn assert_fixture(name: &str, got: Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        fixture["follows"].as_str().is_some_and(|f| !f.is_empty()),
        "{name} must name the library it follows"
    );
    assert_eq!(
        got,
        fixture["expected"],
        "{name}: the simulation differs from the fixture\n got: {}",
        serde_json::to_string_pretty(&got).unwrap()
    );
}

fn kafka_run(flavour: &str) -> Value {
    let sim = Sim::new();
    requirer(&sim, None);
    let b = backend(
        &sim,
        "kafka.json",
        json!({"endpoints": "127.0.0.1:39093", "tls": true, "tls_ca": PEM_KAFKA}),
    );
    sim.ok(&[
        "deploy",
        "--sim",
        "kafka",
        "kafka",
        "--flavour",
        flavour,
        "--backend",
        &b,
    ]);
    sim.ok(&["integrate", "mm:source", "kafka"]);
    snapshot(&sim, 1, "kafka")
}

/// Proves the `kafka4` flavour writes what Charmed Kafka 4's data_interfaces v1 provider
/// writes for a v0 requirer: `data` snapshot with a salt, resource/salt/version noise, plain
/// `tls`, the topic echo, the CA in secret-tls, and the user secret in two revisions
/// (`{username}`, then `{username, password}`).
#[test]
fn golden_kafka4() {
    assert_fixture("kafka4.json", kafka_run("kafka4"));
}

/// Proves the `kafka3` flavour writes what Charmed Kafka 3's data_interfaces v0
/// `KafkaProvides` writes: `data` of raw strings, `zookeeper-uris` `/` in KRaft mode, no
/// resource/salt/version, `tls` and `tls-ca` (= `enabled`, not a PEM) inside secret-tls because
/// the requirer listed them in `requested-secrets`, one revision per secret.
#[test]
fn golden_kafka3() {
    assert_fixture("kafka3.json", kafka_run("kafka3"));
}

/// Proves Kafka Connect on a fresh relation (TLS already on) publishes only `data`,
/// `endpoints` and `secret-user` — no secret-tls, as `update_clients_data` skips a client whose
/// endpoints equal the current set — and that changing the endpoint set (`set-backend`, a
/// worker added) then adds secret-tls `{tls: enabled, tls-ca: PEM}` without a new revision of
/// the unchanged user secret.
#[test]
fn golden_kafka_connect_fresh_then_endpoint_change() {
    let sim = Sim::new();
    requirer(&sim, None);
    let b = backend(
        &sim,
        "connect.json",
        json!({"endpoints": "https://127.0.0.1:38443", "tls_ca": PEM_CONNECT}),
    );
    sim.ok(&[
        "deploy",
        "--sim",
        "kafka-connect",
        "kafka-connect",
        "--backend",
        &b,
    ]);
    sim.ok(&["integrate", "mm:connect-client", "kafka-connect"]);
    assert_fixture(
        "kafka-connect-fresh.json",
        snapshot(&sim, 1, "kafka-connect"),
    );
    let b2 = backend(
        &sim,
        "connect2.json",
        json!({"endpoints": "https://127.0.0.1:38443,https://127.0.0.2:38443", "tls_ca": PEM_CONNECT}),
    );
    sim.ok(&["set-backend", "kafka-connect", &b2]);
    assert_fixture(
        "kafka-connect-endpoints-changed.json",
        snapshot(&sim, 1, "kafka-connect"),
    );
}

fn ca_run(flavour: &str, requirer_version: Option<&str>, certs: &[&str]) -> Value {
    let sim = Sim::new();
    requirer(&sim, requirer_version);
    let b = backend(&sim, "ca.json", json!({ "certificates": certs }));
    sim.ok(&[
        "deploy",
        "--sim",
        "self-signed-certificates",
        "tls",
        "--flavour",
        flavour,
        "--backend",
        &b,
    ]);
    sim.ok(&["integrate", "mm:receive-ca-cert", "tls:send-ca-cert"]);
    snapshot(&sim, 1, "tls")
}

/// Proves the v1 CA provider answers a v1 requirer (`version` = `1`) in its app databag only:
/// `certificates` as a sorted, JSON-encoded list and `version` `1`.
#[test]
fn golden_ca_v1() {
    assert_fixture(
        "self-signed-certificates-v1.json",
        ca_run("v1", Some("1"), &[SECOND, FIRST]),
    );
}

/// Proves the v1 CA provider answers a requirer without `version` also in its unit databag,
/// cleared and filled with the JSON-encoded v0 keys (ca, certificate, chain, version 0).
#[test]
fn golden_ca_v1_to_v0_requirer() {
    assert_fixture(
        "self-signed-certificates-v1-to-v0-requirer.json",
        ca_run("v1", None, &[SECOND, FIRST]),
    );
}

/// Proves the `v0` flavour writes what self-signed-certificates wrote before v1: only its unit
/// databag, `ca` as raw PEM and `chain` `[]`, whatever the requirer's version.
#[test]
fn golden_ca_v0() {
    assert_fixture(
        "self-signed-certificates-v0.json",
        ca_run("v0", Some("1"), &[FIRST]),
    );
}
