//! Which CAs the charm trusts for Kafka Connect's certificate, in-process (tier 2): Kafka
//! Connect over https whose provider never sent `secret-tls` (as Charmed Kafka Connect does on
//! a relation created after TLS is on), the `receive-ca-cert` relation in both wire versions of
//! `certificate_transfer`, bundles, bundle changes and removal.
//!
//! The in-memory Connect "serves" a certificate signed by one CA: the driver's factory sees the
//! CAs the charm trusts and fails as the real client does (unknown CA, wrong name) unless that
//! CA is among them. The real client's verdicts themselves are proven against a real TLS
//! server in src/connect/tls_tests.rs, and end to end in tests/e2e_tls.rs.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::charm::{self, ConnectApi, ConnectFailure, FailureKind};
use mirrormaker_integrator::connect::CertProblem;
use mirrormaker_integrator::juju::memory::{MemoryTools, Relation, State};
use mirrormaker_integrator::juju::{Event, StatusKind};
use mirrormaker_integrator::relations::ConnectData;

use mirrormaker_integrator::pem::test_ca as new_ca;

/// How the in-memory Connect's certificate verifies.
enum Serves {
    /// Signed by this CA (PEM).
    SignedBy(String),
    /// Valid chain, wrong host name.
    WrongName,
}

/// One hook with a factory that verifies like the real client would.
fn run_tls(state: State, event: &Event, connect: &FakeConnect, serves: &Serves) -> State {
    let mut event = event.clone();
    event.unit = state.unit.clone();
    let canaries = canaries(&state);
    let tools = MemoryTools::new(state);
    let c = connect.clone();
    let factory = |data: &ConnectData| -> Result<Box<dyn ConnectApi>, ConnectFailure> {
        let problem = match serves {
            Serves::WrongName => Some(CertProblem::WrongName),
            Serves::SignedBy(ca) => {
                let ca = ca.trim();
                (!data.cas.iter().any(|t| t.pem.trim() == ca)).then_some(CertProblem::UnknownIssuer)
            }
        };
        match problem {
            None => Ok(Box::new(c.clone())),
            Some(p) => Err(ConnectFailure {
                detail: None,
                message: format!("https://127.0.0.1:8083 {p}"),
                kind: FailureKind::Certificate(p),
            }),
        }
    };
    guarded(&canaries, event.name(), || {
        charm::run_at(&event, &tools, &factory, T0)
    });
    let out = tools.into_state();
    assert_no_canary(&canaries, event.name(), &everything_said(&out));
    out
}

/// The standard world with Kafka Connect on https and no `secret-tls`.
fn https_world() -> State {
    let mut s = world();
    let connect = s
        .relations
        .iter_mut()
        .find(|r| r.endpoint == "connect-client")
        .unwrap();
    connect
        .remote_app_data
        .insert("endpoints".into(), "https://127.0.0.1:8083".into());
    s
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}

/// A `receive-ca-cert` relation with app `tls`; v1 puts `certs` into the provider's app
/// databag, v0 into its unit databag (`ca`, `certificate`, `chain`), both JSON-encoded.
fn ca_relation(id: u64, certs: &[&str], v1: bool) -> Relation {
    let mut r = Relation {
        endpoint: "receive-ca-cert".into(),
        id,
        remote_app: "tls".into(),
        remote_units: vec!["tls/0".into()],
        ..Default::default()
    };
    // Juju gives every joined unit its address keys.
    let address = [("private-address".to_string(), "127.0.0.9".to_string())];
    r.remote_units_data
        .insert("tls/0".into(), address.clone().into_iter().collect());
    if v1 {
        r.remote_app_data
            .insert("certificates".into(), json(&certs));
        r.remote_app_data.insert("version".into(), "1".into());
    } else {
        let unit = [
            ("ca", json(&certs[0])),
            ("certificate", json(&certs[0])),
            ("chain", json(&certs)),
            ("version", "0".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(address)
        .collect();
        r.remote_units_data.insert("tls/0".into(), unit);
    }
    r
}

fn status(s: &State) -> (StatusKind, String) {
    let st = s.unit_status.clone().unwrap();
    (st.kind, st.message)
}

const REMEDY: &str = "Kafka Connect serves https with an unknown CA: \
                      juju integrate mirrormaker:receive-ca-cert <tls provider>";

// Proves the bug is gone: Kafka Connect over https with no `secret-tls` no longer waits for
// `tls-ca` forever; the platform trust store is tried, and when it does not know the CA the
// status names the remedy in one line, with nothing written to Connect.
#[test]
fn https_without_any_ca_names_the_remedy() {
    let connect = FakeConnect::default();
    let out = run_tls(
        https_world(),
        &hook("config-changed", None),
        &connect,
        &Serves::SignedBy(new_ca("connect")),
    );
    assert_eq!(status(&out), (StatusKind::Waiting, REMEDY.to_string()));
    assert!(connect.writes().is_empty());
}

// Proves the leader asks with `version` = `1` (as the library's requirer does) while the
// provider has not answered, then trusts a v1 bundle of several CAs (the one that signed
// Connect among others): the connectors are created.
#[test]
fn v1_bundle_with_several_cas_is_trusted() {
    let connect = FakeConnect::default();
    let (other, signer) = (new_ca("other"), new_ca("signer"));
    let serves = Serves::SignedBy(signer.clone());
    let mut s = https_world();
    s.relations.push(ca_relation(9, &[], true));
    s.relations.last_mut().unwrap().remote_app_data.clear();
    let mut s = run_tls(s, &hook("config-changed", None), &connect, &serves);
    assert_eq!(status(&s), (StatusKind::Waiting, REMEDY.to_string()));
    let ours = s.relations.iter_mut().find(|r| r.id == 9).unwrap();
    assert_eq!(ours.local_app.get("version").map(String::as_str), Some("1"));

    ours.remote_app_data = ca_relation(9, &[&other, &signer], true).remote_app_data;
    let ev = hook(
        "receive-ca-cert-relation-changed",
        Some(("receive-ca-cert", 9, "tls")),
    );
    let out = run_tls(s, &ev, &connect, &serves);
    assert_eq!(connect.writes().len(), 3, "{:?}", connect.writes());
    assert_eq!(out.unit_status.unwrap().kind, StatusKind::Waiting); // starting
}

// Proves an old (v0) provider that answers only in its unit databag is trusted too.
#[test]
fn v0_unit_databag_is_trusted() {
    let connect = FakeConnect::default();
    let signer = new_ca("signer");
    let mut s = https_world();
    s.relations.push(ca_relation(9, &[&signer], false));
    run_tls(
        s,
        &hook("config-changed", None),
        &connect,
        &Serves::SignedBy(signer),
    );
    assert_eq!(connect.writes().len(), 3, "{:?}", connect.writes());
}

// Proves `secret-tls`'s CA alone verifies Connect when the provider does send it.
#[test]
fn secret_tls_ca_is_trusted() {
    let connect = FakeConnect::default();
    let signer = new_ca("signer");
    let mut s = https_world();
    s.relations
        .iter_mut()
        .find(|r| r.endpoint == "connect-client")
        .unwrap()
        .remote_app_data
        .insert("secret-tls".into(), "secret:c-tls".into());
    s.secrets.insert(
        "secret:c-tls".into(),
        secret(&[("tls", "enabled"), ("tls-ca", &signer)]),
    );
    run_tls(
        s,
        &hook("config-changed", None),
        &connect,
        &Serves::SignedBy(signer),
    );
    assert_eq!(connect.writes().len(), 3, "{:?}", connect.writes());
}

// Proves a bundle change takes effect at the next hook: once the CA that signed Connect is
// gone from the bundle, the charm waits naming the trusted CAs and the remedy, and the running
// connectors are untouched (no write, none deleted).
#[test]
fn bundle_change_without_the_signer_waits_and_touches_nothing() {
    let connect = FakeConnect::default();
    let (other, signer) = (new_ca("other"), new_ca("signer"));
    let serves = Serves::SignedBy(signer.clone());
    let mut s = https_world();
    s.relations.push(ca_relation(9, &[&signer], true));
    let s = run_tls(s, &hook("config-changed", None), &connect, &serves);
    all_running(&connect);
    let mut s = run_tls(s, &hook("update-status", None), &connect, &serves);
    assert_eq!(status(&s).0, StatusKind::Active);
    connect.take_writes();

    let r = s.relations.iter_mut().find(|r| r.id == 9).unwrap();
    r.remote_app_data
        .insert("certificates".into(), json(&[&other]));
    let ev = hook(
        "receive-ca-cert-relation-changed",
        Some(("receive-ca-cert", 9, "tls")),
    );
    let out = run_tls(s, &ev, &connect, &serves);
    assert_eq!(
        status(&out),
        (
            StatusKind::Waiting,
            "Kafka Connect's CA is none of the 1 we trust \
             (receive-ca-cert tls): relate it on mirrormaker:receive-ca-cert"
                .to_string()
        )
    );
    assert!(connect.writes().is_empty());
    assert_eq!(connect.0.borrow().actual.connectors.len(), 3);
}

// Proves removing the CA relation takes effect in its broken hook: waiting with the remedy
// again, running connectors untouched.
#[test]
fn ca_relation_removed_waits_again_and_touches_nothing() {
    let connect = FakeConnect::default();
    let signer = new_ca("signer");
    let serves = Serves::SignedBy(signer.clone());
    let mut s = https_world();
    s.relations.push(ca_relation(9, &[&signer], true));
    let s = run_tls(s, &hook("config-changed", None), &connect, &serves);
    all_running(&connect);
    connect.take_writes();
    let ev = hook(
        "receive-ca-cert-relation-broken",
        Some(("receive-ca-cert", 9, "tls")),
    );
    let out = run_tls(s, &ev, &connect, &serves);
    assert_eq!(status(&out), (StatusKind::Waiting, REMEDY.to_string()));
    assert!(connect.writes().is_empty());
    assert_eq!(connect.0.borrow().actual.connectors.len(), 3);
}

// Proves a certificate that fails for another reason than its CA blocks and says so.
#[test]
fn wrong_name_blocks_naming_it() {
    let connect = FakeConnect::default();
    let signer = new_ca("signer");
    let mut s = https_world();
    s.relations.push(ca_relation(9, &[&signer], true));
    let out = run_tls(
        s,
        &hook("config-changed", None),
        &connect,
        &Serves::WrongName,
    );
    assert_eq!(
        status(&out),
        (
            StatusKind::Blocked,
            "Kafka Connect serves a certificate that is not valid for its address".to_string()
        )
    );
    assert!(connect.writes().is_empty());
}

// Proves the Charmed Kafka 3 case: a source with TLS on whose `tls-ca` is "enabled" (never a
// PEM) is held with the remedy in the status until a `receive-ca-cert` relation gives a CA;
// then its connectors are created and trust the relation's CAs for that cluster.
#[test]
fn kafka3_source_trusts_the_ca_relation() {
    let connect = FakeConnect::default();
    let signer = new_ca("signer");
    let serves = Serves::SignedBy(signer.clone());
    let mut s = https_world();
    s.secrets.insert(
        "secret:a-tls".into(),
        secret(&[("tls", "enabled"), ("tls-ca", "enabled")]),
    );
    let out = run_tls(s, &hook("config-changed", None), &connect, &serves);
    assert_eq!(
        status(&out),
        (
            StatusKind::Waiting,
            "kafka-a (source): TLS without a CA: \
             juju integrate mirrormaker:receive-ca-cert <tls provider>"
                .to_string()
        )
    );
    assert!(connect.writes().is_empty());

    let mut s = out;
    s.relations.push(ca_relation(9, &[&signer], true));
    run_tls(s, &hook("config-changed", None), &connect, &serves);
    assert_eq!(connect.writes().len(), 3, "{:?}", connect.writes());
    let c = connect.0.borrow();
    let source = &c.actual.connectors[&name("source", "kafka-a")].config;
    assert_eq!(
        source["source.cluster.ssl.truststore.certificates"].trim(),
        signer.trim()
    );
}
