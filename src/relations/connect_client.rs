//! `connect_client` requirer for `connect-client` (relations.md §4).
//!
//! Request (leader, app databag): `requested-secrets`, `provided-secrets` (Kafka Connect's v0
//! provider reads it to put credentials into secrets) and `plugin-url` = `NOT-REQUIRED`
//! (MirrorMaker 2 ships with Connect). Answer: `endpoints` (full URLs), `secret-user`
//! (`username`, `password` for HTTP basic auth), later `secret-tls` (`tls`, `tls-ca`).

use super::provider::{self, NotReady, Related};
use super::{PROVIDED_SECRETS, REQUESTED_SECRETS};
use crate::juju::{HookTools, RelationRef, ToolError};
use crate::mirror::values::shown;
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
    /// The CAs trusted for Connect's certificate (its `secret-tls` CA, then those of
    /// `receive-ca-cert`); empty = the platform trust store. Unused for `http://` endpoints.
    pub cas: Vec<TrustedCa>,
}

/// One CA certificate (PEM, parsed as X.509) and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedCa {
    pub source: CaSource,
    pub pem: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum CaSource {
    /// `tls-ca` of the connect-client relation's `secret-tls`.
    SecretTls,
    /// A `receive-ca-cert` relation with this application.
    Transfer(String),
}

impl std::fmt::Display for CaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaSource::SecretTls => f.write_str("secret-tls"),
            CaSource::Transfer(app) => write!(f, "receive-ca-cert {app}"),
        }
    }
}

impl ConnectData {
    /// Also trust `pems` (one certificate each) from `source`, skipping any already trusted.
    pub fn trust(&mut self, source: CaSource, pems: &[String]) {
        for pem in pems {
            if !self.cas.iter().any(|c| &c.pem == pem) {
                self.cas.push(TrustedCa {
                    source: source.clone(),
                    pem: pem.clone(),
                });
            }
        }
    }

    /// All trusted CAs as one PEM bundle, or `None` for the platform trust store.
    pub fn ca_bundle(&self) -> Option<String> {
        (!self.cas.is_empty()).then(|| self.cas.iter().map(|c| c.pem.as_str()).collect())
    }

    /// Where the trusted CAs came from, e.g. `secret-tls, receive-ca-cert tls`.
    pub fn ca_sources(&self) -> String {
        let mut sources: Vec<&CaSource> = self.cas.iter().map(|c| &c.source).collect();
        sources.dedup();
        sources
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
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
    let (secrets, fields) = provider::read_ready(tools, rel, remote_app)?;
    let data = fields.and_then(|f| {
        let endpoints =
            parse_endpoints(f.get("endpoints").unwrap_or_default()).map_err(|reason| {
                NotReady::Invalid {
                    field: "endpoints",
                    reason,
                }
            })?;
        let mut data = ConnectData {
            endpoints,
            username: f.get("username").unwrap_or_default().to_string(),
            password: Secret::new(f.get("password").unwrap_or_default()),
            cas: Vec::new(),
        };
        // Charmed Kafka Connect writes `secret-tls` only when its endpoints change, so an
        // https relation often has no CA here: `receive-ca-cert` or the platform trust store
        // then verify Connect (docs/spec/relations.md §4.3, §9). Verification is never off.
        // A CA that is not X.509 is refused (never trusted) and named in the debug log.
        if let Some(pem) = provider::pem_ca(f.get("tls-ca")) {
            match crate::pem::certificates(&pem) {
                Ok(certs) => data.trust(CaSource::SecretTls, &certs),
                Err(e) => tracing::warn!(
                    "{}:{} ({remote_app}): not trusted: the tls-ca of secret-tls: {e}",
                    rel.endpoint,
                    rel.id
                ),
            }
        }
        Ok(data)
    });
    Ok(Related {
        rel: rel.clone(),
        app: remote_app.to_string(),
        secrets,
        data,
    })
}

/// The most REST endpoints one relation may list (one per Connect worker).
const MAX_ENDPOINTS: usize = 64;

/// Connect's `endpoints`: comma-separated absolute `http(s)://host[:port]` URLs (a trailing
/// `/` is tolerated), normalised to `scheme://host:port` without a trailing slash. User info
/// is refused and never shown (the credentials come from `secret-user`); so are a path, a
/// query and a fragment, which would change which API the charm talks to.
pub fn parse_endpoints(raw: &str) -> Result<Vec<String>, String> {
    let items: Vec<&str> = raw.split(',').map(str::trim).collect();
    if items.len() > MAX_ENDPOINTS {
        return Err(format!("more than {MAX_ENDPOINTS} URLs"));
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let url = parse_endpoint(item)
            .map_err(|why| format!("item {} ({}) {why}", i + 1, shown(item)))?;
        if !out.contains(&url) {
            out.push(url);
        }
    }
    Ok(out)
}

/// One REST base URL, checked and normalised.
fn parse_endpoint(item: &str) -> Result<String, &'static str> {
    if item.is_empty() {
        return Err("is empty (a stray comma?)");
    }
    // The URL parser would silently drop tabs and newlines; refuse them instead.
    if item.chars().any(char::is_control) {
        return Err("has control characters");
    }
    let url = reqwest::Url::parse(item).map_err(|_| "is not an absolute URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("is not an http(s) URL");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("carries user info; the credentials come from secret-user");
    }
    if url.query().is_some() || url.fragment().is_some() || !matches!(url.path(), "" | "/") {
        return Err("has a path, query or fragment; write scheme://host:port");
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("has no host")?;
    let port = url.port_or_known_default().ok_or("has no port")?;
    Ok(format!("{}://{host}:{port}", url.scheme()))
}
