//! [`ConnectError`]: what can go wrong talking to Kafka Connect, worded for the operator.
//!
//! Pure. Every message that came from Connect is redacted before it is stored in an error,
//! so `Display`/`Debug` never show a password or PEM block.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The relation data cannot make a client (bad endpoint URL, unreadable CA).
    #[error("invalid connect-client relation data: {0}")]
    Setup(String),
    /// Connect answered 404 with its JSON error body (unknown connector, unknown plugin).
    #[error("kafka connect {op}: {message} (404)")]
    NotFound { op: String, message: String },
    /// Connect refused the request for good (400, 405, 500 for an unknown class, …).
    #[error("kafka connect {op}: {message} (HTTP {status})")]
    Http {
        op: String,
        status: u16,
        message: String,
    },
    /// Still 401 when the budget ran out (new users need a Connect restart, §3.5).
    #[error(
        "kafka connect {op}: the credentials from the connect-client relation were refused ({message}); \
         Kafka Connect reads new users only when it restarts"
    )]
    Unauthorized { op: String, message: String },
    /// Retryable conditions (rebalance, startup, unreachable) lasted past the budget.
    #[error("kafka connect {op}: gave up after {attempts} attempt(s): {last}; will retry at the next hook")]
    GaveUp {
        op: String,
        attempts: u32,
        last: String,
    },
    /// A 2xx answer that does not parse as the expected entity.
    #[error("kafka connect {op}: unexpected response: {message}")]
    Decode { op: String, message: String },
}

impl ConnectError {
    /// True when the condition is expected to clear by itself (rebalance, startup, outage,
    /// credentials not yet loaded): report "waiting", not "blocked".
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ConnectError::GaveUp { .. } | ConnectError::Unauthorized { .. }
        )
    }
}
