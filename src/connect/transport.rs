//! Transport of [`ConnectClient`]: one request with endpoint failover, retries and response
//! classification; every message is redacted before it is kept.
//!
//! Does I/O. Retry policy (kafka-connect.md §3; the figures in [`super::RetryPolicy`]): per
//! round, endpoints are tried in order.
//! * 2xx → done (its body read up to [`super::RetryPolicy::max_body`], the cap enforced while
//!   streaming); the hook's [`super::Budget`] starts again.
//! * Transient — passes by itself within seconds: 409 (rebalance / stale config / no leader),
//!   500 "rebalance is expected", 503, a follower that cannot forward to its leader, a 404
//!   without Connect's JSON (Jetty before the REST resources exist) → next endpoint, and more
//!   rounds while `max_rounds` and the budget allow.
//! * Persistent — does not pass within a hook: refused connection, no answer, 401 (Connect
//!   reads new users only when it restarts), 500 "Request timed out" (the herder has been
//!   busy for 90 s) → next endpoint, `persistent_rounds` rounds at most.
//! * This endpoint will not do: another 5xx, a redirect (never followed), an answer over the
//!   cap, a certificate that fails verification → next endpoint, no other round.
//! * Other 4xx and a JSON 404 → returned at once ([`ConnectError::NotFound`] / `Http`).
//!
//! Every operation this charm uses is idempotent (PUT config, DELETE with 404 = done,
//! pause/resume/stop, restart), so a retry after a timed-out write is safe.

use super::client::{ConnectClient, MAX_ERROR_BODY};
use super::entities::ErrorBody;
use super::text::{cause, chain, truncate};
use super::{CertProblem, ConnectError};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

/// What one request to one endpoint came to.
enum Attempt {
    /// A 2xx answer: status and body.
    Answer(StatusCode, String),
    /// The request timed out because the hook's budget ran out, not because Connect was slow.
    BudgetCut,
    Failed(Failure),
}

/// One failed attempt: the endpoint, the cause in a few words (status) and the whole line
/// (log), both redacted.
struct Seen {
    endpoint: String,
    cause: String,
    line: String,
}

/// One failed attempt, classified (see the module docs).
enum Failure {
    Transient(Seen),
    Persistent(Seen),
    /// Persistent, reported as refused credentials with Connect's message.
    Unauthorized(Seen, String),
    /// Try the next endpoint; no other round for this one.
    NextEndpoint(ConnectError),
    /// Return at once.
    Final(ConnectError),
}

/// What the rounds saw, to decide after each: retry, or which error.
#[derive(Default)]
struct Tally {
    /// This round: something that passes within seconds / something that might pass on a
    /// second try.
    transient: bool,
    persistent: bool,
    /// This round's 401 message, if any endpoint answered 401.
    unauthorized: Option<String>,
    /// First failure of the latest round that had one, and how many endpoints failed in it.
    first: Option<Seen>,
    failed: usize,
    last_line: Option<String>,
    /// The error of an endpoint that will not do; a certificate problem wins (it names the
    /// remedy).
    fatal: Option<ConnectError>,
}

impl Tally {
    fn new_round(&mut self) {
        self.transient = false;
        self.persistent = false;
        self.unauthorized = None;
        self.failed = 0;
    }

    fn note(&mut self, failure: Failure) {
        let seen = match failure {
            Failure::Transient(s) => {
                self.transient = true;
                s
            }
            Failure::Persistent(s) => {
                self.persistent = true;
                s
            }
            Failure::Unauthorized(s, message) => {
                self.persistent = true;
                self.unauthorized = Some(message);
                s
            }
            Failure::NextEndpoint(e) => {
                self.last_line = Some(e.to_string());
                if !matches!(self.fatal, Some(ConnectError::Certificate { .. })) {
                    self.fatal = Some(e);
                }
                return;
            }
            Failure::Final(_) => unreachable!("returned at once"),
        };
        self.last_line = Some(seen.line.clone());
        if self.failed == 0 {
            self.first = Some(seen);
        }
        self.failed += 1;
    }

    /// Whether the round just ended is worth another one.
    fn retry(&self, round: u32, policy: &super::RetryPolicy) -> bool {
        (self.transient && round < policy.max_rounds)
            || (self.persistent && round < policy.persistent_rounds.min(policy.max_rounds))
    }

    fn give_up(self, op: &str, attempts: u32, endpoints: &[String]) -> ConnectError {
        if let Some(message) = self.unauthorized {
            return ConnectError::Unauthorized {
                op: op.to_string(),
                message,
            };
        }
        match (self.first, self.fatal) {
            (Some(seen), _) => {
                let more = self.failed.saturating_sub(1);
                ConnectError::GaveUp {
                    op: op.to_string(),
                    attempts,
                    endpoint: if more > 0 {
                        format!("{} (+{more} more)", seen.endpoint)
                    } else {
                        seen.endpoint
                    },
                    cause: seen.cause,
                    last: self.last_line.unwrap_or(seen.line),
                }
            }
            (None, Some(e)) => e,
            (None, None) => ConnectError::GaveUp {
                op: op.to_string(),
                attempts,
                endpoint: endpoints.first().cloned().unwrap_or_default(),
                cause: "the hook's time budget was already spent".into(),
                last: "the hook's time budget was already spent".into(),
            },
        }
    }
}

impl ConnectClient {
    pub(super) fn decode<T: DeserializeOwned>(
        &self,
        op: &str,
        body: &str,
    ) -> Result<T, ConnectError> {
        serde_json::from_str(body).map_err(|e| ConnectError::Decode {
            op: op.to_string(),
            message: format!("{e} in {:?}", self.redact(&truncate(body, 200))),
        })
    }

    /// Send with failover and retries; returns the 2xx status and body text.
    pub(super) async fn call(
        &self,
        op: &str,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(StatusCode, String), ConnectError> {
        let policy = &self.policy;
        let mut backoff = policy.initial_backoff;
        let mut attempts = 0u32;
        let mut tally = Tally::default();
        let mut round = 0u32;
        'rounds: loop {
            round += 1;
            tally.new_round();
            for endpoint in &self.endpoints {
                if self.budget.is_exhausted() {
                    break 'rounds;
                }
                attempts += 1;
                match self.attempt(op, &method, endpoint, path, body).await {
                    Attempt::Answer(status, text) => {
                        self.budget.progress();
                        return Ok((status, text));
                    }
                    // The budget, not Connect, cut this one short: what was seen before is
                    // the failure worth reporting.
                    Attempt::BudgetCut if tally.last_line.is_some() => break 'rounds,
                    Attempt::BudgetCut => tally.note(Failure::Persistent(Seen {
                        endpoint: endpoint.clone(),
                        cause: "no answer within the hook's time budget".into(),
                        line: format!("{endpoint} did not answer within the hook's time budget"),
                    })),
                    Attempt::Failed(Failure::Final(e)) => return Err(e),
                    Attempt::Failed(f) => tally.note(f),
                }
            }
            if !tally.retry(round, policy) {
                break;
            }
            let pause = backoff.min(self.budget.remaining());
            if pause.is_zero() {
                break;
            }
            if let Some(line) = &tally.last_line {
                tracing::info!(
                    "kafka connect {op}: {line}; retrying in {} ms",
                    pause.as_millis()
                );
            }
            tokio::time::sleep(pause).await;
            backoff = (backoff * 2).min(policy.max_backoff);
        }
        Err(tally.give_up(op, attempts, &self.endpoints))
    }

    /// One request to one endpoint, its answer read (up to the cap) and classified.
    async fn attempt(
        &self,
        op: &str,
        method: &Method,
        endpoint: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Attempt {
        let timeout = if *method != Method::GET && self.budget.has_answered() {
            self.policy.write_timeout
        } else {
            self.policy.request_timeout.min(self.budget.remaining())
        };
        let mut req = self
            .http
            .request(method.clone(), format!("{endpoint}{path}"))
            .timeout(timeout)
            .header(reqwest::header::ACCEPT, "application/json")
            .basic_auth(&self.username, Some(self.password.expose()));
        if let Some(b) = body {
            req = req.json(b);
        }
        let mut resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => return self.unanswered(op, endpoint, &e, timeout),
        };
        let status = resp.status();
        if status.is_redirection() {
            return Attempt::Failed(Failure::NextEndpoint(ConnectError::Redirect {
                op: op.to_string(),
                endpoint: endpoint.to_string(),
                status: status.as_u16(),
                location: self.redact(&location(endpoint, resp.headers())),
            }));
        }
        let cap = if status.is_success() {
            self.policy.max_body
        } else {
            MAX_ERROR_BODY
        };
        let (bytes, whole) = match read_capped(&mut resp, cap).await {
            Ok(read) => read,
            Err(e) => return self.unanswered(op, endpoint, &e, timeout),
        };
        drop(resp);
        if status.is_success() && !whole {
            return Attempt::Failed(Failure::NextEndpoint(ConnectError::TooLarge {
                op: op.to_string(),
                endpoint: endpoint.to_string(),
                cap,
            }));
        }
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        if status.is_success() {
            Attempt::Answer(status, text)
        } else {
            Attempt::Failed(self.classify(op, endpoint, status, &text))
        }
    }

    /// A request that got no (whole) answer: a certificate that does not verify, the budget
    /// running out, or an endpoint that cannot be reached.
    fn unanswered(
        &self,
        op: &str,
        endpoint: &str,
        e: &reqwest::Error,
        timeout: std::time::Duration,
    ) -> Attempt {
        if e.is_timeout() && self.budget.is_exhausted() {
            return Attempt::BudgetCut;
        }
        if let Some(problem) = CertProblem::of(e) {
            return Attempt::Failed(Failure::NextEndpoint(ConnectError::Certificate {
                op: op.to_string(),
                endpoint: endpoint.to_string(),
                problem,
            }));
        }
        Attempt::Failed(Failure::Persistent(Seen {
            endpoint: endpoint.to_string(),
            cause: cause(e, self.policy.connect_timeout, timeout),
            line: format!("cannot reach {endpoint} ({})", self.redact(&chain(e))),
        }))
    }

    fn classify(&self, op: &str, endpoint: &str, status: StatusCode, text: &str) -> Failure {
        let code = status.as_u16();
        let json: Option<ErrorBody> = serde_json::from_str(text).ok();
        let message = self.redact(&match &json {
            Some(b) => b.message.clone(),
            None => truncate(text.trim(), 200),
        });
        let seen = |cause: &str| Seen {
            endpoint: endpoint.to_string(),
            cause: cause.to_string(),
            line: format!("{endpoint} answered {code} ({message})"),
        };
        match code {
            401 => Failure::Unauthorized(seen("refused our credentials (401)"), message.clone()),
            404 if json.is_none() => Failure::Transient(seen(
                "404 without Connect's JSON: still starting, or not Kafka Connect",
            )),
            404 => Failure::Final(ConnectError::NotFound {
                op: op.to_string(),
                message,
            }),
            409 => Failure::Transient(seen("rebalancing (409)")),
            500 if message.contains("rebalance is expected") => {
                Failure::Transient(seen("rebalancing (500)"))
            }
            500 if message.starts_with("Request timed out") => {
                Failure::Persistent(seen("busy: request timed out (500)"))
            }
            503 => Failure::Transient(seen("unavailable (503)")),
            // A follower could not read the leader's answer (e.g. the leader's 401, §3.1).
            500 if message.starts_with("IO Error trying to forward REST request") => {
                Failure::Transient(seen("cannot reach its leader (500)"))
            }
            c if c >= 500 => Failure::NextEndpoint(ConnectError::Http {
                op: op.to_string(),
                status: c,
                message,
            }),
            c => Failure::Final(ConnectError::Http {
                op: op.to_string(),
                status: c,
                message,
            }),
        }
    }
}

/// Reads a body up to `cap` bytes, chunk by chunk, so that memory stays bounded whatever the
/// endpoint sends: `(bytes, true)` when it was whole, `(first cap bytes, false)` when it was
/// longer (a `Content-Length` over the cap is refused before reading anything).
async fn read_capped(
    resp: &mut reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let declared = resp.content_length().unwrap_or(0);
    if declared > cap as u64 {
        return Ok((Vec::new(), false));
    }
    let mut out = Vec::with_capacity(declared as usize);
    while let Some(chunk) = resp.chunk().await? {
        let room = cap - out.len();
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, false));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, true))
}

/// Where a redirect points, for a status: resolved against the endpoint, without userinfo,
/// cut to 40 characters (the status keeps room for the endpoint).
fn location(endpoint: &str, headers: &reqwest::header::HeaderMap) -> String {
    let Some(raw) = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
    else {
        return "nowhere (no Location header)".into();
    };
    let shown = match reqwest::Url::parse(endpoint).and_then(|base| base.join(raw)) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => "an unparsable address".into(),
    };
    truncate(&shown, 40)
}
