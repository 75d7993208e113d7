//! The Juju-side gate of a pass: every reason to stop before Connect (missing relation,
//! invalid option, incomplete relation data) as a status naming the cause, or everything the
//! pass needs (desired connectors, ownership, the Connect relation's data). Pure.

use super::heal::Policy;
use super::Snapshot;
use crate::juju::{Status, StatusKind};
use crate::mirror::{desired, model_uuid_hex, Cluster, DesiredConnector, Inputs};
use crate::plan::Owner;
use crate::relations::{CaSource, ConnectData, KafkaData, Related};

/// Everything needed to talk to Connect, once the Juju side is complete.
pub(super) struct Ready {
    pub(super) desired: Vec<DesiredConnector>,
    pub(super) owner: Owner,
    /// The connect-client relation's data, trusting also the `receive-ca-cert` CAs.
    pub(super) connect: ConnectData,
    /// Aliases of `source` relations whose data is incomplete: their connectors are held.
    pub(super) held_sources: Vec<String>,
    /// Status note for those.
    pub(super) waiting_note: Option<String>,
    pub(super) pairs: Vec<String>,
    pub(super) connect_relation_id: u64,
    pub(super) uuid_hex: String,
    pub(super) policy: Policy,
}

fn cluster(r: &Related<KafkaData>, data: &KafkaData) -> Cluster {
    Cluster {
        alias: r.app.clone(),
        bootstrap: data.bootstrap.clone(),
        tls: data.tls,
        ca_pem: data.ca_pem.clone(),
        username: data.username.clone(),
        password: data.password.clone(),
    }
}

/// The Juju-side gate: every reason to stop before Connect, as a status naming the cause.
pub(super) fn gate(s: &Snapshot) -> Result<Ready, Status> {
    let mut missing = Vec::new();
    if s.sources.is_empty() {
        missing.push("source");
    }
    if s.target.is_none() {
        missing.push("target");
    }
    if s.connect.is_none() {
        missing.push("connect-client");
    }
    if !missing.is_empty() {
        return Err(Status::new(
            StatusKind::Blocked,
            format!(
                "missing relation(s): {} (juju integrate)",
                missing.join(", ")
            ),
        ));
    }
    let config = s
        .config
        .as_ref()
        .map_err(|e| Status::new(StatusKind::Blocked, e.to_string()))?;
    let policy = s
        .auto_restart
        .clone()
        .map_err(|e| Status::new(StatusKind::Blocked, e))?;
    let connect_rel = s.connect.as_ref().expect("checked above");
    let connect = connect_rel.data.as_ref().map_err(|e| {
        Status::new(
            StatusKind::Waiting,
            format!("{} (connect-client): {e}", connect_rel.app),
        )
    })?;
    let target_rel = s.target.as_ref().expect("checked above");
    let target = target_rel.data.as_ref().map_err(|e| {
        Status::new(
            StatusKind::Waiting,
            format!("{} (target): {e}", target_rel.app),
        )
    })?;

    let mut sources = Vec::new();
    let mut held = Vec::new();
    let mut notes = Vec::new();
    for r in &s.sources {
        match &r.data {
            Ok(d) => sources.push(cluster(r, d)),
            Err(e) => {
                held.push(r.app.clone());
                notes.push(format!("{} (source): {e}", r.app));
            }
        }
    }
    if sources.is_empty() {
        return Err(Status::new(StatusKind::Waiting, notes.join("; ")));
    }
    sources.sort_by(|a, b| a.alias.cmp(&b.alias));
    let pairs = sources
        .iter()
        .map(|c| format!("{} -> {}", c.alias, target_rel.app))
        .collect();
    let inputs = Inputs {
        config: config.clone(),
        sources,
        target: cluster(target_rel, target),
        connect_relation_id: connect_rel.rel.id,
        model_uuid: s.model_uuid.clone(),
    };
    let desired = desired(&inputs).map_err(|e| Status::new(StatusKind::Blocked, e.to_string()))?;
    let owner = Owner::new(connect_rel.rel.id, &s.model_uuid)
        .map_err(|e| Status::new(StatusKind::Blocked, e.to_string()))?;
    let mut connect = connect.clone();
    for b in &s.ca_bundles {
        connect.trust(CaSource::Transfer(b.app.clone()), &b.certs);
    }
    Ok(Ready {
        desired,
        owner,
        connect,
        held_sources: held,
        waiting_note: (!notes.is_empty()).then(|| notes.join("; ")),
        pairs,
        connect_relation_id: connect_rel.rel.id,
        uuid_hex: model_uuid_hex(&s.model_uuid)
            .map_err(|e| Status::new(StatusKind::Blocked, e.to_string()))?,
        policy,
    })
}

/// The connectors this application should run, or the status saying why they cannot be
/// computed (the same gate every pass goes through).
pub fn desired_connectors(s: &Snapshot) -> Result<Vec<DesiredConnector>, Status> {
    gate(s).map(|r| r.desired)
}
