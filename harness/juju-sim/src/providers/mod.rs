//! Simulated provider applications that answer the charm's relations the way Charmed Apache
//! Kafka (`kafka-client`, spec/relations.md §1.3/§2) and Charmed Kafka Connect
//! (`connect-client`, §4) do. They run in-process as the "hook" of their units: each event
//! re-checks every relation (level-triggered), so a provider that could not provision yet
//! retries on the next event, e.g. the next `update-status` tick.
//!
//! Backends (`--backend FILE` at deploy) make them provision real users by running a program and
//! point the requirer at real endpoints; without one they invent credentials and endpoints.

mod connect;
mod kafka;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::charm::{CharmMeta, EndpointMeta};
use crate::error::Result;
use crate::state::{app_of, EventKind, Model, SimKind, Status};

/// The metadata a simulated provider declares.
pub fn meta(kind: SimKind) -> CharmMeta {
    let mut m = CharmMeta::default();
    let (name, ep, iface) = match kind {
        SimKind::Kafka => ("kafka", kafka::ENDPOINT, "kafka_client"),
        SimKind::KafkaConnect => ("kafka-connect", connect::ENDPOINT, "connect_client"),
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
        _ => None,
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
    let rels: Vec<u64> = model
        .relations
        .values()
        .filter(|r| r.has_app(&app) && !r.dying)
        .map(|r| r.id)
        .collect();
    for rid in rels {
        match kind {
            SimKind::Kafka => kafka::reconcile(model, dir, unit, rid)?,
            SimKind::KafkaConnect => connect::reconcile(model, dir, unit, rid)?,
        }
    }
    Ok(())
}

/// Random password as the charms generate them (32 alphanumerics).
pub fn new_password() -> String {
    crate::state::random_string(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        32,
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
pub fn request(model: &Model, app: &str, rid: u64) -> Option<(String, crate::state::Bag)> {
    let r = model.relations.get(&rid)?;
    let remote = r.remote_app(app)?.to_string();
    let bag = r.app_data.get(&remote).cloned().unwrap_or_default();
    Some((remote, bag))
}

/// The requirer's request on a relation this provider has not answered yet (None once
/// answered, or while the relation has no remote app).
pub(crate) fn unanswered_request(
    model: &Model,
    app: &str,
    rid: u64,
) -> Result<Option<crate::state::Bag>> {
    if model
        .app(app)?
        .provider
        .get(&rid)
        .is_some_and(|p| p.answered)
    {
        return Ok(None);
    }
    Ok(request(model, app, rid).map(|(_, bag)| bag))
}

/// Rotate the password of an answered relation (`juju-sim rotate-credentials`): provision the
/// new password through the backend (if any), then publish it as a new revision of the
/// `secret-user` secret (or the plain `password` key), as a provider does when it rewrites
/// credentials. The caller runs the cascade (secret-changed / relation-changed).
pub fn rotate(model: &mut Model, app: &str, rid: u64) -> Result<()> {
    use crate::error::Error;
    let a = model.app(app)?;
    let kind = a
        .sim
        .ok_or_else(|| Error::run(format!("application \"{app}\" is not simulated")))?;
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
            kafka::provision_args(
                &user,
                &password,
                req.get("extra-user-roles")
                    .map(String::as_str)
                    .unwrap_or(""),
                req.get("topic").map(String::as_str).unwrap_or(""),
            )
        }
        SimKind::KafkaConnect => vec![
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
    let bag = model
        .relations
        .get(&rid)
        .and_then(|r| r.app_data.get(app))
        .cloned()
        .unwrap_or_default();
    match bag.get("secret-user") {
        Some(id) => {
            let mut content = crate::state::Bag::new();
            content.insert("username".into(), user);
            content.insert("password".into(), password);
            crate::secrets::set_content(model, id, content);
        }
        None => {
            if let Some(r) = model.relations.get_mut(&rid) {
                r.app_data
                    .entry(app.to_string())
                    .or_default()
                    .insert("password".into(), password);
            }
        }
    }
    Ok(())
}

/// Publishes a provider's answer into its app databag (with `data`, the provider's snapshot
/// of the request, as the data_interfaces libraries keep it), marks the relation answered and
/// logs `message` for the provider unit.
pub(crate) fn publish(
    model: &mut Model,
    dir: &Path,
    unit: &str,
    app: &str,
    rid: u64,
    (mut answer, req): (crate::state::Bag, &crate::state::Bag),
    message: &str,
) -> Result<()> {
    answer.insert(
        "data".into(),
        serde_json::to_string(req).unwrap_or_default(),
    );
    let rel = model.relations.get_mut(&rid).expect("relation");
    rel.app_data
        .entry(app.to_string())
        .or_default()
        .extend(answer);
    let p = model.app_mut(app)?.provider.entry(rid).or_default();
    p.answered = true;
    p.last_error.clear();
    crate::logs::append(dir, unit, "INFO", message);
    Ok(())
}
