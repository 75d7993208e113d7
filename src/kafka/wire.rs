//! One blocking connection to one broker: TCP (+ rustls), Kafka's size-prefixed frames,
//! request/response headers, SASL/SCRAM-SHA-512. Every read and write has a timeout no
//! longer than what is left of the client's budget; frames larger than the cap are refused
//! before anything is allocated.

use super::scram::Scram;
use super::{KafkaFailure, KafkaFailureKind};
use crate::secret::{redact, Secret};
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, FetchRequest, FetchResponse, FindCoordinatorRequest, FindCoordinatorResponse,
    ListGroupsRequest, ListGroupsResponse, ListOffsetsRequest, ListOffsetsResponse,
    MetadataRequest, MetadataResponse, OffsetFetchRequest, OffsetFetchResponse, RequestHeader,
    ResponseHeader, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
    SaslHandshakeResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A request this client sends, its API key, response type and the one version we speak.
/// (kafka-protocol's own `Request` trait needs its `broker` feature.) The versions are ones
/// Kafka 3.x and 4.x both serve (KIP-896 removed only older ones).
pub trait Request: Encodable + HeaderVersion {
    const KEY: ApiKey;
    const VERSION: i16;
    type Response: Decodable + HeaderVersion;
}

macro_rules! requests {
    ($($req:ident => $resp:ident, $key:ident, $v:literal;)*) => {$(
        impl Request for $req {
            const KEY: ApiKey = ApiKey::$key;
            const VERSION: i16 = $v;
            type Response = $resp;
        }
    )*};
}

requests! {
    SaslHandshakeRequest => SaslHandshakeResponse, SaslHandshake, 1;
    SaslAuthenticateRequest => SaslAuthenticateResponse, SaslAuthenticate, 2;
    MetadataRequest => MetadataResponse, Metadata, 12;
    ListOffsetsRequest => ListOffsetsResponse, ListOffsets, 7;
    ListGroupsRequest => ListGroupsResponse, ListGroups, 4;
    FindCoordinatorRequest => FindCoordinatorResponse, FindCoordinator, 4;
    OffsetFetchRequest => OffsetFetchResponse, OffsetFetch, 8;
    FetchRequest => FetchResponse, Fetch, 12;
}

/// How to reach and authenticate to one cluster.
#[derive(Clone)]
pub struct Credentials {
    /// For messages: the cluster alias.
    pub cluster: String,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub username: String,
    pub password: Secret,
}

/// When the client must give up, and the longest single wait.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub deadline: Instant,
    pub io_timeout: Duration,
    pub max_frame: usize,
}

impl Budget {
    /// The timeout for the next socket operation, or Unavailable when the budget is spent.
    fn next_wait(&self, what: &str) -> Result<Duration, KafkaFailure> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(KafkaFailure::new(
                KafkaFailureKind::Unavailable,
                format!("{what}: out of time"),
            ));
        }
        Ok(left.min(self.io_timeout))
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn socket(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(b).and_then(|()| s.flush()),
            Stream::Tls(s) => s.write_all(b).and_then(|()| s.flush()),
        }
    }
    fn read_exact(&mut self, b: &mut [u8]) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.read_exact(b),
            Stream::Tls(s) => s.read_exact(b),
        }
    }
}

/// One authenticated connection to one broker.
pub struct Conn {
    stream: Stream,
    /// `alias (host:port)`, for messages.
    at: String,
    correlation: i32,
    budget: Budget,
    password: Secret,
}

/// An I/O error as a failure at `at`: a certificate problem is its own kind (the remedy is
/// the CA, not a retry); a timeout or reset is Unavailable.
fn io_failure(at: &str, what: &str, e: &std::io::Error) -> KafkaFailure {
    let tls = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::InvalidCertificate(c)) => KafkaFailure::new(
            KafkaFailureKind::Certificate,
            format!("{at}: the broker's certificate does not verify with the cluster's CA ({c:?})"),
        ),
        Some(t) => KafkaFailure::new(
            KafkaFailureKind::Unavailable,
            format!("{at}: {what}: TLS: {t}"),
        ),
        None => KafkaFailure::new(KafkaFailureKind::Unavailable, format!("{at}: {what}: {e}")),
    }
}

fn invalid(at: &str, why: impl std::fmt::Display) -> KafkaFailure {
    KafkaFailure::new(KafkaFailureKind::Invalid, format!("{at}: {why}"))
}

impl Conn {
    /// Connects to `addr` (`host:port`), sets up TLS when asked, authenticates.
    pub fn open(addr: &str, creds: &Credentials, budget: Budget) -> Result<Conn, KafkaFailure> {
        let at = format!("{} ({addr})", creds.cluster);
        let sock = connect(&at, addr, &budget)?;
        let _ = sock.set_nodelay(true);
        let stream = match &creds.tls {
            Some(cfg) => {
                let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let name =
                    rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| {
                        invalid(&at, format!("'{host}' is not a TLS server name ({e})"))
                    })?;
                let conn = rustls::ClientConnection::new(cfg.clone(), name)
                    .map_err(|e| invalid(&at, format!("TLS setup failed ({e})")))?;
                Stream::Tls(Box::new(rustls::StreamOwned::new(conn, sock)))
            }
            None => Stream::Plain(sock),
        };
        let mut conn = Conn {
            stream,
            at,
            correlation: 0,
            budget,
            password: creds.password.clone(),
        };
        conn.authenticate(&creds.username)?;
        Ok(conn)
    }

    fn set_timeouts(&self, what: &str) -> Result<(), KafkaFailure> {
        let wait = self.budget.next_wait(&format!("{}: {what}", self.at))?;
        let s = self.stream.socket();
        s.set_read_timeout(Some(wait))
            .and_then(|()| s.set_write_timeout(Some(wait)))
            .map_err(|e| io_failure(&self.at, what, &e))
    }

    /// Sends one request, reads its response (same correlation id, at most `max_frame` bytes).
    pub fn call<R: Request>(&mut self, req: &R) -> Result<R::Response, KafkaFailure> {
        let what = format!("{:?} request", R::KEY);
        self.correlation = self.correlation.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY as i16)
            .with_request_api_version(R::VERSION)
            .with_correlation_id(self.correlation)
            .with_client_id(Some(StrBytes::from_static_str("mirrormaker-integrator")));
        let mut frame = BytesMut::new();
        frame.put_i32(0);
        header
            .encode(&mut frame, R::header_version(R::VERSION))
            .and_then(|()| req.encode(&mut frame, R::VERSION))
            .map_err(|e| invalid(&self.at, format!("cannot encode the {what} ({e})")))?;
        let len = i32::try_from(frame.len() - 4)
            .map_err(|_| invalid(&self.at, format!("the {what} is too large")))?;
        frame[..4].copy_from_slice(&len.to_be_bytes());
        self.set_timeouts(&what)?;
        self.stream
            .write_all(&frame)
            .map_err(|e| io_failure(&self.at, &what, &e))?;
        let mut body = self.read_frame(&what)?;
        let header = ResponseHeader::decode(&mut body, R::Response::header_version(R::VERSION))
            .map_err(|e| invalid(&self.at, format!("unreadable answer to the {what} ({e})")))?;
        if header.correlation_id != self.correlation {
            return Err(invalid(
                &self.at,
                format!("answer to the {what} is out of order"),
            ));
        }
        R::Response::decode(&mut body, R::VERSION)
            .map_err(|e| invalid(&self.at, format!("unreadable answer to the {what} ({e})")))
    }

    fn read_frame(&mut self, what: &str) -> Result<Bytes, KafkaFailure> {
        let mut len = [0u8; 4];
        self.stream
            .read_exact(&mut len)
            .map_err(|e| io_failure(&self.at, what, &e))?;
        let len = i32::from_be_bytes(len);
        let len = usize::try_from(len)
            .ok()
            .filter(|n| *n <= self.budget.max_frame)
            .ok_or_else(|| {
                invalid(
                    &self.at,
                    format!(
                        "answer to the {what} of {len} bytes refused (limit {} bytes)",
                        self.budget.max_frame
                    ),
                )
            })?;
        let mut buf = vec![0u8; len];
        self.set_timeouts(what)?;
        self.stream
            .read_exact(&mut buf)
            .map_err(|e| io_failure(&self.at, what, &e))?;
        Ok(Bytes::from(buf))
    }

    /// SASL handshake + SCRAM-SHA-512 (KIP-84/KIP-152), verifying the server's signature.
    fn authenticate(&mut self, username: &str) -> Result<(), KafkaFailure> {
        let mechanism = "SCRAM-SHA-512";
        let hs = self.call(
            &SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism)),
        )?;
        if hs.error_code != 0 {
            let offered: Vec<String> = hs.mechanisms.iter().map(ToString::to_string).collect();
            return Err(invalid(
                &self.at,
                format!(
                    "the broker does not offer {mechanism} (offers: {})",
                    offered.join(", ")
                ),
            ));
        }
        let refused = |at: &str, why: String| {
            KafkaFailure::new(KafkaFailureKind::Refused, format!("{at}: {why}"))
        };
        let mut scram = Scram::new(username, &self.password).map_err(|e| invalid(&self.at, e))?;
        let first = self.sasl_step(scram.first())?;
        let last = scram
            .finish(&first)
            .map_err(|e| refused(&self.at, e.to_string()))?;
        let fin = self.sasl_step(last)?;
        scram
            .verify(&fin)
            .map_err(|e| refused(&self.at, e.to_string()))
    }

    /// One SaslAuthenticate round trip; the broker's error text, redacted, on refusal.
    fn sasl_step(&mut self, bytes: Vec<u8>) -> Result<Vec<u8>, KafkaFailure> {
        let r =
            self.call(&SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(bytes)))?;
        if r.error_code != 0 {
            let text = r.error_message.map(|m| m.to_string()).unwrap_or_default();
            let text = redact(&text, &[&self.password]);
            return Err(KafkaFailure::new(
                KafkaFailureKind::Refused,
                format!(
                    "{}: credentials refused (error {}: {text})",
                    self.at, r.error_code
                ),
            ));
        }
        Ok(r.auth_bytes.to_vec())
    }
}

/// TCP connect to the first address of `addr` that answers within the budget.
fn connect(at: &str, addr: &str, budget: &Budget) -> Result<TcpStream, KafkaFailure> {
    let addrs = addr.to_socket_addrs().map_err(|e| {
        KafkaFailure::new(
            KafkaFailureKind::Unavailable,
            format!("{at}: cannot resolve ({e})"),
        )
    })?;
    let mut last = None;
    for a in addrs {
        let wait = budget.next_wait(at)?;
        match TcpStream::connect_timeout(&a, wait) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => io_failure(at, "connect", &e),
        None => KafkaFailure::new(KafkaFailureKind::Unavailable, format!("{at}: no address")),
    })
}
