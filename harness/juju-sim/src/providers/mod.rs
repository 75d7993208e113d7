//! Simulated provider applications that answer the charm's relations the way the real charms
//! and their relation libraries do (docs/juju-sim.md "Simulated providers" lists what each one
//! follows, by library and commit):
//!
//! * `kafka` (`kafka-client`), flavour `kafka4` (Charmed Apache Kafka 4, data_interfaces v1
//!   provider) or `kafka3` (Charmed Apache Kafka 3, data_interfaces v0 `KafkaProvides`);
//! * `kafka-connect` (`connect-client`, Charmed Kafka Connect, data_interfaces v0 provider);
//! * `self-signed-certificates` (`send-ca-cert`, `certificate_transfer`), flavour `v1`
//!   (charmlibs-interfaces-certificate-transfer 1.1.0) or `v0` (the charm before it moved to v1).
//!
//! They run in-process as the "hook" of their units; only the leader writes. Backends
//! (`--backend FILE` at deploy, `set-backend` later) make them provision real users and point
//! the requirer at real endpoints; without one they invent credentials and endpoints.

mod ca;
mod connect;
mod kafka;
pub mod wire;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::charm::{CharmMeta, EndpointMeta};
use crate::error::{Error, Result};
use crate::state::{app_of, Bag, EventKind, Model, SimKind, Status};

/// The metadata a simulated provider declares.
pub fn meta(kind: SimKind) -> CharmMeta {
    let mut m = CharmMeta::default();
    let (name, ep, iface) = match kind {
        SimKind::Kafka => ("kafka", kafka::ENDPOINT, "kafka_client"),
        SimKind::KafkaConnect => ("kafka-connect", connect::ENDPOINT, "connect_client"),
        SimKind::SelfSignedCertificates => (
            "self-signed-certificates",
            ca::ENDPOINT,
            "certificate_transfer",
        ),
    };
    m.name = name.into();
    m.provides.insert(
        ep.into(),
        EndpointMeta {
            interface: iface.into(),
            limit: None,
        },
    );
    m
}

pub fn parse_kind(s: &str) -> Option<SimKind> {
    match s {
        "kafka" => Some(SimKind::Kafka),
        "kafka-connect" => Some(SimKind::KafkaConnect),
        "self-signed-certificates" => Some(SimKind::SelfSignedCertificates),
        _ => None,
    }
}

/// The flavour a simulated app follows: `requested` (from `deploy --flavour`) checked against
/// the kind, or the kind's default (`kafka4`, `v1`; Kafka Connect has one flavour, `default`).
pub fn flavour(kind: SimKind, requested: Option<&str>) -> Result<String> {
    let allowed: &[&str] = match kind {
        SimKind::Kafka => &["kafka4", "kafka3"],
        SimKind::KafkaConnect => &["default"],
        SimKind::SelfSignedCertificates => &["v1", "v0"],
    };
    match requested {
        None => Ok(allowed[0].to_string()),
        Some(f) if allowed.contains(&f) => Ok(f.to_string()),
        Some(f) => Err(Error::usage(format!(
            "unknown --flavour {f:?} for this simulated app: expected one of {}",
            allowed.join(", ")
        ))),
    }
}

/// What a simulated app starts with: the parsed `--backend` file, or for the CA provider
/// without one a freshly generated self-signed CA (`{"certificates": [PEM]}`).
pub fn initial_backend(kind: SimKind, backend: Option<Value>) -> Result<Option<Value>> {
    match (kind, backend) {
        (SimKind::SelfSignedCertificates, None) => Ok(Some(ca::generated_backend()?)),
        (_, b) => Ok(b),
    }
}

/// Handle one event on a provider unit.
pub fn handle(
    model: &mut Model,
    dir: &Path,
    kind: SimKind,
    unit: &str,
    ev: &EventKind,
) -> Result<()> {
    let app = app_of(unit).to_string();
    match ev {
        EventKind::Install | EventKind::Start => {
            model.unit_mut(unit)?.status = Status::new("active", "");
            return Ok(());
        }
        EventKind::RelationDeparted { rel, departing, .. } => {
            if kind == SimKind::KafkaConnect && model.is_leader(unit) && app_of(departing) != app {
                connect::cleanup(model, dir, unit, *rel);
            }
            return Ok(());
        }
        EventKind::RelationBroken { .. } | EventKind::Stop | EventKind::Remove => return Ok(()),
        _ => {}
    }
    if !model.is_leader(unit) {
        return Ok(());
    }
    let flavour = model.app(&app)?.flavour.clone();
    match kind {
        SimKind::Kafka if flavour == "kafka3" => kafka::handle_v0(model, dir, unit, ev),
        SimKind::Kafka => kafka::handle_v1(model, dir, unit, ev),
        SimKind::KafkaConnect => connect::handle(model, dir, unit, ev),
        SimKind::SelfSignedCertificates => ca::handle(model, unit, ev, flavour == "v0"),
    }
}

/// `juju-sim set-backend APP FILE`: replace a simulated app's backend and queue
/// `config-changed` on its units, the event on which every simulated provider re-checks what
/// it publishes (the real charms reconcile their clients on config-changed).
pub fn set_backend(model: &mut Model, app: &str, backend: Value) -> Result<()> {
    let a = model.app_mut(app)?;
    if a.sim.is_none() {
        return Err(Error::run(format!(
            "application \"{app}\" is not simulated; it has no backend"
        )));
    }
    a.backend = Some(backend);
    for u in model.units_of(app) {
        model.enqueue(&u, EventKind::ConfigChanged);
    }
    Ok(())
}

/// Random password as the charms generate them (32 alphanumerics). With `MMI_CANARY=<marker>`
/// (ASCII letters and digits) the marker sits in the middle of every password, so a test can
/// scan everything the charm said for it (the secret canary, docs/reliability.md).
pub fn new_password() -> String {
    let random = |n| {
        crate::state::random_string(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            n,
        )
    };
    match canary() {
        Some(marker) => format!("{}{marker}{}", random(12), random(12)),
        None => random(32),
    }
}

/// The canary marker from `MMI_CANARY`, if set and made of ASCII letters and digits (what
/// every password consumer along the way — JAAS, SCRAM, Connect's basic auth — takes as is).
pub fn canary() -> Option<String> {
    std::env::var("MMI_CANARY")
        .ok()
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// data_interfaces v1 `gen_salt()`: 16 random ASCII letters and digits.
pub fn new_salt() -> String {
    crate::state::random_string(
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        16,
    )
}

/// Run the backend's provision command with extra args; Ok(()) only on exit 0.
pub fn provision(backend: &Value, extra: &[String]) -> std::result::Result<(), String> {
    let Some(cmd) = backend.get("provision").and_then(Value::as_array) else {
        return Ok(());
    };
    let argv: Vec<String> = cmd
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    let Some((prog, args)) = argv.split_first() else {
        return Ok(());
    };
    let out = Command::new(prog)
        .args(args)
        .args(extra)
        .output()
        .map_err(|e| format!("cannot run {prog}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{prog} exited with {}: {}",
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Remote (requirer) app and its app databag on a relation.
pub fn request(model: &Model, app: &str, rid: u64) -> Option<(String, Bag)> {
    let r = model.relations.get(&rid)?;
    let remote = r.remote_app(app)?.to_string();
    let bag = r.app_data.get(&remote).cloned().unwrap_or_default();
    Some((remote, bag))
}

/// Live (not dying) non-peer relations of `app`.
pub(crate) fn relations_of(model: &Model, app: &str) -> Vec<u64> {
    model
        .relations
        .values()
        .filter(|r| r.has_app(app) && !r.dying && !r.is_peer())
        .map(|r| r.id)
        .collect()
}

/// The live relations of `app` whose requirer has asked (its snapshotted request has `key`)
/// and that this provider has not answered yet. Both DI0 providers' "requested" events.
pub(crate) fn unanswered_requests(model: &Model, app: &str, key: &str) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for rid in relations_of(model, app) {
        let answered = model
            .app(app)?
            .provider
            .get(&rid)
            .is_some_and(|p| p.answered);
        if !answered && snapshot_has(model, app, rid, key) {
            out.push(rid);
        }
    }
    Ok(out)
}

/// True when `unit` has seen at least one remote unit join `rid` (ops' `relation.units`).
pub(crate) fn has_remote_units(model: &Model, unit: &str, rid: u64) -> bool {
    model
        .units
        .get(unit)
        .and_then(|u| u.rels.get(&rid))
        .is_some_and(|r| !r.joined.is_empty())
}

/// The provider app's own databag on `rid`.
pub(crate) fn own_bag(model: &Model, app: &str, rid: u64) -> Bag {
    model
        .relations
        .get(&rid)
        .and_then(|r| r.app_data.get(app))
        .cloned()
        .unwrap_or_default()
}

/// Set (or, with `""`, delete) keys in the provider app's own databag on `rid`.
pub(crate) fn write_own(model: &mut Model, app: &str, rid: u64, kv: &[(&str, &str)]) {
    let Some(r) = model.relations.get_mut(&rid) else {
        return;
    };
    let bag = r.app_data.entry(app.to_string()).or_default();
    for (k, v) in kv {
        if v.is_empty() {
            bag.remove(*k);
        } else {
            bag.insert(k.to_string(), v.to_string());
        }
    }
}

/// Latest content of a secret (empty when unknown).
pub(crate) fn secret_content(model: &Model, id: &str) -> Bag {
    crate::secrets::find(model, id)
        .and_then(|s| s.content(s.latest()).cloned())
        .unwrap_or_default()
}

/// Creates an app-owned secret with `label`, granted to relation `rid` (what both
/// data_interfaces versions do: `app.add_secret(content, label=…)` then `secret.grant(relation)`).
pub(crate) fn add_granted_secret(
    model: &mut Model,
    app: &str,
    rid: u64,
    label: String,
    content: Bag,
) -> Result<String> {
    let id = crate::secrets::create(model, "application", app, content, Some(label))?;
    crate::secrets::grant(model, &id, rid, None);
    Ok(id)
}

/// data_interfaces v0 `SECRET_LABEL_MAP`: the secret group of a requested secret field.
fn di0_group(field: &str) -> &'static str {
    match field {
        "username" | "password" | "uris" => "user",
        "tls" | "tls-ca" => "tls",
        _ => "extra",
    }
}

/// What data_interfaces v0's `ProviderData.update_relation_data(rid, items)` leaves behind
/// (`_update_relation_data` → `_process_secret_fields`): fields the requirer listed in
/// `requested-secrets` go, by group, into app-owned secrets labelled
/// `<endpoint>.<rid>.<group>.secret` (created and granted with the first write and their URI
/// put under `secret-<group>`; later writes merge into the content, a new revision only when
/// it changed); the other fields go into the app databag. If the relation "started on a
/// databag" (a requested field is already a plain key) everything stays plain.
pub(crate) fn di0_update(
    model: &mut Model,
    app: &str,
    endpoint: &str,
    rid: u64,
    items: &[(&str, String)],
) -> Result<()> {
    let (_, req) = request(model, app, rid).unwrap_or_default();
    let requested: Vec<String> = req
        .get("requested-secrets")
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let own = own_bag(model, app, rid);
    let fallback = requested.iter().any(|f| own.contains_key(f));
    let mut plain: Vec<(&str, &str)> = vec![];
    let mut groups: Vec<(&str, Bag)> = vec![];
    for (k, v) in items {
        if !requested.is_empty() && !fallback && requested.iter().any(|f| f == k) {
            let g = di0_group(k);
            match groups.iter_mut().find(|(name, _)| *name == g) {
                Some((_, c)) => {
                    c.insert(k.to_string(), v.clone());
                }
                None => {
                    let mut c = Bag::new();
                    c.insert(k.to_string(), v.clone());
                    groups.push((g, c));
                }
            }
        } else {
            plain.push((k, v.as_str()));
        }
    }
    for (group, content) in groups {
        let field = format!("secret-{group}");
        match own
            .get(&field)
            .filter(|id| crate::secrets::find(model, id).is_some())
        {
            Some(id) => {
                let mut full = secret_content(model, id);
                full.extend(content);
                crate::secrets::set_content(model, id, full);
            }
            None => {
                let id = add_granted_secret(
                    model,
                    app,
                    rid,
                    format!("{endpoint}.{rid}.{group}.secret"),
                    content,
                )?;
                write_own(model, app, rid, &[(&field, &id)]);
            }
        }
    }
    write_own(model, app, rid, &plain);
    Ok(())
}

/// data_interfaces v0's provider-side `diff()`: snapshots the requirer's app databag (minus
/// `data`) as `json.dumps` of the raw string values into the provider's own app databag key
/// `data` and returns the keys that were not in the previous snapshot. Runs on every
/// relation-changed the leader sees.
pub(crate) fn di0_snapshot(model: &mut Model, app: &str, rid: u64) -> Vec<String> {
    let Some((_, req)) = request(model, app, rid) else {
        return vec![];
    };
    let old: serde_json::Map<String, Value> = own_bag(model, app, rid)
        .get("data")
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let pairs: Vec<(String, Value)> = req
        .iter()
        .filter(|(k, _)| k.as_str() != "data")
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let added = pairs
        .iter()
        .filter(|(k, _)| !old.contains_key(k))
        .map(|(k, _)| k.clone())
        .collect();
    let data = wire::py_object(&pairs);
    write_own(model, app, rid, &[("data", &data)]);
    added
}

/// True when the provider's `data` snapshot of the request has seen `key` (so the edge event
/// the real library fires when `key` is added has fired; a charm that defers it retries on
/// every later hook until it succeeds).
pub(crate) fn snapshot_has(model: &Model, app: &str, rid: u64, key: &str) -> bool {
    own_bag(model, app, rid)
        .get("data")
        .and_then(|d| serde_json::from_str::<serde_json::Map<String, Value>>(d).ok())
        .is_some_and(|m| m.contains_key(key))
}

/// Logs a failed provisioning attempt and keeps the error; the caller retries later.
pub(crate) fn provisioning_failed(
    model: &mut Model,
    dir: &Path,
    unit: &str,
    rid: u64,
    what: &str,
    e: String,
) {
    let app = app_of(unit).to_string();
    let ep = model
        .relations
        .get(&rid)
        .and_then(|r| r.endpoint_of(&app))
        .unwrap_or("?")
        .to_string();
    crate::logs::append(
        dir,
        unit,
        "WARNING",
        &format!("{ep}:{rid}: provisioning {what} failed, will retry: {e}"),
    );
    if let Ok(a) = model.app_mut(&app) {
        a.provider.entry(rid).or_default().last_error = e;
    }
}

/// The password of relation `rid` (a new one the first time).
pub(crate) fn password_for(model: &mut Model, app: &str, rid: u64) -> Result<String> {
    let p = model.app_mut(app)?.provider.entry(rid).or_default();
    if p.password.is_empty() {
        p.password = new_password();
    }
    Ok(p.password.clone())
}

/// Marks relation `rid` answered (user created and published) and logs `message`.
pub(crate) fn mark_answered(
    model: &mut Model,
    dir: &Path,
    unit: &str,
    rid: u64,
    message: &str,
) -> Result<()> {
    let p = model
        .app_mut(app_of(unit))?
        .provider
        .entry(rid)
        .or_default();
    p.answered = true;
    p.last_error.clear();
    crate::logs::append(dir, unit, "INFO", message);
    Ok(())
}

/// Rotate the password of an answered relation (`juju-sim rotate-credentials`): provision the
/// new password through the backend (if any), then publish it as a new revision of the
/// `secret-user` secret (or the plain `password` key), as a provider does when it rewrites
/// credentials. The caller runs the cascade (secret-changed / relation-changed).
pub fn rotate(model: &mut Model, app: &str, rid: u64) -> Result<()> {
    let a = model.app(app)?;
    let kind = a
        .sim
        .ok_or_else(|| Error::run(format!("application \"{app}\" is not simulated")))?;
    if kind == SimKind::SelfSignedCertificates {
        return Err(Error::run(format!(
            "{app} publishes CAs, not credentials; use set-backend to change them"
        )));
    }
    if !a.provider.get(&rid).is_some_and(|p| p.answered) {
        return Err(Error::run(format!(
            "{app} has not answered relation {rid} yet; nothing to rotate"
        )));
    }
    let backend = a.backend.clone().unwrap_or(Value::Null);
    let user = format!("relation-{rid}");
    let password = new_password();
    let extra = match kind {
        SimKind::Kafka => {
            let (_, req) = request(model, app, rid).unwrap_or_default();
            kafka::provision_args(&user, &password, &req)
        }
        _ => vec![
            "--user".into(),
            user.clone(),
            "--password".into(),
            password.clone(),
        ],
    };
    provision(&backend, &extra)
        .map_err(|e| Error::run(format!("provisioning {user} failed: {e}")))?;
    model
        .app_mut(app)?
        .provider
        .entry(rid)
        .or_default()
        .password = password.clone();
    let bag = own_bag(model, app, rid);
    match bag.get("secret-user") {
        Some(id) => {
            let mut content = secret_content(model, id);
            content.insert("username".into(), user);
            content.insert("password".into(), password);
            crate::secrets::set_content(model, id, content);
        }
        None => write_own(model, app, rid, &[("password", &password)]),
    }
    Ok(())
}
