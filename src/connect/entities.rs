//! Kafka Connect REST entity types (kafka-connect.md §1.4), deserialised with serde.
//!
//! Pure data. Types that carry connector configs (passwords in clear) mask them in `Debug`;
//! `trace` fields are stored as Connect sent them — redact before showing.

use crate::mirror::sensitive::masked;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// `GET /`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ServerInfo {
    pub version: String,
    #[serde(default)]
    pub commit: Option<String>,
    /// The Kafka cluster the workers themselves use (§4.11).
    #[serde(default)]
    pub kafka_cluster_id: Option<String>,
}

/// The `connector` part of a status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct StateInfo {
    pub state: String,
    #[serde(default)]
    pub worker_id: Option<String>,
    #[serde(default)]
    pub trace: Option<String>,
}

/// One task of a status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct TaskStateInfo {
    pub id: u32,
    pub state: String,
    #[serde(default)]
    pub worker_id: Option<String>,
    #[serde(default)]
    pub trace: Option<String>,
}

/// ConnectorStateInfo: `GET …/status`, `?expand=status`, the 202 body of a restart.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: StateInfo,
    #[serde(default)]
    pub tasks: Vec<TaskStateInfo>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

/// ConnectorInfo: `PUT …/config` answer, `?expand=info`. `Debug` masks secrets.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ConnectorInfo {
    pub name: String,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    #[serde(default)]
    pub tasks: Vec<ConnectorTaskId>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

impl fmt::Debug for ConnectorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorInfo")
            .field("name", &self.name)
            .field("config", &masked(&self.config))
            .field("tasks", &self.tasks)
            .field("kind", &self.kind)
            .finish()
    }
}

/// One entry of `GET /connectors?expand=status&expand=info`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct Expanded {
    #[serde(default)]
    pub status: Option<ConnectorStateInfo>,
    #[serde(default)]
    pub info: Option<ConnectorInfo>,
}

/// Decodes a `GET /connectors?expand=…` body keeping only the connectors `keep` accepts; the
/// others are skipped without allocating (serde `IgnoredAny`), so the memory of a hook is
/// O(our connectors), not O(every connector on the cluster). Measured in benches/core.rs.
pub fn decode_expanded(
    body: &str,
    keep: &dyn Fn(&str) -> bool,
) -> serde_json::Result<BTreeMap<String, Expanded>> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(body);
    let map = Filtered(keep).deserialize(&mut de)?;
    de.end()?;
    Ok(map)
}

struct Filtered<'a>(&'a dyn Fn(&str) -> bool);

impl<'de> serde::de::DeserializeSeed<'de> for Filtered<'_> {
    type Value = BTreeMap<String, Expanded>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Filtered<'_> {
    type Value = BTreeMap<String, Expanded>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of connector names to their status and info")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(name) = m.next_key::<std::borrow::Cow<'de, str>>()? {
            if (self.0)(&name) {
                out.insert(name.into_owned(), m.next_value::<Expanded>()?);
            } else {
                m.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

/// ConfigInfos: the validate endpoint's answer (200 even when invalid).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ConfigInfos {
    pub name: String,
    pub error_count: u32,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub configs: Vec<ConfigInfo>,
}

/// One key of ConfigInfos. The definition is kept as raw JSON (documentation only).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ConfigInfo {
    #[serde(default)]
    pub definition: Option<serde_json::Value>,
    #[serde(default)]
    pub value: Option<ConfigValueInfo>,
}

/// The value part of a ConfigInfo; the value itself is deliberately not kept (it can be a
/// secret in clear for keys not typed PASSWORD).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ConfigValueInfo {
    pub name: String,
    #[serde(default)]
    pub errors: Vec<String>,
}

/// One entry of `GET /connector-plugins`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PluginInfo {
    pub class: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

/// `{"error_code": …, "message": …}` (every error except the basic-auth 401 and Jetty's 404).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ErrorBody {
    pub error_code: u16,
    pub message: String,
}
