//! `kafka_client` requirer for `source` and `target` (relations.md §1–§3).
//!
//! Request (leader, app databag): `requested-secrets`, `provided-secrets`, `topic` =
//! `__mirrormaker-user`, `extra-user-roles` = `admin` — what Canonical's MirrorMaker integrator
//! asks for (§1.2). Answer: `endpoints`, `tls`, `secret-user` (`username`, `password`),
//! `secret-tls` (`tls-ca`). Ready ⇔ endpoints, username and password are all non-empty.

use super::provider::{self, Related};
use super::{PROVIDED_SECRETS, REQUESTED_SECRETS};
use crate::juju::{HookTools, RelationRef, ToolError};
use crate::secret::Secret;

pub const SOURCE_ENDPOINT: &str = "source";
pub const TARGET_ENDPOINT: &str = "target";
/// "Not used, but required by the Kafka relation" (Canonical's integrator): Kafka creates an
/// ACL for it; with the `admin` role the user can do what MirrorMaker 2 needs anyway.
pub const REQUEST_TOPIC: &str = "__mirrormaker-user";
pub const REQUEST_ROLES: &str = "admin";

/// What a Kafka application sent once it is ready: how to reach it and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaData {
    /// `host:port,host:port` as the provider wrote it.
    pub bootstrap: String,
    pub username: String,
    pub password: Secret,
    pub tls: bool,
    /// The cluster's CA (PEM) when TLS is on and the provider sent one.
    pub ca_pem: Option<String>,
}

/// Leader: writes our request into the relation if any key is missing.
pub fn ensure_request(
    tools: &dyn HookTools,
    rel: &RelationRef,
    own_app: &str,
    own_unit: &str,
) -> Result<bool, ToolError> {
    super::ensure_request(
        tools,
        rel,
        own_app,
        own_unit,
        &[
            ("requested-secrets", REQUESTED_SECRETS),
            ("provided-secrets", PROVIDED_SECRETS),
            ("topic", REQUEST_TOPIC),
            ("extra-user-roles", REQUEST_ROLES),
        ],
    )
}

/// Reads the provider's answer on one relation.
pub fn read(
    tools: &dyn HookTools,
    rel: &RelationRef,
    remote_app: &str,
) -> Result<Related<KafkaData>, ToolError> {
    let data = provider::read_ready(tools, rel, remote_app)?.map(|f| {
        let tls = provider::tls_on(f.get("tls"));
        // Charmed Kafka 3 puts `enabled` in `tls-ca`, never its CA: the CA then comes from
        // `receive-ca-cert` (the gate decides; docs/spec/relations.md §2.1).
        let ca_pem = provider::pem_ca(f.get("tls-ca"));
        KafkaData {
            bootstrap: f.get("endpoints").unwrap_or_default().to_string(),
            username: f.get("username").unwrap_or_default().to_string(),
            password: Secret::new(f.get("password").unwrap_or_default()),
            tls,
            ca_pem: if tls { ca_pem } else { None },
        }
    });
    Ok(Related {
        rel: rel.clone(),
        app: remote_app.to_string(),
        data,
    })
}
