//! [`ConnectError`]: what can go wrong talking to Kafka Connect, worded for the operator.
//!
//! Pure. Every message that came from Connect is redacted before it is stored in an error,
//! so `Display`/`Debug` never show a password or PEM block. Two wordings:
//! * `Display`: the whole story for the debug log and the `status` action (the operation,
//!   the attempts, the HTTP client's error chain);
//! * [`ConnectError::summary`]: one cause and one endpoint, short enough for a Juju status.

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
    /// `endpoint` and `cause` are the short form ([`ConnectError::summary`]); `last` is the
    /// whole line of the last failure, for the log.
    #[error("kafka connect {op}: gave up after {attempts} attempt(s): {last}; will retry at the next hook")]
    GaveUp {
        op: String,
        attempts: u32,
        endpoint: String,
        cause: String,
        last: String,
    },
    /// TLS verification of Connect's certificate failed (never retried: it will not pass by
    /// itself within a hook, and verification is never switched off).
    #[error("kafka connect {op}: {endpoint} {problem}")]
    Certificate {
        op: String,
        endpoint: String,
        problem: CertProblem,
    },
    /// A 2xx answer that does not parse as the expected entity.
    #[error("kafka connect {op}: unexpected response: {message}")]
    Decode { op: String, message: String },
    /// A 3xx: redirects are never followed (they could carry our basic auth elsewhere).
    /// `location` is the target without any userinfo, cut short.
    #[error("kafka connect {op}: {endpoint} answered {status}, a redirect to {location} (redirects are not followed)")]
    Redirect {
        op: String,
        endpoint: String,
        status: u16,
        location: String,
    },
    /// The answer was larger than the cap; reading stopped there.
    #[error("kafka connect {op}: {endpoint} sent an answer larger than the {} MiB cap", cap >> 20)]
    TooLarge {
        op: String,
        endpoint: String,
        cap: usize,
    },
}

impl ConnectError {
    /// One cause, one endpoint, no operation name and no error chain: what a status shows
    /// after "Kafka Connect ". The whole story is the `Display` text (logged).
    pub fn summary(&self) -> String {
        match self {
            ConnectError::Setup(m) => format!("relation data is invalid: {m}"),
            ConnectError::NotFound { message, .. } => format!("answered 404: {message}"),
            ConnectError::Http {
                status, message, ..
            } => format!("answered {status}: {message}"),
            ConnectError::Unauthorized { .. } => "refused our credentials (401); \
                 it reads new users only when it restarts"
                .to_string(),
            ConnectError::GaveUp {
                endpoint, cause, ..
            } => format!("{endpoint}: {cause}"),
            ConnectError::Certificate {
                endpoint, problem, ..
            } => format!("{endpoint} {problem}"),
            ConnectError::Decode { .. } => "sent an answer that is not Kafka Connect's".into(),
            ConnectError::Redirect {
                endpoint,
                status,
                location,
                ..
            } => format!("{endpoint} redirects ({status}) to {location}; not followed"),
            ConnectError::TooLarge { endpoint, cap, .. } => {
                format!("{endpoint} sent more than the {} MiB cap", cap >> 20)
            }
        }
    }
}

/// Why Connect's certificate did not verify, from rustls' verdict.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CertProblem {
    /// Signed by no CA we trust: the remedy is a CA (secret-tls, receive-ca-cert).
    #[error("serves a certificate signed by an unknown CA")]
    UnknownIssuer,
    #[error("serves an expired or not yet valid certificate")]
    Expired,
    #[error("serves a certificate that is not valid for its address")]
    WrongName,
    #[error("serves a certificate that fails verification ({0})")]
    Other(String),
}

impl CertProblem {
    /// The certificate problem behind an error chain from the HTTP client, if it is one.
    /// rustls' error sits inside (nested) `io::Error`s, whose `source()` skips it, so each
    /// `io::Error` is opened with `get_ref()`.
    pub(super) fn of(e: &(dyn std::error::Error + 'static)) -> Option<CertProblem> {
        use rustls::CertificateError as C;
        let mut next = Some(e);
        while let Some(err) = next {
            // Open nested io::Errors (hyper wraps tokio-rustls' InvalidData in an Other).
            let mut inner: &(dyn std::error::Error + 'static) = err;
            while let Some(wrapped) = inner
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                inner = wrapped;
            }
            let tls = inner.downcast_ref::<rustls::Error>();
            if let Some(rustls::Error::InvalidCertificate(c)) = tls {
                return Some(match c {
                    // A CA we do not trust with the same name as one we do (a regenerated
                    // self-signed CA) fails on the signature rather than the issuer.
                    C::UnknownIssuer | C::BadSignature => CertProblem::UnknownIssuer,
                    C::Expired
                    | C::ExpiredContext { .. }
                    | C::NotValidYet
                    | C::NotValidYetContext { .. } => CertProblem::Expired,
                    C::NotValidForName | C::NotValidForNameContext { .. } => CertProblem::WrongName,
                    other => CertProblem::Other(format!("{other:?}")),
                });
            }
            next = err.source();
        }
        None
    }
}
