//! Transport of [`ConnectClient`]: one request with endpoint failover, retries and response
//! classification; every message is redacted before it is kept.
//!
//! Does I/O. Retry policy (kafka-connect.md §3): per round, endpoints are tried in order.
//! * 2xx → done.
//! * Connection error, request timeout, 5xx → next endpoint (failover).
//! * 409 (rebalance / stale config / no leader), 500 "rebalance is expected", 500 "Request
//!   timed out", non-JSON 404 (Jetty before the REST resources exist), 401 (credentials not
//!   loaded yet) → transient.
//! * A certificate that fails verification → next endpoint; never another round (it will not
//!   pass by itself, and verification is never switched off): [`ConnectError::Certificate`].
//! * Other 4xx and JSON 404 → returned at once ([`ConnectError::NotFound`] / `Http`).
//!
//! When a round ends without an answer: if any failure was transient or a connection
//! failure, sleep (exponential backoff, capped, never past the budget) and start another
//! round; otherwise (only 5xx) return the last error. Every operation this charm uses is
//! idempotent (PUT config, DELETE with 404 = done, pause/resume/stop, restart), so a retry
//! after a timed-out write is safe.

use super::client::ConnectClient;
use super::entities::ErrorBody;
use super::text::{chain, truncate};
use super::{CertProblem, ConnectError};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

/// What one request to one endpoint came to.
enum Attempt {
    /// A 2xx answer: status and body.
    Answer(StatusCode, String),
    /// The request timed out because the hook's budget ran out, not because Connect was slow
    /// (with the line to report when nothing else was seen).
    BudgetCut(String),
    Failed(Failure),
}

/// What one round over the endpoints saw, to decide after it: retry, or which error.
#[derive(Default)]
struct Round {
    /// Something worth another round happened (transient, unauthorized, unreachable).
    retry: bool,
    server: Option<(u16, String)>,
    unauthorized: Option<String>,
    certificate: Option<(String, CertProblem)>,
}

impl Round {
    /// Notes a failure (never `Final`); returns its line for the logs.
    fn record(&mut self, endpoint: &str, failure: Failure) -> String {
        match failure {
            Failure::Transient(m) => {
                self.retry = true;
                m
            }
            Failure::Unauthorized(m) => {
                self.retry = true;
                let line = format!("{endpoint} answered 401 ({m})");
                self.unauthorized = Some(m);
                line
            }
            Failure::Server(code, m) => {
                let line = format!("{endpoint} answered {code} ({m})");
                self.server = Some((code, m));
                line
            }
            Failure::Certificate(problem) => {
                let line = format!("{endpoint} {problem}");
                self.certificate = Some((endpoint.to_string(), problem));
                line
            }
            Failure::Final(e) => e.to_string(),
        }
    }

    /// The error to return now when nothing in the round is worth another one: a certificate
    /// that does not verify first (it names the remedy), else the last server error.
    fn final_error(&mut self, op: &str) -> Option<ConnectError> {
        if self.retry {
            return None;
        }
        if let Some((endpoint, problem)) = self.certificate.take() {
            return Some(ConnectError::Certificate {
                op: op.to_string(),
                endpoint,
                problem,
            });
        }
        self.server
            .take()
            .map(|(status, message)| ConnectError::Http {
                op: op.to_string(),
                status,
                message,
            })
    }
}

/// One failed attempt, already redacted.
enum Failure {
    /// Try the next endpoint; not retried after the round unless something transient happened.
    Server(u16, String),
    /// Try the next endpoint; worth another round.
    Transient(String),
    Unauthorized(String),
    /// Connect's certificate did not verify: try the next endpoint, never another round.
    Certificate(CertProblem),
    /// Return at once.
    Final(ConnectError),
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
        let mut backoff = self.policy.initial_backoff;
        let mut attempts = 0u32;
        let mut last = String::from("the time budget was already spent");
        for round in 0..self.policy.max_rounds.max(1) {
            let mut r = Round::default();
            for endpoint in &self.endpoints {
                let remaining = self.budget.remaining();
                if remaining.is_zero() {
                    break;
                }
                attempts += 1;
                let failure = match self.attempt(op, &method, endpoint, path, body).await {
                    Attempt::Answer(status, text) => return Ok((status, text)),
                    // The budget, not Connect, cut this retry short: the previous attempt's
                    // failure is the one worth reporting.
                    Attempt::BudgetCut(_) if attempts > 1 => break,
                    Attempt::BudgetCut(m) => Failure::Transient(m),
                    Attempt::Failed(f) => f,
                };
                if let Failure::Final(e) = failure {
                    return Err(e);
                }
                last = r.record(endpoint, failure);
            }
            if let Some(e) = r.final_error(op) {
                return Err(e);
            }
            let exhausted =
                self.budget.is_exhausted() || round + 1 == self.policy.max_rounds.max(1);
            if exhausted {
                if let Some(message) = r.unauthorized {
                    return Err(ConnectError::Unauthorized {
                        op: op.to_string(),
                        message,
                    });
                }
                break;
            }
            let pause = backoff.min(self.budget.remaining());
            if pause.is_zero() {
                break;
            }
            tracing::info!(
                "kafka connect {op}: {last}; retrying in {} ms",
                pause.as_millis()
            );
            tokio::time::sleep(pause).await;
            backoff = (backoff * 2).min(self.policy.max_backoff);
        }
        Err(ConnectError::GaveUp {
            op: op.to_string(),
            attempts,
            last,
        })
    }

    /// One request to one endpoint, its answer read whole and classified.
    async fn attempt(
        &self,
        op: &str,
        method: &Method,
        endpoint: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Attempt {
        let remaining = self.budget.remaining();
        let mut req = self
            .http
            .request(method.clone(), format!("{endpoint}{path}"))
            .timeout(self.policy.request_timeout.min(remaining))
            .header(reqwest::header::ACCEPT, "application/json")
            .basic_auth(&self.username, Some(self.password.expose()));
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => {
                let unreachable =
                    || format!("cannot reach {endpoint} ({})", self.redact(&chain(&e)));
                if e.is_timeout() && self.budget.is_exhausted() {
                    return Attempt::BudgetCut(unreachable());
                }
                return Attempt::Failed(match CertProblem::of(&e) {
                    Some(problem) => Failure::Certificate(problem),
                    None => Failure::Transient(unreachable()),
                });
            }
        };
        let status = resp.status();
        // bytes → String without the copy `text()` makes (it decodes into a new String): the
        // ?expand list of a shared cluster can be MBs.
        let text = match resp.bytes().await {
            Ok(b) => String::from_utf8(Vec::from(b))
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            Err(e) => {
                return Attempt::Failed(Failure::Transient(format!(
                    "{endpoint} broke off the answer ({})",
                    self.redact(&chain(&e))
                )))
            }
        };
        if status.is_success() {
            Attempt::Answer(status, text)
        } else {
            Attempt::Failed(self.classify(op, endpoint, status, &text))
        }
    }

    fn classify(&self, op: &str, endpoint: &str, status: StatusCode, text: &str) -> Failure {
        let code = status.as_u16();
        let json: Option<ErrorBody> = serde_json::from_str(text).ok();
        let message = self.redact(&match &json {
            Some(b) => b.message.clone(),
            None => truncate(text.trim(), 200),
        });
        match code {
            401 => Failure::Unauthorized(message),
            404 if json.is_none() => Failure::Transient(format!(
                "{endpoint} is starting (404 without a Connect body)"
            )),
            404 => Failure::Final(ConnectError::NotFound {
                op: op.to_string(),
                message,
            }),
            409 => Failure::Transient(format!("{endpoint} is rebalancing (409: {message})")),
            500 if message.contains("rebalance is expected") => {
                Failure::Transient(format!("{endpoint} is rebalancing (500: {message})"))
            }
            500 if message.starts_with("Request timed out") => {
                Failure::Transient(format!("{endpoint} timed out (500: {message})"))
            }
            503 => Failure::Transient(format!("{endpoint} is unavailable (503: {message})")),
            // A follower could not read the leader's answer (e.g. the leader's 401, §3.1).
            500 if message.starts_with("IO Error trying to forward REST request") => {
                Failure::Transient(format!(
                    "{endpoint} could not reach the leader (500: {message})"
                ))
            }
            c if c >= 500 => Failure::Server(c, message),
            c => Failure::Final(ConnectError::Http {
                op: op.to_string(),
                status: c,
                message,
            }),
        }
    }
}
