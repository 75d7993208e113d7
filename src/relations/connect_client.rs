//! `connect_client` requirer for `connect-client` (relations.md §4).
//!
//! Request (leader, app databag): `requested-secrets`, `provided-secrets` (Kafka Connect's v0
//! provider reads it to put credentials into secrets) and `plugin-url` = `NOT-REQUIRED`
//! (MirrorMaker 2 ships with Connect). Answer: `endpoints` (full URLs), `secret-user`
//! (`username`, `password` for HTTP basic auth), later `secret-tls` (`tls`, `tls-ca`).

use super::provider::{self, NotReady, Related};
use super::{PROVIDED_SECRETS, REQUESTED_SECRETS};
use crate::juju::{HookTools, RelationRef, ToolError};
use crate::secret::Secret;

pub const CONNECT_ENDPOINT: &str = "connect-client";
/// data_interfaces' `PLUGIN_URL_NOT_REQUIRED`.
pub const PLUGIN_URL_NOT_REQUIRED: &str = "NOT-REQUIRED";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectData {
    /// REST base URLs, in the provider's order (tried in turn).
    pub endpoints: Vec<String>,
    pub username: String,
    pub password: Secret,
    /// Kafka Connect's CA (PEM), required when an endpoint is `https://`.
    pub ca_pem: Option<String>,
}

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
            ("plugin-url", PLUGIN_URL_NOT_REQUIRED),
        ],
    )
}

pub fn read(
    tools: &dyn HookTools,
    rel: &RelationRef,
    remote_app: &str,
) -> Result<Related<ConnectData>, ToolError> {
    let data = provider::read_ready(tools, rel, remote_app)?.and_then(|f| {
        let endpoints: Vec<String> = f
            .get("endpoints")
            .unwrap_or_default()
            .split(',')
            .map(|e| e.trim().trim_end_matches('/').to_string())
            .filter(|e| !e.is_empty())
            .collect();
        if let Some(bad) = endpoints
            .iter()
            .find(|e| !e.starts_with("http://") && !e.starts_with("https://"))
        {
            return Err(NotReady::Invalid {
                field: "endpoints",
                reason: format!("{bad:?} is not an http(s) URL"),
            });
        }
        let ca_pem = provider::pem_ca(f.get("tls-ca"));
        if ca_pem.is_none() && endpoints.iter().any(|e| e.starts_with("https://")) {
            // Kafka Connect sends its CA in `secret-tls`; until then its certificate cannot be
            // verified, and verification is never switched off.
            return Err(NotReady::Missing(vec!["tls-ca"]));
        }
        Ok(ConnectData {
            endpoints,
            username: f.get("username").unwrap_or_default().to_string(),
            password: Secret::new(f.get("password").unwrap_or_default()),
            ca_pem,
        })
    });
    Ok(Related {
        rel: rel.clone(),
        app: remote_app.to_string(),
        data,
    })
}
