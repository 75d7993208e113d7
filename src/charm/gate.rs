//! The Juju-side gate of a pass: every reason to stop before Connect (missing relation,
//! invalid option, incomplete relation data) as a typed [`Hold`], or everything the pass needs
//! (desired connectors, ownership, the Connect relation's data). Pure.

use super::Snapshot;
use crate::juju::RelationRef;
use crate::juju::{Status, StatusKind};
use crate::mirror::AutoRestart;
use crate::mirror::{connector_name, desired, model_uuid_hex, Cluster, ConnectorKind};
use crate::mirror::{DesiredConnector, Inputs};
use crate::plan::{HoldReason, Owner};
use crate::relations::shared_secrets::{reused, Named};
use crate::relations::{CaSource, ConnectData, KafkaData, NotReady, Related, SecretRef};

/// Everything needed to talk to Connect, once the Juju side is complete.
#[derive(Debug, Clone)]
pub(super) struct Ready {
    pub(super) desired: Vec<DesiredConnector>,
    pub(super) owner: Owner,
    /// The connect-client relation's data, trusting also the `receive-ca-cert` CAs.
    pub(super) connect: ConnectData,
    /// Connectors of `source` relations whose data is incomplete: held, never planned.
    pub(super) held: Vec<String>,
    /// Status note for those.
    pub(super) waiting_note: Option<String>,
    pub(super) pairs: Vec<String>,
    pub(super) policy: AutoRestart,
    /// The clusters the connectors use (CAs resolved): for the DR actions' own Kafka reads.
    pub(super) sources: Vec<Cluster>,
    pub(super) target: Cluster,
}

/// Why a pass stops before planning the desired connectors. Only a relation that is gone is a
/// reason to delete anything ([`Teardown`]); a missing option or half-written data never is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// These required endpoints have no relation. While Kafka Connect is still related, the
    /// connectors we run there go with them (one rule for every relation that leaves).
    Missing {
        endpoints: Vec<&'static str>,
        teardown: Option<Box<Teardown>>,
    },
    /// An option or the rendered connectors are invalid (the message names the cause).
    Invalid(String),
    /// A related application has not sent everything yet (the message says what).
    Incomplete(String),
}

/// How to reach Kafka Connect, and which connectors are ours, when `source` or `target` is
/// gone: every connector we own there is deleted (Connect keeps their offsets by name, so
/// integrating again resumes where they stopped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Teardown {
    pub connect: ConnectData,
    pub owner: Owner,
}

impl Hold {
    pub fn status(&self) -> Status {
        match self {
            Hold::Missing { endpoints, .. } => Status::new(
                StatusKind::Blocked,
                format!(
                    "missing relation(s): {} (juju integrate)",
                    endpoints.join(", ")
                ),
            ),
            Hold::Invalid(why) => Status::new(StatusKind::Blocked, why.clone()),
            Hold::Incomplete(why) => Status::new(StatusKind::Waiting, why.clone()),
        }
    }

    pub fn reason(&self) -> HoldReason {
        match self {
            Hold::Invalid(_) => HoldReason::InvalidInput,
            Hold::Missing { .. } | Hold::Incomplete(_) => HoldReason::InputsIncomplete,
        }
    }
}

/// A Kafka cluster as the connectors see it. Its CA is the one it sent; a provider that does
/// not send its CA over TLS (Charmed Kafka 3) is trusted through every `receive-ca-cert` CA,
/// and without any it cannot be used yet — the note names the remedy.
fn cluster(
    r: &Related<KafkaData>,
    data: &KafkaData,
    endpoint: &str,
    transfer: &[String],
    app: &str,
) -> Result<Cluster, String> {
    let ca_pem = match (&data.ca_pem, data.tls) {
        (Some(pem), true) => Some(pem.clone()),
        (None, true) if !transfer.is_empty() => Some(transfer.concat()),
        (None, true) => {
            return Err(format!(
                "{} ({endpoint}): TLS without a CA: juju integrate {app}:receive-ca-cert <tls provider>",
                r.app
            ))
        }
        (_, false) => None,
    };
    Ok(Cluster {
        alias: r.app.clone(),
        bootstrap: data.bootstrap.clone(),
        tls: data.tls,
        ca_pem,
        username: data.username.clone(),
        password: data.password.clone(),
    })
}

/// The data of a relation that has answered, or why not (`<app> (<endpoint>): <why>`).
fn answered<'a, T>(r: &'a Related<T>, endpoint: &str) -> Result<&'a T, Hold> {
    r.data
        .as_ref()
        .map_err(|e| Hold::Incomplete(format!("{} ({endpoint}): {e}", r.app)))
}

/// The `source` clusters that can be used, and the aliases of those that cannot yet (held:
/// their connectors are kept as they are) with a note each.
fn sources(s: &Snapshot, transfer: &[String]) -> (Vec<Cluster>, Vec<String>, Vec<String>) {
    let (mut ready, mut held, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    for r in &s.sources {
        let cluster = match &r.data {
            Ok(d) => cluster(r, d, "source", transfer, &s.app),
            Err(e) => Err(format!("{} (source): {e}", r.app)),
        };
        match cluster {
            Ok(c) => ready.push(c),
            Err(note) => {
                held.push(r.app.clone());
                notes.push(note);
            }
        }
    }
    (ready, held, notes)
}

/// What a teardown needs, when the connect-client relation has answered.
fn teardown(s: &Snapshot, connect_rel: &Related<ConnectData>) -> Option<Box<Teardown>> {
    let connect = connect_rel.data.as_ref().ok()?;
    Some(Box::new(Teardown {
        connect: trusting_ca_relations(connect, s),
        owner: Owner::new(connect_rel.rel.id, &s.model_uuid).ok()?,
    }))
}

/// The connect-client relation's data, trusting also the `receive-ca-cert` CAs.
fn trusting_ca_relations(connect: &ConnectData, s: &Snapshot) -> ConnectData {
    let mut connect = connect.clone();
    for b in &s.ca_bundles {
        connect.trust(CaSource::Transfer(b.app.clone()), &b.certs);
    }
    connect
}

/// Relation data refused outright: a secret two relations name, or data that arrived but
/// cannot be trusted (`<app> (<endpoint>): unusable …`). Blocks before anything is used, so
/// nothing is written to or deleted from Connect on its account.
fn untrusted(s: &Snapshot) -> Option<Hold> {
    let kafka = s.sources.iter().chain(&s.target);
    let relations: Vec<(&RelationRef, &str, &[SecretRef], Option<&NotReady>)> = kafka
        .map(|r| {
            (
                &r.rel,
                r.app.as_str(),
                &r.secrets[..],
                r.data.as_ref().err(),
            )
        })
        .chain(s.connect.iter().map(|r| {
            (
                &r.rel,
                r.app.as_str(),
                &r.secrets[..],
                r.data.as_ref().err(),
            )
        }))
        .collect();
    let named: Vec<Named> = relations
        .iter()
        .map(|(rel, app, secrets, _)| Named { rel, app, secrets })
        .collect();
    let invalid: Vec<String> = relations
        .iter()
        .filter_map(|(rel, app, _, e)| match e {
            Some(e @ NotReady::Invalid { .. }) => Some(format!("{app} ({}): {e}", rel.endpoint)),
            _ => None,
        })
        .collect();
    reused(&named)
        .or_else(|| (!invalid.is_empty()).then(|| invalid.join("; ")))
        .map(Hold::Invalid)
}

/// The Juju-side gate: every reason to stop before Connect, as a typed hold.
pub(super) fn gate(s: &Snapshot) -> Result<Ready, Hold> {
    if let Some(hold) = untrusted(s) {
        return Err(hold);
    }
    let (target_rel, connect_rel) = match (s.sources.is_empty(), &s.target, &s.connect) {
        (false, Some(t), Some(c)) => (t, c),
        (no_source, t, c) => {
            let missing = [
                (no_source, "source"),
                (t.is_none(), "target"),
                (c.is_none(), "connect-client"),
            ];
            return Err(Hold::Missing {
                endpoints: missing
                    .iter()
                    .filter(|(m, _)| *m)
                    .map(|(_, n)| *n)
                    .collect(),
                teardown: c.as_ref().and_then(|c| teardown(s, c)),
            });
        }
    };
    let config = s
        .config
        .as_ref()
        .map_err(|e| Hold::Invalid(e.to_string()))?;
    let policy = s.auto_restart.clone().map_err(Hold::Invalid)?;
    let connect = answered(connect_rel, "connect-client")?;
    let transfer: Vec<String> = s.ca_bundles.iter().flat_map(|b| b.certs.clone()).collect();
    let target = cluster(
        target_rel,
        answered(target_rel, "target")?,
        "target",
        &transfer,
        &s.app,
    )
    .map_err(Hold::Incomplete)?;

    let (mut sources, held_aliases, notes) = sources(s, &transfer);
    if sources.is_empty() {
        return Err(Hold::Incomplete(notes.join("; ")));
    }
    sources.sort_by(|a, b| a.alias.cmp(&b.alias));
    let pairs = sources
        .iter()
        .map(|c| format!("{} -> {}", c.alias, target_rel.app))
        .collect();
    let invalid = |e: crate::mirror::MirrorError| Hold::Invalid(e.to_string());
    let inputs = Inputs {
        config: config.clone(),
        sources: sources.clone(),
        target: target.clone(),
        connect_relation_id: connect_rel.rel.id,
        model_uuid: s.model_uuid.clone(),
    };
    let desired = desired(&inputs).map_err(invalid)?;
    let owner = Owner::new(connect_rel.rel.id, &s.model_uuid).map_err(invalid)?;
    let uuid_hex = model_uuid_hex(&s.model_uuid).map_err(invalid)?;
    let held = held_aliases
        .iter()
        .flat_map(|alias| {
            ConnectorKind::ALL.map(|k| connector_name(k, alias, connect_rel.rel.id, &uuid_hex))
        })
        .collect();
    let connect = trusting_ca_relations(connect, s);
    Ok(Ready {
        desired,
        owner,
        connect,
        held,
        waiting_note: (!notes.is_empty()).then(|| notes.join("; ")),
        pairs,
        policy,
        sources,
        target,
    })
}

/// The connectors this application should run, or the status saying why they cannot be
/// computed (the same gate every pass goes through).
pub fn desired_connectors(s: &Snapshot) -> Result<Vec<DesiredConnector>, Status> {
    gate(s).map(|r| r.desired).map_err(|h| h.status())
}
