//! The pure inputs of [`super::desired`], filled by the charm's relation code.
//!
//! No I/O and no validation here: `desired` validates (aliases, bootstrap, model uuid …)
//! and reports which relation is at fault.

use super::MirrorConfig;
use crate::secret::Secret;

/// One Kafka cluster as seen through a `kafka_client` relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// MirrorMaker alias = the Kafka application name; names remote topics, never changes.
    pub alias: String,
    /// `host:port,host:port`.
    pub bootstrap: String,
    /// SASL_SSL when true, SASL_PLAINTEXT when false.
    pub tls: bool,
    /// The cluster's CA (PEM). With `tls` and no CA, the JVM's default trust store is used.
    pub ca_pem: Option<String>,
    /// SCRAM-SHA-512 user.
    pub username: String,
    pub password: Secret,
}

/// Everything `desired` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    pub config: MirrorConfig,
    /// Fan-in: every *complete* `source` relation, ordered by alias. Pass an empty list only
    /// when no `source` relation exists (the plan then deletes our connectors); when a
    /// relation exists but its data is incomplete, do not call `desired` — hold instead.
    pub sources: Vec<Cluster>,
    pub target: Cluster,
    /// The `connect-client` relation id (the `N` of `connect-client:N`).
    pub connect_relation_id: u64,
    /// `JUJU_MODEL_UUID`, with dashes.
    pub model_uuid: String,
}

impl Inputs {
    /// Every password in these inputs: register them with the Connect client
    /// (`ConnectClient::redacting`) so Connect's echoes of configs are redacted.
    pub fn secrets(&self) -> Vec<Secret> {
        self.sources
            .iter()
            .chain(std::iter::once(&self.target))
            .map(|c| c.password.clone())
            .collect()
    }
}
