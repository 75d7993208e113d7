//! Kafka Connect REST client: the only code that talks to Connect.
//!
//! Does I/O (HTTP over reqwest, async; drive it with a current-thread tokio runtime, e.g.
//! [`runtime`]). Built from the `connect_client` relation data ([`ConnectSettings`]):
//! * TLS is verified with ONLY the relation's CA as root when one is given; an `http://`
//!   endpoint uses no TLS; an `https://` endpoint without a CA uses the platform trust
//!   store. Verification is never disabled.
//! * Every advertised endpoint is tried in turn (failover on connection errors, 5xx and the
//!   Jetty startup 404); rebalance answers (409, 500 "rebalance is expected") and the startup
//!   404 are retried with exponential backoff while the budget lasts; what does not pass
//!   within seconds (refused connection, no answer, 401, 500 "Request timed out") gets one
//!   retry (transport.rs).
//! * A [`Budget`] (4 s without an answer, per hook) bounds everything, including each
//!   request's timeout, so a hook with Connect down ends within it.
//! * Answers are read up to a cap ([`MAX_BODY`], 8 MiB) enforced while streaming.
//! * Errors ([`ConnectError`]) never contain a password: every message from Connect is
//!   passed through [`crate::mirror::sensitive::redact_text`] with the client's own password
//!   and any secrets registered with [`ConnectClient::redacting`].

mod client;
pub mod entities;
mod error;
mod offsets;
mod text;
pub(crate) mod tls;
pub mod trace;
mod transport;

pub use client::{
    runtime, Budget, ConnectClient, ConnectSettings, Listed, Listing, PutOutcome, RetryPolicy,
    MAX_BODY, MAX_ERROR_BODY,
};
pub use entities::{
    decode_expanded, ConfigInfo, ConfigInfos, ConfigValueInfo, ConnectorInfo, ConnectorStateInfo,
    ConnectorTaskId, ErrorBody, Expanded, PluginInfo, ServerInfo, StateInfo, TaskStateInfo,
};
pub use error::{CertProblem, ConnectError};
pub use offsets::{ConnectorOffsets, PartitionOffset};

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tls_tests;
