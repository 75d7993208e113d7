//! KIP-875/KIP-980 operations (Connect 3.6+/3.7+): create a connector STOPPED, read and alter
//! its source offsets. The charm uses them to carry MirrorMaker's position from one connector
//! name to another (a `connect-client` relation integrated again changes the names), so that
//! nothing is copied twice (kafka-connect.md §1.5, §4.12).

use super::client::ConnectClient;
use super::text::seg;
use super::ConnectError;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// `{"offsets":[{"partition":{…},"offset":{…}}, …]}` (`ConnectorOffsets`). Kept as JSON
/// values: the charm copies them, it never interprets them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffsets {
    #[serde(default)]
    pub offsets: Vec<PartitionOffset>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionOffset {
    pub partition: Value,
    pub offset: Value,
}

impl ConnectClient {
    /// `POST /connectors` with `initial_state: STOPPED`: the connector exists with its config
    /// and never starts a task until resumed (KIP-980, Connect 3.7+).
    pub async fn create_stopped(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<(), ConnectError> {
        let op = format!("create '{name}' stopped");
        let body = json!({"name": name, "config": config, "initial_state": "STOPPED"});
        self.call(&op, Method::POST, "/connectors", Some(&body))
            .await
            .map(drop)
    }

    /// `GET /connectors/<n>/offsets`: the source offsets Connect holds under that name.
    pub async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, ConnectError> {
        let op = format!("get offsets of '{name}'");
        let path = format!("/connectors/{}/offsets", seg(name));
        let (_, body) = self.call(&op, Method::GET, &path, None).await?;
        self.decode(&op, &body)
    }

    /// `PATCH /connectors/<n>/offsets` (the connector must be STOPPED). An empty set is not
    /// sent: Connect refuses it with 400.
    pub async fn alter_offsets(
        &self,
        name: &str,
        offsets: &ConnectorOffsets,
    ) -> Result<(), ConnectError> {
        if offsets.offsets.is_empty() {
            return Ok(());
        }
        let op = format!("alter offsets of '{name}'");
        let path = format!("/connectors/{}/offsets", seg(name));
        let body = serde_json::to_value(offsets).expect("offsets serialise");
        self.call(&op, Method::PATCH, &path, Some(&body))
            .await
            .map(drop)
    }
}
