//! [`ConnectClient`]: construction, the per-hook [`Budget`], [`RetryPolicy`] and the REST
//! operations. Does I/O through `transport.rs` (failover, retries, classification).

use super::entities::{ConfigInfos, ConnectorInfo, ConnectorStateInfo, PluginInfo, ServerInfo};
use super::text::{chain, seg};
use super::{tls, ConnectError};
use crate::mirror::sensitive::redact_text;
use crate::secret::Secret;
use reqwest::{Method, StatusCode};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the `connect_client` relation gives us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSettings {
    /// Full URLs, e.g. `https://10.0.0.5:8083`, tried in this order.
    pub endpoints: Vec<String>,
    /// The Connect REST CA (PEM); when set it is the ONLY trusted root.
    pub ca_pem: Option<String>,
    pub username: String,
    pub password: Secret,
}

/// How long one hook may wait on Kafka Connect without getting an answer: a deadline that
/// every successful answer pushes back by the whole budget. So a hook whose Connect is down,
/// black-holed, refusing us or stuck ends within the budget after its first call, while a hook
/// that makes progress (a fan-in of 50 sources writes 100 configs) is never cut short.
///
/// Clones share the deadline (the adapter clones the client per call to add redactions).
#[derive(Debug, Clone)]
pub struct Budget {
    start: Instant,
    /// Milliseconds after `start` at which the patience runs out.
    deadline_ms: Arc<AtomicU64>,
    answered: Arc<std::sync::atomic::AtomicBool>,
    total: Duration,
}

impl Budget {
    /// Why 4 s (docs/spec/kafka-connect.md §3, docs/benchmarks.md): a healthy worker answers a
    /// read in ~10 ms and a write in ~35 ms (p90 0.35 s on a loaded bed), and a rebalance — the
    /// one transient fault worth waiting for — typically lasts 1–5 s. What takes longer (a
    /// worker that is down or restarting, credentials it has not loaded, a herder busy for
    /// 90 s) does not pass within a hook, and every queued hook of the unit waits behind this
    /// one. 4 s of Connect plus the hook's own ~0.1–0.5 s keeps a failing hook under 5 s;
    /// the next hook (update-status at the latest) converges the rest.
    pub const DEFAULT: Duration = Duration::from_secs(4);

    pub fn new(total: Duration) -> Budget {
        Budget {
            start: Instant::now(),
            deadline_ms: Arc::new(AtomicU64::new(total.as_millis() as u64)),
            answered: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            total,
        }
    }

    fn elapsed_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    pub fn remaining(&self) -> Duration {
        let left = self
            .deadline_ms
            .load(Ordering::Relaxed)
            .saturating_sub(self.elapsed_ms());
        Duration::from_millis(left)
    }

    pub fn is_exhausted(&self) -> bool {
        self.remaining().is_zero()
    }

    /// Connect answered: the whole budget is available again from now.
    pub fn progress(&self) {
        let next = self.elapsed_ms() + self.total.as_millis() as u64;
        self.deadline_ms.fetch_max(next, Ordering::Relaxed);
        self.answered.store(true, Ordering::Relaxed);
    }

    /// True once Connect has answered in this hook: it is alive, so a slow write is load, not
    /// an outage.
    pub fn has_answered(&self) -> bool {
        self.answered.load(Ordering::Relaxed)
    }

    pub fn total(&self) -> Duration {
        self.total
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(Budget::DEFAULT)
    }
}

/// The largest answer the client reads (status and body of a 2xx). The largest real answer is
/// `GET /connectors?expand=status&expand=info`: ~1.1 KiB per typical foreign connector (2 000
/// of them measured 2.2 MiB, docs/benchmarks.md) and ~6–8 KiB per MirrorMaker connector of
/// ours (its config carries up to three PEM truststores and two JAAS lines). 8 MiB holds
/// ~7 000 foreign connectors, or a 50-source fan-in (150 connectors, ~1.2 MiB) beside
/// ~6 000 of them — more than a Connect cluster runs — and bounds a hook's memory whatever
/// the endpoint sends.
pub const MAX_BODY: usize = 8 << 20;

/// The part of an error answer (non-2xx) that is kept: Connect's messages are short, except the
/// 400 that echoes a whole connector config (~8 KiB for ours).
pub const MAX_ERROR_BODY: usize = 64 << 10;

/// Timeouts and backoff (the figures and why: [`RetryPolicy::default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First sleep between rounds; doubles each round up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Per request (also capped by the budget's remaining time).
    pub request_timeout: Duration,
    /// Per write once Connect has answered in this hook (not capped by the budget).
    pub write_timeout: Duration,
    pub connect_timeout: Duration,
    /// Rounds over all endpoints before giving up on transient answers (rebalance, startup);
    /// the budget may end them sooner.
    pub max_rounds: u32,
    /// Rounds when every endpoint failed in a way that does not pass within seconds (refused
    /// connection, no answer, 401, 500 "Request timed out").
    pub persistent_rounds: u32,
    /// Cap on a 2xx answer's body ([`MAX_BODY`]).
    pub max_body: usize,
}

impl Default for RetryPolicy {
    /// * connect 1.5 s: a TCP handshake inside a model takes milliseconds; 1.5 s still covers
    ///   one lost SYN (Linux resends it after 1 s) and leaves a second endpoint its turn.
    /// * request 2.5 s: ~7× the p90 of a write on a loaded real worker (0.35 s); Connect's own
    ///   herder timeout is 90 s, which no hook can wait for.
    /// * a write 10 s once Connect has answered in this hook: a write waits for the config
    ///   topic round trip (and a DELETE for the connector to stop), which took more than
    ///   2.5 s on a loaded real bed; cutting it short leaves a half-done plan (a removed
    ///   source's connector still running) until the next hook, which may be update-status
    ///   minutes later. A Connect that never answered gets no write at all, so an outage
    ///   still ends the hook within the budget.
    /// * backoff 0.25 s doubling to 1 s, 6 rounds: retries at ~0.25, 0.75, 1.75, 2.75, 3.75 s,
    ///   so a 409/500 rebalance shorter than ~3.5 s converges within the hook.
    /// * 2 rounds for what does not pass by itself in seconds: one retry catches a worker
    ///   that was just restarting or a 401 right before Connect loaded our user, and costs
    ///   0.25 s when Connect is down.
    fn default() -> Self {
        RetryPolicy {
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(1),
            request_timeout: Duration::from_millis(2500),
            write_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_millis(1500),
            max_rounds: 6,
            persistent_rounds: 2,
            max_body: MAX_BODY,
        }
    }
}

/// One connector as Connect lists it: its stored config (passwords in clear, for diffing) and
/// its status, if Connect has one yet, with every trace already cut short and redacted.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Listed {
    pub config: BTreeMap<String, String>,
    pub status: Option<ConnectorStateInfo>,
}

impl std::fmt::Debug for Listed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listed")
            .field("config", &crate::mirror::sensitive::masked(&self.config))
            .field("status", &self.status)
            .finish()
    }
}

/// Connectors by name.
pub type Listing = BTreeMap<String, Listed>;

/// Result of `PUT /connectors/<n>/config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    /// 201 (created) rather than 200 (replaced).
    pub created: bool,
    pub info: Option<ConnectorInfo>,
}

/// One advertised endpoint, checked: an absolute `http(s)://host[:port]` URL. Credentials,
/// a path, a query or a fragment are refused (the relation's basic auth is the only
/// credential we send, and the REST paths are ours to append); the error never repeats a
/// userinfo part.
fn endpoint(raw: &str) -> Result<String, ConnectError> {
    let shown = |url: &reqwest::Url| {
        let mut u = url.clone();
        let _ = u.set_username("");
        let _ = u.set_password(None);
        u.to_string()
    };
    let url = reqwest::Url::parse(raw).map_err(|e| {
        ConnectError::Setup(format!(
            "an endpoint must look like 'https://host:port' ({e})"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConnectError::Setup(format!(
            "endpoint '{}' must look like 'https://host:port'",
            shown(&url)
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConnectError::Setup(format!(
            "endpoint '{}' carries credentials in its URL; only the relation's username and password are used",
            shown(&url)
        )));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(ConnectError::Setup(format!(
            "endpoint '{}' has a path or query; it must look like 'https://host:port'",
            shown(&url)
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// A current-thread runtime for driving the client from a hook.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// The Kafka Connect REST client.
#[derive(Debug, Clone)]
pub struct ConnectClient {
    pub(super) http: reqwest::Client,
    pub(super) endpoints: Vec<String>,
    pub(super) username: String,
    pub(super) password: Secret,
    pub(super) redactions: Vec<Secret>,
    pub(super) policy: RetryPolicy,
    pub(super) budget: Budget,
}

impl ConnectClient {
    /// Build a client; fails on bad endpoints or CA (the relation data is at fault).
    pub fn new(settings: &ConnectSettings, budget: Budget) -> Result<ConnectClient, ConnectError> {
        ConnectClient::with_policy(settings, budget, RetryPolicy::default())
    }

    pub fn with_policy(
        settings: &ConnectSettings,
        budget: Budget,
        policy: RetryPolicy,
    ) -> Result<ConnectClient, ConnectError> {
        let endpoints = settings
            .endpoints
            .iter()
            .map(|e| e.trim())
            .filter(|s| !s.is_empty())
            .map(endpoint)
            .collect::<Result<Vec<_>, _>>()?;
        if endpoints.is_empty() {
            return Err(ConnectError::Setup("no endpoints were advertised".into()));
        }
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(policy.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(1);
        match settings
            .ca_pem
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(pem) => builder = builder.tls_backend_preconfigured(tls::only_ca(pem)?),
            // Plain-HTTP endpoints only: no TLS handshake will happen, so do not let reqwest
            // build the platform verifier, which parses the whole system CA bundle (measured:
            // ~70 % of the instructions of a steady-state hook; docs/benchmarks.md). An https
            // URL can not sneak in later: the endpoints are fixed for the client's life, and
            // redirects are off; with no roots it would fail verification anyway.
            None if endpoints.iter().all(|e| e.starts_with("http://")) => {
                builder = builder.tls_backend_preconfigured(tls::no_roots()?)
            }
            None => {
                // No CA: https endpoints use the platform trust store (still verified).
                let _ = rustls::crypto::ring::default_provider().install_default();
            }
        }
        let http = builder.build().map_err(|e| {
            ConnectError::Setup(format!("cannot build the HTTP client ({})", chain(&e)))
        })?;
        Ok(ConnectClient {
            http,
            endpoints,
            username: settings.username.clone(),
            password: settings.password.clone(),
            redactions: Vec::new(),
            policy,
            budget,
        })
    }

    /// Also redact these secrets (e.g. the Kafka passwords in connector configs) from errors.
    pub fn redacting(mut self, secrets: impl IntoIterator<Item = Secret>) -> ConnectClient {
        self.redactions.extend(secrets);
        self
    }

    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// Redact text from Connect with every secret this client knows.
    pub fn redact(&self, text: &str) -> String {
        let mut secrets: Vec<&Secret> = self.redactions.iter().collect();
        secrets.push(&self.password);
        redact_text(text, &secrets)
    }

    // ---- operations ----

    /// `GET /`: version and the workers' own Kafka cluster id.
    pub async fn server_info(&self) -> Result<ServerInfo, ConnectError> {
        let (_, body) = self.call("get server info", Method::GET, "/", None).await?;
        self.decode("get server info", &body)
    }

    /// `GET /connector-plugins`: the connector classes the receiving worker has installed.
    pub async fn plugins(&self) -> Result<Vec<PluginInfo>, ConnectError> {
        let (_, body) = self
            .call("list plugins", Method::GET, "/connector-plugins", None)
            .await?;
        self.decode("list plugins", &body)
    }

    /// `GET /connectors/<n>/status`; `None` when Connect has no status (yet) for it.
    pub async fn status(&self, name: &str) -> Result<Option<ConnectorStateInfo>, ConnectError> {
        let op = format!("get status of '{name}'");
        match self
            .call(
                &op,
                Method::GET,
                &format!("/connectors/{}/status", seg(name)),
                None,
            )
            .await
        {
            Ok((_, body)) => self.decode(&op, &body).map(Some),
            Err(ConnectError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /connectors` (names only; lists connectors that have no status yet).
    pub async fn names(&self) -> Result<Vec<String>, ConnectError> {
        let (_, body) = self
            .call("list connectors", Method::GET, "/connectors", None)
            .await?;
        self.decode("list connectors", &body)
    }

    /// `GET /connectors/<n>/config`; `None` when the connector does not exist.
    pub async fn get_config(
        &self,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, ConnectError> {
        let op = format!("get config of '{name}'");
        match self
            .call(
                &op,
                Method::GET,
                &format!("/connectors/{}/config", seg(name)),
                None,
            )
            .await
        {
            Ok((_, body)) => self.decode(&op, &body).map(Some),
            Err(ConnectError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT /connectors/<n>/config` (create or replace; does not change the target state).
    pub async fn put_config(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<PutOutcome, ConnectError> {
        let op = format!("put config of '{name}'");
        let body = serde_json::to_value(config).expect("a string map serialises");
        let (status, text) = self
            .call(
                &op,
                Method::PUT,
                &format!("/connectors/{}/config", seg(name)),
                Some(&body),
            )
            .await?;
        Ok(PutOutcome {
            created: status == StatusCode::CREATED,
            info: serde_json::from_str(&text).ok(),
        })
    }

    /// `PUT /connector-plugins/<class>/config/validate`; returns the (redacted) errors as
    /// `"<key>: <error>"` strings, empty when valid. `connector.class` is added if missing.
    pub async fn validate(
        &self,
        class: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<Vec<String>, ConnectError> {
        let op = format!("validate {}", class.rsplit('.').next().unwrap_or(class));
        let mut config = config.clone();
        config
            .entry("connector.class".into())
            .or_insert_with(|| class.to_string());
        let body = serde_json::to_value(&config).expect("a string map serialises");
        let path = format!("/connector-plugins/{}/config/validate", seg(class));
        let (_, text) = self.call(&op, Method::PUT, &path, Some(&body)).await?;
        let infos: ConfigInfos = self.decode(&op, &text)?;
        let mut errors = Vec::new();
        for value in infos.configs.iter().filter_map(|c| c.value.as_ref()) {
            for e in &value.errors {
                errors.push(self.redact(&format!("{}: {e}", value.name)));
            }
        }
        if errors.is_empty() && infos.error_count > 0 {
            errors.push(format!(
                "{} error(s) reported without detail",
                infos.error_count
            ));
        }
        Ok(errors)
    }

    /// `DELETE /connectors/<n>`; a connector that does not exist counts as deleted.
    pub async fn delete(&self, name: &str) -> Result<(), ConnectError> {
        let op = format!("delete '{name}'");
        match self
            .call(
                &op,
                Method::DELETE,
                &format!("/connectors/{}", seg(name)),
                None,
            )
            .await
        {
            Ok(_) | Err(ConnectError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `PUT /connectors/<n>/pause` (202; asynchronous).
    pub async fn pause(&self, name: &str) -> Result<(), ConnectError> {
        self.target_state(name, "pause").await
    }

    /// `PUT /connectors/<n>/resume` (202; asynchronous).
    pub async fn resume(&self, name: &str) -> Result<(), ConnectError> {
        self.target_state(name, "resume").await
    }

    /// `PUT /connectors/<n>/stop` (204; Connect 3.5+).
    pub async fn stop(&self, name: &str) -> Result<(), ConnectError> {
        self.target_state(name, "stop").await
    }

    /// The body-less `PUT /connectors/<n>/<verb>` that pause, resume and stop share.
    async fn target_state(&self, name: &str, verb: &str) -> Result<(), ConnectError> {
        self.call(
            &format!("{verb} '{name}'"),
            Method::PUT,
            &format!("/connectors/{}/{verb}", seg(name)),
            None,
        )
        .await
        .map(drop)
    }

    /// `POST /connectors/<n>/restart?includeTasks=&onlyFailed=`: the predicted states (202),
    /// or `None` for the legacy connector-only restart (204).
    pub async fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>, ConnectError> {
        let op = format!("restart '{name}'");
        let path = format!(
            "/connectors/{}/restart?includeTasks={include_tasks}&onlyFailed={only_failed}",
            seg(name)
        );
        let (status, text) = self.call(&op, Method::POST, &path, None).await?;
        if status == StatusCode::NO_CONTENT || text.trim().is_empty() {
            return Ok(None);
        }
        self.decode(&op, &text).map(Some)
    }

    /// Everything Connect lists: the expanded list, plus the config of every listed connector
    /// that has no status yet (`?expand` omits those, §1.3). Always two list requests;
    /// [`ConnectClient::list_for`] needs one in the steady state.
    pub async fn list_all(&self) -> Result<Listing, ConnectError> {
        let mut listing = self.list_expanded(&|_| true).await?;
        self.add_unexpanded(&mut listing, &|_| true).await?;
        Ok(listing)
    }

    /// The connectors `keep` accepts (e.g. the ones this application owns), as
    /// [`ConnectClient::list_all`] would list them, with ONE request
    /// (`GET /connectors?expand=status&expand=info`) when every name in `expected` (the desired
    /// connectors) is in the answer — the steady state. Others are skipped while decoding, so
    /// memory does not grow with the foreign connectors on a shared cluster.
    ///
    /// Connect omits a connector whose status is not known yet from that answer (§1.3;
    /// `ConnectorsResource.listConnectors` drops the whole entry when either expansion throws,
    /// whatever the order of the `expand` values), so when an expected name is missing this
    /// falls back to `GET /connectors` plus `GET …/config` for each kept connector that was
    /// omitted — what [`ConnectClient::list_all`] does.
    ///
    /// What the fast path can miss: a kept connector that is NOT expected and has no status yet
    /// (one of ours created moments ago and no longer desired). A plan would delete it; it is
    /// deleted on the next hook instead, once Connect has its status.
    pub async fn list_for<'a>(
        &self,
        expected: impl IntoIterator<Item = &'a str>,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Listing, ConnectError> {
        let mut listing = self.list_expanded(keep).await?;
        if expected.into_iter().any(|name| !listing.contains_key(name)) {
            self.add_unexpanded(&mut listing, keep).await?;
        }
        Ok(listing)
    }

    /// `GET /connectors?expand=status&expand=info`, kept connectors only (one listed without
    /// `info` gets its config with one `GET …/config`).
    async fn list_expanded(&self, keep: &dyn Fn(&str) -> bool) -> Result<Listing, ConnectError> {
        let op = "list connectors";
        let (_, body) = self
            .call(
                op,
                Method::GET,
                "/connectors?expand=status&expand=info",
                None,
            )
            .await?;
        let expanded =
            super::entities::decode_expanded(&body, keep).map_err(|e| ConnectError::Decode {
                op: op.to_string(),
                // serde can quote a value (a config may hold a password in clear)
                message: self.redact(&e.to_string()),
            })?;
        drop(body);
        let mut listing = Listing::new();
        for (name, e) in expanded {
            let config = match e.info {
                Some(info) => info.config,
                None => self.get_config(&name).await?.unwrap_or_default(),
            };
            let status = e.status.map(|mut st| {
                st.connector.trace = st.connector.trace.map(|t| self.short_trace(&t));
                for t in &mut st.tasks {
                    t.trace = t.trace.take().map(|tr| self.short_trace(&tr));
                }
                st
            });
            listing.insert(name, Listed { config, status });
        }
        Ok(listing)
    }

    /// Adds the kept connectors `GET /connectors` lists that `listing` lacks (no status yet),
    /// with their configs and no status. One that is gone meanwhile is skipped.
    async fn add_unexpanded(
        &self,
        listing: &mut Listing,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<(), ConnectError> {
        for name in self.names().await? {
            if listing.contains_key(&name) || !keep(&name) {
                continue;
            }
            if let Some(config) = self.get_config(&name).await? {
                listing.insert(
                    name,
                    Listed {
                        config,
                        status: None,
                    },
                );
            }
        }
        Ok(())
    }

    /// A Java stack trace cut to what an operator reads ([`super::trace::short`]), redacted.
    pub fn short_trace(&self, trace: &str) -> String {
        self.redact(&super::trace::short(trace))
    }
}
