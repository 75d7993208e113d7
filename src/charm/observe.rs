//! One pass over Juju: everything a pass needs, read once per hook (design.md §2). Reads
//! only; our relation requests are written by [`super::publish`].

use super::peer::{self, Peer};
use crate::juju::{Event, EventKind, HookTools, RelationHook, RelationRef, ToolError};
use crate::mirror::AutoRestart;
use crate::mirror::{MirrorConfig, MirrorError};
use crate::relations::{
    certificate_transfer, connect_client, kafka_client, CaBundle, ConnectData, KafkaData, Related,
    CA_ENDPOINT, CONNECT_ENDPOINT, SOURCE_ENDPOINT, TARGET_ENDPOINT,
};

/// What Juju says, for one hook.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub leader: bool,
    /// This application's name (for the peer databag and the `juju run` hints).
    pub app: String,
    pub unit: String,
    /// "Now" for this hook, seconds since the Unix epoch (injected; see `clock`).
    pub now: u64,
    pub model_name: String,
    pub model_uuid: String,
    /// The `auto-restart` and `auto-restart-max` options, or what is wrong with them.
    pub auto_restart: Result<AutoRestart, String>,
    /// The peer relation and what it holds, once Juju has created it.
    pub peer: Option<Peer>,
    pub config: Result<MirrorConfig, MirrorError>,
    /// Live `source` relations, in relation-id order.
    pub sources: Vec<Related<KafkaData>>,
    pub target: Option<Related<KafkaData>>,
    pub connect: Option<Related<ConnectData>>,
    /// What each live `receive-ca-cert` relation sends, in relation-id order.
    pub ca_bundles: Vec<CaBundle>,
}

/// The relations of `endpoint`, minus the one being broken in this hook: Juju may still list
/// it, but it is gone (ops hides it the same way).
fn live_relations(
    tools: &dyn HookTools,
    event: &Event,
    endpoint: &str,
) -> Result<Vec<RelationRef>, ToolError> {
    let mut ids = tools.relation_ids(endpoint)?;
    if let (EventKind::Relation(RelationHook::Broken), Some(r)) = (&event.kind, &event.relation) {
        ids.retain(|id| *id != r.relation);
    }
    ids.sort_by_key(|r| r.id);
    Ok(ids)
}

/// True in a `-relation-departed` hook of `rel` that takes the relation away from this unit:
/// our own unit is leaving, or the last remote unit is. Charmed Kafka Connect deletes our
/// connectors at that moment (relations.md §4.3), so the connect-client relation then counts
/// as gone: writing to Connect now would re-create connectors nobody deletes afterwards.
fn departing(tools: &dyn HookTools, event: &Event, rel: &RelationRef) -> Result<bool, ToolError> {
    let (EventKind::Relation(RelationHook::Departed), Some(r)) = (&event.kind, &event.relation)
    else {
        return Ok(false);
    };
    if r.relation != *rel {
        return Ok(false);
    }
    let leaving = r.departing_unit.as_deref();
    if leaving == Some(event.unit.as_str()) {
        return Ok(true);
    }
    let remaining = tools
        .relation_list(rel)?
        .into_iter()
        .filter(|u| Some(u.as_str()) != leaving)
        .count();
    Ok(remaining == 0)
}

/// The remote app's name: from the event when it is about this relation, else `relation-list --app`.
fn remote_app(
    tools: &dyn HookTools,
    event: &Event,
    rel: &RelationRef,
) -> Result<String, ToolError> {
    if let Some(r) = event.relation.as_ref().filter(|r| r.relation == *rel) {
        if let Some(app) = &r.remote_app {
            return Ok(app.clone());
        }
    }
    tools.relation_remote_app(rel)
}

/// Reads everything for one hook; `now` is epoch seconds (see `clock`).
pub fn observe(event: &Event, tools: &dyn HookTools, now: u64) -> Result<Snapshot, ToolError> {
    let leader = tools.is_leader()?;
    let config = tools.config_get()?;
    let auto_restart = crate::mirror::config::auto_restart(&config);
    let config = MirrorConfig::from_config_get(&config);
    let peer = peer::load(tools, &event.app)?;

    let read_kafka = |endpoint: &str| -> Result<Vec<Related<KafkaData>>, ToolError> {
        let mut out = Vec::new();
        for rel in live_relations(tools, event, endpoint)? {
            let app = remote_app(tools, event, &rel)?;
            out.push(kafka_client::read(tools, &rel, &app)?);
        }
        Ok(out)
    };
    let sources = read_kafka(SOURCE_ENDPOINT)?;
    let target = read_kafka(TARGET_ENDPOINT)?.into_iter().next();

    let mut connect = None;
    let connect_rel = live_relations(tools, event, CONNECT_ENDPOINT)?
        .into_iter()
        .next();
    if let Some(rel) = connect_rel {
        if !departing(tools, event, &rel)? {
            let app = remote_app(tools, event, &rel)?;
            connect = Some(connect_client::read(tools, &rel, &app)?);
        }
    }
    let ca_bundles = if needs_cas(event, &sources, target.as_ref(), connect.as_ref()) {
        read_ca_bundles(tools, event)?
    } else {
        Vec::new()
    };
    Ok(Snapshot {
        leader,
        app: event.app.clone(),
        unit: event.unit.clone(),
        now,
        auto_restart,
        peer,
        model_name: event.model_name.clone(),
        model_uuid: event.model_uuid.clone(),
        config,
        sources,
        target,
        connect,
        ca_bundles,
    })
}

/// True when a `receive-ca-cert` CA may be needed: Kafka Connect serves https, a Kafka
/// cluster has TLS without sending its CA, or the hook is about that relation (so the leader
/// answers a new one at once). A plain-text deployment spares the reads.
fn needs_cas(
    event: &Event,
    sources: &[Related<KafkaData>],
    target: Option<&Related<KafkaData>>,
    connect: Option<&Related<ConnectData>>,
) -> bool {
    let about_it = event
        .relation
        .as_ref()
        .is_some_and(|r| r.relation.endpoint == CA_ENDPOINT);
    let kafka_without_ca = sources
        .iter()
        .chain(target)
        .filter_map(|r| r.data.as_ref().ok())
        .any(|k| k.tls && k.ca_pem.is_none());
    let https = connect
        .and_then(|c| c.data.as_ref().ok())
        .is_some_and(|c| c.endpoints.iter().any(|e| !e.starts_with("http://")));
    about_it || kafka_without_ca || https
}

/// The CAs of every live `receive-ca-cert` relation. What a provider sent but we refuse is
/// logged, naming it.
fn read_ca_bundles(tools: &dyn HookTools, event: &Event) -> Result<Vec<CaBundle>, ToolError> {
    let mut out = Vec::new();
    for rel in live_relations(tools, event, CA_ENDPOINT)? {
        let app = remote_app(tools, event, &rel)?;
        let bundle = certificate_transfer::read(tools, &rel, &app)?;
        for why in &bundle.refused {
            tracing::warn!("{CA_ENDPOINT}:{} ({app}): not trusted: {why}", rel.id);
        }
        out.push(bundle);
    }
    Ok(out)
}
