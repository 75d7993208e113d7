//! The requirer side of the `kafka_client` (`source`, `target`), `connect_client`
//! (`connect-client`) and `certificate_transfer` (`receive-ca-cert`) relations, byte-compatible with Canonical's data_interfaces v0 library
//! (docs/spec/relations.md). Two jobs: write our request (leader, idempotent, every hook) and
//! read what the provider answered (databag + Juju secrets) into typed data.
//!
//! I/O only through [`HookTools`]; no decisions about connectors here.

pub mod certificate_transfer;
pub mod connect_client;
pub mod kafka_client;
mod provider;
pub mod shared_secrets;

pub use certificate_transfer::{CaBundle, CA_ENDPOINT};
pub use connect_client::{CaSource, ConnectData, TrustedCa, CONNECT_ENDPOINT};
pub use kafka_client::{KafkaData, SOURCE_ENDPOINT, TARGET_ENDPOINT};
pub use provider::{NotReady, Related, SecretRef};

use crate::juju::{Databag, HookTools, RelationRef, ToolError};

/// `requested-secrets` exactly as DI0 writes it (Python `json.dumps`, so `", "` separators).
pub const REQUESTED_SECRETS: &str = r#"["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]"#;
/// `provided-secrets` as DI0 writes it outside cross-model relations.
pub const PROVIDED_SECRETS: &str = r#"["mtls-cert"]"#;

/// Makes sure our app databag (and, as DI0 does, the leader's unit databag) holds `request`.
/// Keys already present are never rewritten: Charmed Kafka refuses a changed `topic` or
/// `extra-user-roles` after the user exists. Leader only; returns whether anything was written.
pub(crate) fn ensure_request(
    tools: &dyn HookTools,
    rel: &RelationRef,
    own_app: &str,
    own_unit: &str,
    request: &[(&str, &str)],
) -> Result<bool, ToolError> {
    let current = tools.relation_get(rel, own_app, true)?;
    let missing: Databag = request
        .iter()
        .filter(|(k, _)| current.get(*k).is_none_or(String::is_empty))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    tools.relation_set(rel, &missing, true)?;
    let unit_keys: Databag = missing
        .iter()
        .filter(|(k, _)| k.as_str() == "requested-secrets" || k.as_str() == "provided-secrets")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !unit_keys.is_empty() {
        let mine = tools.relation_get(rel, own_unit, false)?;
        let unit_missing: Databag = unit_keys
            .into_iter()
            .filter(|(k, v)| mine.get(k) != Some(v))
            .collect();
        tools.relation_set(rel, &unit_missing, false)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests;
