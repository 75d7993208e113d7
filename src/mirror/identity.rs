//! Connector identity in one place: the three kinds, how a name is made
//! (`mirror_<kind>_<source alias>_r<connect-client relation id>_<model uuid hex>`, the suffix
//! Charmed Kafka Connect's clean-up matches), how it is taken apart again, and which names
//! this application owns.
//!
//! Pure.

use super::MirrorError;
use std::fmt;

/// Prefix of every connector this charm creates.
pub const NAME_PREFIX: &str = "mirror_";

/// The three MirrorMaker 2 connectors, in creation (dependency) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConnectorKind {
    Source,
    Checkpoint,
    Heartbeat,
}

impl ConnectorKind {
    pub const ALL: [ConnectorKind; 3] = [
        ConnectorKind::Source,
        ConnectorKind::Checkpoint,
        ConnectorKind::Heartbeat,
    ];

    /// The word used in connector names: `source`, `checkpoint`, `heartbeat`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorKind::Source => "source",
            ConnectorKind::Checkpoint => "checkpoint",
            ConnectorKind::Heartbeat => "heartbeat",
        }
    }

    /// The Java class (`connector.class`), also the validate endpoint's plugin name.
    pub fn class(self) -> &'static str {
        match self {
            ConnectorKind::Source => "org.apache.kafka.connect.mirror.MirrorSourceConnector",
            ConnectorKind::Checkpoint => {
                "org.apache.kafka.connect.mirror.MirrorCheckpointConnector"
            }
            ConnectorKind::Heartbeat => "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",
        }
    }

    /// The kind encoded in a connector name (`mirror_<kind>_…`), if any.
    pub fn from_name(name: &str) -> Option<ConnectorKind> {
        let rest = name.strip_prefix(NAME_PREFIX)?;
        ConnectorKind::ALL
            .into_iter()
            .find(|k| rest.starts_with(&format!("{}_", k.as_str())))
    }
}

impl fmt::Display for ConnectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `mirror_<kind>_<source alias>_r<connect relation id>_<model uuid hex>`.
pub fn connector_name(
    kind: ConnectorKind,
    source_alias: &str,
    connect_relation_id: u64,
    model_uuid_hex: &str,
) -> String {
    format!(
        "{NAME_PREFIX}{}_{source_alias}_r{connect_relation_id}_{model_uuid_hex}",
        kind.as_str()
    )
}

/// `JUJU_MODEL_UUID` without dashes, lower-case: exactly 32 hex digits or an error.
pub fn model_uuid_hex(model_uuid: &str) -> Result<String, MirrorError> {
    let hex: String = model_uuid
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(MirrorError::relation(
            "model",
            format!("model uuid '{model_uuid}' is not a uuid (32 hex digits with dashes); is JUJU_MODEL_UUID set?"),
        ));
    }
    Ok(hex)
}

/// Which connector names belong to this application (one `connect-client` relation in one model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    suffix: String,
}

impl Owner {
    /// `model_uuid` as in `JUJU_MODEL_UUID` (dashes allowed).
    pub fn new(connect_relation_id: u64, model_uuid: &str) -> Result<Owner, MirrorError> {
        Ok(Owner {
            suffix: format!("_r{connect_relation_id}_{}", model_uuid_hex(model_uuid)?),
        })
    }

    /// `_r<rid>_<uuid hex>`, the suffix Charmed Kafka Connect's clean-up also matches.
    pub fn suffix(&self) -> &str {
        &self.suffix
    }

    /// `name` (ours) under `to`'s suffix: the same connector under another relation id.
    pub fn renamed(&self, name: &str, to: &Owner) -> Option<String> {
        self.owns(name)
            .then(|| format!("{}{}", &name[..name.len() - self.suffix.len()], to.suffix))
    }

    /// True iff `name` is `mirror_<something>` ending in our suffix.
    pub fn owns(&self, name: &str) -> bool {
        name.len() > NAME_PREFIX.len() + self.suffix.len()
            && name.starts_with(NAME_PREFIX)
            && name.ends_with(&self.suffix)
    }
}

/// A connector name taken apart: `mirror_<kind>_<source alias>_r<relation id>_<uuid hex>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorId {
    pub kind: ConnectorKind,
    pub source_alias: String,
    pub connect_relation_id: u64,
    pub model_uuid_hex: String,
}

impl ConnectorId {
    /// The parts of a name this charm makes; `None` for any other name. Aliases are Juju
    /// application names, which never contain `_`, so the split is unambiguous.
    pub fn parse(name: &str) -> Option<ConnectorId> {
        let kind = ConnectorKind::from_name(name)?;
        let rest = &name[NAME_PREFIX.len() + kind.as_str().len() + 1..];
        let (rest, uuid) = rest.rsplit_once('_')?;
        let (alias, rid) = rest.rsplit_once("_r")?;
        let valid_uuid = uuid.len() == 32 && uuid.chars().all(|c| c.is_ascii_hexdigit());
        if alias.is_empty() || alias.contains('_') || !valid_uuid {
            return None;
        }
        Some(ConnectorId {
            kind,
            source_alias: alias.to_string(),
            connect_relation_id: rid.parse().ok()?,
            model_uuid_hex: uuid.to_string(),
        })
    }

    pub fn name(&self) -> String {
        connector_name(
            self.kind,
            &self.source_alias,
            self.connect_relation_id,
            &self.model_uuid_hex,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123abcd456789ef0123456789abcdef";

    // proves names are made and taken apart in one place: every kind round-trips, and names
    // this charm does not make (foreign, malformed uuid, alias with `_`) do not parse
    #[test]
    fn names_round_trip() {
        for kind in ConnectorKind::ALL {
            let name = connector_name(kind, "kafka-a", 12, HEX);
            let id = ConnectorId::parse(&name).unwrap();
            assert_eq!(
                (id.kind, id.source_alias.as_str(), id.connect_relation_id),
                (kind, "kafka-a", 12)
            );
            assert_eq!(id.name(), name);
        }
        for foreign in [
            "by-hand",
            "mirror_source_kafka-a_r12_nothex",
            "mirror_source_kafka_a_r12_0123abcd456789ef0123456789abcdef",
            "mirror_other_kafka-a_r12_0123abcd456789ef0123456789abcdef",
            "mirror_source_kafka-a_rx_0123abcd456789ef0123456789abcdef",
        ] {
            assert_eq!(ConnectorId::parse(foreign), None, "{foreign}");
        }
    }

    // proves ownership is the suffix of one relation in one model, after the prefix
    #[test]
    fn owner_matches_its_suffix_only() {
        let uuid = "0123abcd-4567-89ef-0123-456789abcdef";
        let owner = Owner::new(12, uuid).unwrap();
        assert!(owner.owns(&connector_name(ConnectorKind::Source, "a", 12, HEX)));
        assert!(!owner.owns(&connector_name(ConnectorKind::Source, "a", 13, HEX)));
        assert!(!owner.owns(&format!("other_r12_{HEX}")));
        assert_eq!(owner.suffix(), format!("_r12_{HEX}"));
    }
}
