//! `kafka_client` requirer for `source` and `target` (relations.md §1–§3).
//!
//! Request (leader, app databag): `requested-secrets`, `provided-secrets`, `topic` =
//! `__mirrormaker-user`, `extra-user-roles` = `admin` — what Canonical's MirrorMaker integrator
//! asks for (§1.2). Answer: `endpoints`, `tls`, `secret-user` (`username`, `password`),
//! `secret-tls` (`tls-ca`). Ready ⇔ endpoints, username and password are all non-empty.

use super::provider::{self, NotReady, Related};
use super::{PROVIDED_SECRETS, REQUESTED_SECRETS};
use crate::juju::{HookTools, RelationRef, ToolError};
use crate::mirror::values::{has_placeholder, parse_bootstrap};
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
    /// `host:port,host:port`, checked, items trimmed.
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

/// Reads the provider's answer on one relation. What cannot be trusted (a bootstrap list
/// that is not `host:port,…`, a `${` placeholder, a CA that is not X.509) makes the data
/// [`NotReady::Invalid`], naming the field and never quoting a secret.
pub fn read(
    tools: &dyn HookTools,
    rel: &RelationRef,
    remote_app: &str,
) -> Result<Related<KafkaData>, ToolError> {
    let (secrets, fields) = provider::read_ready(tools, rel, remote_app)?;
    Ok(Related {
        rel: rel.clone(),
        app: remote_app.to_string(),
        secrets,
        data: fields.and_then(|f| kafka_data(&f)),
    })
}

/// The typed, checked answer.
fn kafka_data(f: &provider::Fields) -> Result<KafkaData, NotReady> {
    let invalid = |field: &'static str, reason: String| NotReady::Invalid { field, reason };
    let bootstrap = parse_bootstrap(f.get("endpoints").unwrap_or_default())
        .map_err(|why| invalid("endpoints", why))?;
    let username = f.get("username").unwrap_or_default();
    let password = f.get("password").unwrap_or_default();
    for (field, value) in [("username", username), ("password", password)] {
        if has_placeholder(value) {
            return Err(invalid(field, PLACEHOLDER_REASON.into()));
        }
    }
    let tls = provider::tls_on(f.get("tls"));
    // Charmed Kafka 3 puts `enabled` in `tls-ca`, never its CA: the CA then comes from
    // `receive-ca-cert` (the gate decides; docs/spec/relations.md §2.1). A PEM is trusted only
    // when every block of it parses as X.509; only the blocks are kept.
    let ca_pem = match provider::pem_ca(f.get("tls-ca")).filter(|_| tls) {
        Some(text) => Some(
            crate::pem::certificates(&text)
                .map_err(|why| invalid("tls-ca", why))?
                .concat(),
        ),
        None => None,
    };
    Ok(KafkaData {
        bootstrap,
        username: username.to_string(),
        password: Secret::new(password),
        tls,
        ca_pem,
    })
}

/// Why a value with `${` is refused (never quoting it).
pub(crate) const PLACEHOLDER_REASON: &str = "contains '${' (config providers would expand it)";
