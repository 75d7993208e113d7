//! A CA provider on `send-ca-cert` (interface `certificate_transfer`) as the
//! self-signed-certificates charm runs it: on `send-ca-cert-relation-joined`, update-status and
//! config-changed (its `_configure` triggers; `set-backend` queues config-changed) the leader
//! publishes the backend's `certificates` on every `send-ca-cert` relation. Two flavours:
//!
//! * `v1` — charmlibs-interfaces-certificate-transfer 1.1.0 `_set_relation_data`: every value
//!   JSON-encoded; the provider app databag is cleared and gets `certificates` (sorted JSON
//!   list) and `version` `1`; when the requirer's app databag does not say `version` = `1`,
//!   the provider unit databag is also cleared and gets the v0 keys `ca`, `certificate` (both
//!   the first certificate in sorted order), `chain` (the sorted list) and `version` `0` — but
//!   only when there is at least one certificate.
//! * `v0` — self-signed-certificates before it moved to v1 (certificate_transfer v0, LIBPATCH
//!   9): `set_certificate("", ca, [])` on the provider unit databag only: `certificate`
//!   deleted, `ca` = the PEM as is (not JSON-encoded), `chain` = `[]`, no `version`.

use serde_json::{json, Value};

use super::wire::{py_dumps, py_str};
use crate::error::{Error, Result};
use crate::state::{app_of, Bag, EventKind, Model};

pub const ENDPOINT: &str = "send-ca-cert";

/// `{"certificates": [<a new self-signed CA PEM>]}` for a CA provider deployed without a
/// backend.
pub fn generated_backend() -> Result<Value> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let err = |e: rcgen::Error| Error::run(format!("cannot generate a CA: {e}"));
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "juju-sim self-signed-certificates CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().map_err(err)?;
    let cert = params.self_signed(&key).map_err(err)?;
    Ok(json!({"certificates": [cert.pem()]}))
}

/// The backend's certificates in the given order, duplicates dropped (each entry is one
/// string, possibly a bundle of several PEM certificates).
fn certificates(model: &Model, app: &str) -> Vec<String> {
    let v: Vec<String> = model
        .apps
        .get(app)
        .and_then(|a| a.backend.as_ref())
        .and_then(|b| b.get("certificates"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let mut out: Vec<String> = vec![];
    for c in v {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// One event on the leader.
pub fn handle(model: &mut Model, unit: &str, ev: &EventKind, v0: bool) -> Result<()> {
    let app = app_of(unit).to_string();
    let trigger = match ev {
        EventKind::RelationJoined { rel, .. } => model
            .relations
            .get(rel)
            .is_some_and(|r| r.endpoint_of(&app) == Some(ENDPOINT)),
        EventKind::UpdateStatus | EventKind::ConfigChanged => true,
        _ => false,
    };
    if !trigger {
        return Ok(());
    }
    let given = certificates(model, &app);
    let mut certs = given.clone();
    certs.sort();
    for rid in super::relations_of(model, &app) {
        let Some((_, req)) = super::request(model, &app, rid) else {
            continue;
        };
        let Some(r) = model.relations.get_mut(&rid) else {
            continue;
        };
        if v0 {
            let bag = r.unit_data.entry(unit.to_string()).or_default();
            bag.remove("certificate");
            bag.insert("ca".into(), given.concat());
            bag.insert("chain".into(), "[]".into());
            continue;
        }
        let mut app_bag = Bag::new();
        app_bag.insert("certificates".into(), py_dumps(&json!(certs)));
        app_bag.insert("version".into(), "1".into());
        r.app_data.insert(app.clone(), app_bag);
        if req.get("version").map(String::as_str) != Some("1") && !certs.is_empty() {
            let mut unit_bag = Bag::new();
            unit_bag.insert("ca".into(), py_str(&certs[0]));
            unit_bag.insert("certificate".into(), py_str(&certs[0]));
            unit_bag.insert("chain".into(), py_dumps(&json!(certs)));
            unit_bag.insert("version".into(), "0".into());
            r.unit_data.insert(unit.to_string(), unit_bag);
        }
    }
    Ok(())
}
