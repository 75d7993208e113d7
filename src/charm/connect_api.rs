//! The driver's seam to Kafka Connect: the calls a pass needs, synchronous, with one
//! operator-facing error. The real implementation wraps [`crate::connect`]; in-process tests
//! use an in-memory Connect.

use crate::connect::{CertProblem, ConnectorOffsets};
use crate::mirror::DesiredConnector;
use crate::plan::Actual;
use crate::relations::ConnectData;
use std::collections::BTreeMap;
use thiserror::Error;

/// A Kafka Connect call failed; the message is already redacted and says what to check.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct ConnectFailure {
    pub kind: FailureKind,
    /// One cause, short enough for a status.
    pub message: String,
    /// The whole story (operation, attempts, endpoints, Connect's own text; redacted), for the
    /// `status` action and the debug log.
    pub detail: Option<String>,
}

/// What kind of failure, so that the status can name the remedy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// Unreachable, rebalancing, timing out: a later hook may succeed.
    Unavailable,
    /// Our credentials were refused for the whole time budget.
    Refused,
    /// Connect refused a request for good (400, unknown plugin, bad relation data, an answer
    /// that does not parse): retrying the same thing will not help.
    Invalid,
    /// Connect's certificate did not verify with the CAs we trust.
    Certificate(CertProblem),
}

impl ConnectFailure {
    pub fn unavailable(message: impl Into<String>) -> ConnectFailure {
        ConnectFailure {
            kind: FailureKind::Unavailable,
            message: message.into(),
            detail: None,
        }
    }
}

pub trait ConnectApi {
    /// Every connector with its stored config and status (foreign ones included).
    fn list(&self) -> Result<Actual, ConnectFailure>;
    /// The connectors `keep` accepts; `expected` names the ones that should exist, so the real
    /// client can answer with one request in the steady state and fall back to more only when
    /// one of them is missing from Connect's expanded list (kafka-connect.md §1.3).
    fn list_for(
        &self,
        expected: &[&str],
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Actual, ConnectFailure> {
        let _ = expected;
        let mut a = self.list()?;
        a.connectors.retain(|n, _| keep(n));
        Ok(a)
    }
    /// Connect's validation of a config: the error strings (empty = valid).
    fn validate(&self, connector: &DesiredConnector) -> Result<Vec<String>, ConnectFailure>;
    /// Create or replace a connector's config.
    fn put(&self, name: &str, config: &BTreeMap<String, String>) -> Result<(), ConnectFailure>;
    /// Delete a connector; an absent one counts as deleted.
    fn delete(&self, name: &str) -> Result<(), ConnectFailure>;
    /// `PUT …/pause` (asynchronous; idempotent).
    fn pause(&self, name: &str) -> Result<(), ConnectFailure>;
    /// `PUT …/stop` (Connect 3.5+; keeps offsets; idempotent).
    fn stop(&self, name: &str) -> Result<(), ConnectFailure>;
    /// `POST /connectors` with `initial_state: STOPPED` (Connect 3.7+): the connector exists
    /// and runs no task until resumed.
    fn create_stopped(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<(), ConnectFailure>;
    /// Waits (bounded) until `from` is STOPPED with no tasks, so its last offsets are
    /// committed, then copies its source offsets to `to` (STOPPED). Returns how many
    /// partitions were copied (KIP-875, Connect 3.6+).
    fn carry_offsets(&self, from: &str, to: &str) -> Result<usize, ConnectFailure>;
    /// `GET …/offsets`: the source offsets Connect holds for a connector (KIP-875, Connect
    /// 3.6+), read by the `lag` action. Clients that cannot read them say so.
    fn source_offsets(&self, name: &str) -> Result<ConnectorOffsets, ConnectFailure> {
        Err(ConnectFailure {
            kind: FailureKind::Invalid,
            message: format!("cannot read the offsets of '{name}' through this client"),
            detail: None,
        })
    }
    /// `PUT …/resume` (PAUSED or STOPPED → RUNNING).
    fn resume(&self, name: &str) -> Result<(), ConnectFailure>;
    /// `POST …/restart?includeTasks=&onlyFailed=`.
    fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), ConnectFailure>;
}

/// Builds a [`ConnectApi`] for what the `connect-client` relation sent.
pub type ConnectFactory<'a> =
    &'a dyn Fn(&ConnectData) -> Result<Box<dyn ConnectApi>, ConnectFailure>;
