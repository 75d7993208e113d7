//! Kafka Connect REST client: the only code that talks to Connect.
//!
//! Does I/O (HTTP over reqwest, async; drive it with a current-thread tokio runtime, e.g.
//! [`runtime`]). Built from the `connect_client` relation data ([`ConnectSettings`]):
//! * TLS is verified with ONLY the relation's CA as root when one is given; an `http://`
//!   endpoint uses no TLS; an `https://` endpoint without a CA uses the platform trust
//!   store. Verification is never disabled.
//! * Every advertised endpoint is tried in turn (failover on connection errors, 5xx and the
//!   Jetty startup 404); rebalance answers (409, 500 "rebalance is expected"), the startup
//!   404, timeouts and transient 401s are retried with exponential backoff.
//! * A [`Budget`] (deadline per hook, default 60 s) bounds everything, including each
//!   request's timeout, so a hook never hangs.
//! * Errors ([`ConnectError`]) never contain a password: every message from Connect is
//!   passed through [`crate::mirror::sensitive::redact_text`] with the client's own password
//!   and any secrets registered with [`ConnectClient::redacting`].

mod client;
pub mod entities;
mod error;
mod offsets;
mod text;
mod tls;
pub mod trace;
mod transport;

pub use client::{
    runtime, Budget, ConnectClient, ConnectSettings, Listed, Listing, PutOutcome, RetryPolicy,
};
pub use entities::{
    decode_expanded, ConfigInfo, ConfigInfos, ConfigValueInfo, ConnectorInfo, ConnectorStateInfo,
    ConnectorTaskId, ErrorBody, Expanded, PluginInfo, ServerInfo, StateInfo, TaskStateInfo,
};
pub use error::{CertProblem, ConnectError};
pub use offsets::{ConnectorOffsets, PartitionOffset};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tls_tests;
