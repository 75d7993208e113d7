//! What Kafka Connect received: its REST request log.
//!
//! Connect 3.9's `RestServer` hands Jetty a `CustomRequestLog` in the extended NCSA format plus
//! the latency (`EXTENDED_NCSA_FORMAT + " %{ms}T"`), written through SLF4J at INFO under the
//! logger `org.apache.kafka.connect.runtime.rest.RestServer`. The bed's log4j config sends that
//! logger (message only) to `RUNDIR/connect/requests.log` as well as to `connect.log`, one line
//! per request Jetty answered:
//!
//! ```text
//! 127.0.0.1 - - [02/Dec/2026:10:45:27 +0000] "PUT /connectors/x/config HTTP/1.1" 200 1234 "-" "reqwest" 15
//! ```
//!
//! Jetty writes the line when the exchange completes, a moment after the client has its
//! answer, so [`crate::Bed::connect_requests_mark`] and [`crate::Bed::connect_requests_since`]
//! send a sentinel request (`GET /?kafka-bed-mark=<n>`) to every running worker and wait for
//! its line: every request answered before the call is then in the logs.
//!
//! With several workers each has its own log, and a request may cross two: a follower
//! forwards a write to the group leader with `?forward=…` (RestServer's hop counter), and a
//! worker running a connector posts its task configs to the leader (`POST
//! /connectors/<n>/tasks`). Those hops are [`RestRequest::is_internal`]; [`tally`] counts only
//! what clients sent.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::process::poll_until;
use crate::rest::ConnectClient;
use crate::{err, Result};

/// The query parameter of sentinel requests (never counted as requests).
pub const MARK_PARAM: &str = "kafka-bed-mark";

/// One request as Connect logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestRequest {
    pub method: String,
    /// Percent-decoded path, without the query.
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    /// Time Jetty took to answer, in milliseconds (the `%{ms}T` field).
    pub millis: Option<u64>,
    /// The log line as written.
    pub line: String,
    /// The worker (1-based) whose log holds the line.
    pub worker: usize,
    /// The `User-Agent` the client sent (`None` for `-`): `kafka-bed` for the bed's own
    /// requests (readiness polls, provisioning, tests' admin calls), `kafka-connect` for a hop
    /// between workers.
    pub agent: Option<String>,
}

impl RestRequest {
    /// `PUT /connector-plugins/<class>/config/validate` → the class (validation of a config).
    pub fn validated_class(&self) -> Option<&str> {
        if self.method != "PUT" {
            return None;
        }
        let rest = self.path.strip_prefix("/connector-plugins/")?;
        let class = rest.strip_suffix("/config/validate")?;
        (!class.is_empty() && !class.contains('/')).then_some(class)
    }

    /// `PUT /connectors/<name>/config` → the connector name (create or replace a config).
    pub fn config_put(&self) -> Option<&str> {
        if self.method != "PUT" {
            return None;
        }
        let rest = self.path.strip_prefix("/connectors/")?;
        let name = rest.strip_suffix("/config")?;
        (!name.is_empty() && !name.contains('/')).then_some(name)
    }

    /// Anything but GET/HEAD/OPTIONS: a request that may change Connect (validate included).
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }

    /// A request one worker sent another, not a client: a forwarded hop (`?forward=`), a task
    /// config post (`POST /connectors/<n>/tasks`) or a fencing request (`PUT …/fence`).
    pub fn is_internal(&self) -> bool {
        let forwarded = self
            .query
            .as_deref()
            .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("forward=")));
        let under_connector = |method: &str, tail: &str| {
            self.method == method
                && self
                    .path
                    .strip_prefix("/connectors/")
                    .and_then(|r| r.strip_suffix(tail))
                    .is_some_and(|n| !n.is_empty() && !n.contains('/'))
        };
        forwarded || under_connector("POST", "/tasks") || under_connector("PUT", "/fence")
    }

    /// A request from a client (not internal) that may change Connect.
    pub fn is_client_write(&self) -> bool {
        self.is_write() && !self.is_internal()
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn is_sentinel(&self) -> bool {
        self.query
            .as_deref()
            .is_some_and(|q| q.split('&').any(|kv| kv.starts_with(MARK_PARAM)))
    }
}

/// The requests of a slice, counted the way tests ask about them: validations per connector
/// class and config PUTs per connector name, each as the list of statuses Connect answered to
/// the client (hops between workers left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub validate: BTreeMap<String, Vec<u16>>,
    pub config_put: BTreeMap<String, Vec<u16>>,
}

pub fn tally(requests: &[RestRequest]) -> Tally {
    let mut t = Tally::default();
    for r in requests.iter().filter(|r| !r.is_internal()) {
        if let Some(class) = r.validated_class() {
            t.validate
                .entry(class.to_string())
                .or_default()
                .push(r.status);
        } else if let Some(name) = r.config_put() {
            t.config_put
                .entry(name.to_string())
                .or_default()
                .push(r.status);
        }
    }
    t
}

/// Parses one request-log line; `None` for anything else the RestServer logger writes
/// (start-up messages and the like).
pub fn parse_line(line: &str) -> Option<RestRequest> {
    // `<client> - <user> [<time>] "<request line>" <status> <bytes> "<referer>" "<agent>" <ms>`
    let open = line.find("] \"")? + 3;
    let close = open + line[open..].find('"')?;
    let mut request = line[open..close].split(' ');
    let method = request.next()?.to_string();
    let target = request.next()?;
    if !request.next()?.starts_with("HTTP/") || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut after = line[close + 1..].split_whitespace();
    let status: u16 = after.next()?.parse().ok()?;
    let millis = line
        .split_whitespace()
        .next_back()
        .and_then(|t| t.parse().ok());
    let agent = line[close + 1..]
        .split('"')
        .nth(3)
        .filter(|a| !a.is_empty() && *a != "-")
        .map(String::from);
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (target, None),
    };
    Some(RestRequest {
        method,
        path: percent_decode(path),
        query,
        status,
        millis,
        line: line.to_string(),
        worker: 1,
        agent,
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied(), b.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A position in every worker's request log: every request answered before it was taken lies
/// before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestMark {
    /// Per worker, the byte offset in its log just after the sentinel's line (or the log's
    /// length when the worker was down).
    pub(crate) offsets: Vec<u64>,
}

static SENTINELS: AtomicU64 = AtomicU64::new(0);

/// How long a sentinel may take to appear (Connect may be restarting for a new REST user).
const SENTINEL_TIMEOUT: Duration = Duration::from_secs(240);

/// Sends a sentinel request and waits until its line is in `log`; returns the byte offset
/// just after that line.
pub(crate) fn sentinel(client: &ConnectClient, log: &Path) -> Result<u64> {
    let id = format!(
        "{}-{}",
        std::process::id(),
        SENTINELS.fetch_add(1, Ordering::Relaxed)
    );
    let needle = format!("?{MARK_PARAM}={id} ");
    let mut sent = false;
    poll_until(
        &format!("sentinel request {id} in {}", log.display()),
        SENTINEL_TIMEOUT,
        || {
            if !sent {
                // Connect may be restarting (a new REST user): retry until it answers.
                sent =
                    matches!(client.get(&format!("/?{MARK_PARAM}={id}")), Ok(r) if r.status == 200);
                return Ok(None);
            }
            let text = std::fs::read(log).unwrap_or_default();
            let text = String::from_utf8_lossy(&text);
            Ok(text.find(&needle).map(|at| {
                let end = text[at..].find('\n').map_or(text.len(), |n| at + n + 1);
                end as u64
            }))
        },
    )
}

/// The requests logged in `log` between byte offsets `from` and `to` (sentinels excluded),
/// tagged with `worker`.
pub(crate) fn between(log: &Path, from: u64, to: u64, worker: usize) -> Result<Vec<RestRequest>> {
    let bytes = match std::fs::read(log) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(err!("cannot read {}: {e}", log.display())),
    };
    let from = (from as usize).min(bytes.len());
    let to = (to as usize).clamp(from, bytes.len());
    Ok(String::from_utf8_lossy(&bytes[from..to])
        .lines()
        .filter_map(parse_line)
        .filter(|r| !r.is_sentinel())
        .map(|r| RestRequest { worker, ..r })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines as Connect 3.9 (Jetty 9.4 CustomRequestLog, extended NCSA + " %{ms}T") writes them.
    const VALIDATE: &str = r#"127.0.0.1 - - [02/Dec/2026:10:45:27 +0000] "PUT /connector-plugins/org.apache.kafka.connect.mirror.MirrorSourceConnector/config/validate HTTP/1.1" 200 20522 "-" "mirrormaker-integrator" 187"#;
    const PUT: &str = r#"127.0.0.1 - - [02/Dec/2026:10:45:28 +0000] "PUT /connectors/mirror_source_kafka-a_r7_ab/config HTTP/1.1" 409 84 "-" "-" 3"#;

    // proves the two requests tests count are recognised, with status and latency, and that
    // other RestServer lines and other paths are not mistaken for them
    #[test]
    fn parses_and_classifies() {
        let v = parse_line(VALIDATE).unwrap();
        assert_eq!(v.method, "PUT");
        assert_eq!(
            v.validated_class(),
            Some("org.apache.kafka.connect.mirror.MirrorSourceConnector")
        );
        assert_eq!(v.config_put(), None);
        assert_eq!((v.status, v.millis), (200, Some(187)));
        assert_eq!(v.agent.as_deref(), Some("mirrormaker-integrator"));
        assert_eq!(parse_line(PUT).unwrap().agent, None);
        let p = parse_line(PUT).unwrap();
        assert_eq!(p.config_put(), Some("mirror_source_kafka-a_r7_ab"));
        assert_eq!(p.validated_class(), None);
        assert!(!p.is_success() && p.is_write());
        assert!(parse_line("Added connector for https://127.0.0.1:8083").is_none());
        let get = parse_line(&PUT.replace(
            "PUT /connectors/mirror_source_kafka-a_r7_ab/config",
            "GET /connectors/x/config",
        ))
        .unwrap();
        assert_eq!(get.config_put(), None);
        assert!(!get.is_write());
        let pause = parse_line(&PUT.replace("/config HTTP", "/pause HTTP")).unwrap();
        assert_eq!(pause.config_put(), None);
        let t = tally(&[v.clone(), p.clone(), v, pause]);
        assert_eq!(t.validate.values().map(Vec::len).sum::<usize>(), 2);
        assert_eq!(t.config_put["mirror_source_kafka-a_r7_ab"], vec![409]);
    }

    // proves the hops between workers (a forwarded write, a task config post) are told apart
    // from what a client sent, and are not counted
    #[test]
    fn internal_hops_are_not_client_requests() {
        let fwd = parse_line(&PUT.replace("/config HTTP", "/config?forward=true HTTP")).unwrap();
        assert!(fwd.is_internal() && !fwd.is_client_write());
        let tasks = parse_line(&PUT.replace(
            "PUT /connectors/mirror_source_kafka-a_r7_ab/config",
            "POST /connectors/x/tasks",
        ))
        .unwrap();
        assert!(tasks.is_internal());
        let client = parse_line(PUT).unwrap();
        assert!(!client.is_internal() && client.is_client_write());
        let restart = parse_line(&PUT.replace(
            "PUT /connectors/mirror_source_kafka-a_r7_ab/config",
            "POST /connectors/x/restart",
        ))
        .unwrap();
        assert!(!restart.is_internal());
        let t = tally(&[fwd, client]);
        assert_eq!(t.config_put["mirror_source_kafka-a_r7_ab"], vec![409]);
    }

    // proves a query is split off, percent-escapes are decoded and sentinels are recognised
    #[test]
    fn query_and_escapes() {
        let line = VALIDATE.replace(
            "/connector-plugins/org.apache.kafka.connect.mirror.MirrorSourceConnector/config/validate",
            "/connectors/a%20b/config?forward=true",
        );
        let r = parse_line(&line).unwrap();
        assert_eq!(r.config_put(), Some("a b"));
        assert_eq!(r.query.as_deref(), Some("forward=true"));
        assert!(!r.is_sentinel());
        let s = parse_line(&VALIDATE.replace(
            "PUT /connector-plugins/org.apache.kafka.connect.mirror.MirrorSourceConnector/config/validate",
            "GET /?kafka-bed-mark=12-3",
        ))
        .unwrap();
        assert!(s.is_sentinel());
    }
}
