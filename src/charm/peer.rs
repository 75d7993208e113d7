//! What the application remembers between hooks, in the peer relation's app databag
//! (`peer` endpoint): the operator's intent, the auto-restart counters, since when each
//! connector has been in a waiting condition, and when the leader last changed Connect. Any unit
//! reads it; only the leader writes it (Juju enforces that), and only the keys that changed,
//! so followers see it after a leader change.
//!
//! Each key holds JSON. An unreadable value is treated as empty (and logged), never fatal: the
//! worst case is one restart too early or a lost pause intent, which the status then shows.

use super::heal::Record;
use crate::juju::{Databag, HookTools, RelationRef, ToolError};
use crate::plan::Intent;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The peer relation's endpoint (metadata.yaml `peers`).
pub const PEER_ENDPOINT: &str = "peer";
/// `{"<connector name>": "paused" | "stopped"}`.
pub const INTENT_KEY: &str = "operator-intent";
/// `{"<connector name>": {"restarts": n, "last_restart": epoch, "healthy_since": epoch}}`.
pub const RESTARTS_KEY: &str = "auto-restart";
/// `{"<connector name>": {"what": "<condition>", "at": epoch}}`.
pub const SINCE_KEY: &str = "first-seen";
/// Epoch seconds of the last pass that changed Kafka Connect, as a JSON number. Written only
/// then: a steady hook writes no relation data (each write wakes every other unit).
pub const LAST_CHANGE_KEY: &str = "last-change";
/// `[<connect-client relation id>, …]`: every relation id under which this application has
/// run connectors — the ledger that proves a name with an earlier relation id is ours (see
/// `ledger`). Written when a new `connect-client` relation appears and when an old id's
/// connectors are all gone.
pub const LEDGER_KEY: &str = "connect-relations";

/// Since when a connector has been in one waiting condition (e.g. `UNASSIGNED`, `no-tasks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Since {
    pub what: String,
    pub at: u64,
}

/// The decoded databag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerState {
    pub intent: BTreeMap<String, Intent>,
    pub restarts: BTreeMap<String, Record>,
    pub since: BTreeMap<String, Since>,
    pub last_change: Option<u64>,
    pub connect_relations: BTreeSet<u64>,
}

/// The peer relation and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub rel: RelationRef,
    pub state: PeerState,
}

fn decode<T: serde::de::DeserializeOwned + Default>(bag: &Databag, key: &str) -> T {
    match bag.get(key) {
        None => T::default(),
        Some(text) => serde_json::from_str(text).unwrap_or_else(|e| {
            tracing::warn!("ignoring unreadable peer data '{key}': {e}");
            T::default()
        }),
    }
}

impl PeerState {
    pub fn from_databag(bag: &Databag) -> PeerState {
        PeerState {
            intent: decode(bag, INTENT_KEY),
            restarts: decode(bag, RESTARTS_KEY),
            since: decode(bag, SINCE_KEY),
            last_change: decode(bag, LAST_CHANGE_KEY),
            connect_relations: decode(bag, LEDGER_KEY),
        }
    }

    /// Every key; an empty map or `None` is `""` (which deletes the key).
    pub fn to_databag(&self) -> Databag {
        fn enc<T: Serialize>(empty: bool, v: &T) -> String {
            if empty {
                String::new()
            } else {
                serde_json::to_string(v).expect("peer state serialises")
            }
        }
        Databag::from([
            (
                INTENT_KEY.to_string(),
                enc(self.intent.is_empty(), &self.intent),
            ),
            (
                RESTARTS_KEY.to_string(),
                enc(self.restarts.is_empty(), &self.restarts),
            ),
            (
                SINCE_KEY.to_string(),
                enc(self.since.is_empty(), &self.since),
            ),
            (
                LAST_CHANGE_KEY.to_string(),
                enc(self.last_change.is_none(), &self.last_change),
            ),
            (
                LEDGER_KEY.to_string(),
                enc(self.connect_relations.is_empty(), &self.connect_relations),
            ),
        ])
    }

    /// Drops entries of connectors that are no longer ours to run (keeps the databag small).
    pub fn retain_connectors(&mut self, keep: impl Fn(&str) -> bool) {
        self.intent.retain(|n, _| keep(n));
        self.restarts.retain(|n, _| keep(n));
        self.since.retain(|n, _| keep(n));
    }
}

/// Reads the peer relation, if it exists yet. Any unit may read its peer app databag; a
/// failed read counts as empty.
pub fn load(tools: &dyn HookTools, app: &str) -> Result<Option<Peer>, ToolError> {
    let Some(rel) = tools.relation_ids(PEER_ENDPOINT)?.into_iter().next() else {
        return Ok(None);
    };
    let bag = match tools.relation_get(&rel, app, true) {
        Ok(bag) => bag,
        Err(e) => {
            tracing::debug!("cannot read the peer app data: {e}");
            Databag::new()
        }
    };
    Ok(Some(Peer {
        rel,
        state: PeerState::from_databag(&bag),
    }))
}

/// Writes the keys of `new` that differ from `old` (leader only).
pub fn save(
    tools: &dyn HookTools,
    rel: &RelationRef,
    old: &PeerState,
    new: &PeerState,
) -> Result<(), ToolError> {
    let before = old.to_databag();
    let changed: Databag = new
        .to_databag()
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    tools.relation_set(rel, &changed, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    // proves the databag round-trips, empty parts delete their keys, and junk reads as empty
    #[test]
    fn databag_round_trip() {
        let mut s = PeerState::default();
        s.intent.insert("mirror_source_a".into(), Intent::Paused);
        s.restarts.insert(
            "mirror_source_a".into(),
            Record {
                restarts: 2,
                last_restart: Some(10),
                healthy_since: None,
            },
        );
        s.last_change = Some(42);
        s.connect_relations = BTreeSet::from([9, 5]);
        let bag = s.to_databag();
        assert_eq!(bag[LEDGER_KEY], "[5,9]");
        assert_eq!(bag[INTENT_KEY], r#"{"mirror_source_a":"paused"}"#);
        assert_eq!(
            bag[RESTARTS_KEY],
            r#"{"mirror_source_a":{"restarts":2,"last_restart":10}}"#
        );
        assert_eq!(bag[SINCE_KEY], "");
        let live: Databag = bag.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        assert_eq!(PeerState::from_databag(&live), s);
        let junk = Databag::from([(INTENT_KEY.to_string(), "{not json".to_string())]);
        assert_eq!(PeerState::from_databag(&junk), PeerState::default());
    }
}
