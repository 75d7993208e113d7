//! Minimal Kafka Connect REST client for the bed's own use and for tests: HTTPS verified
//! against the Connect CA (never disabled), HTTP basic auth.

use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{err, Result};

/// Installs rustls' ring provider as the process default (idempotent).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// What the bed's own requests say they are (`User-Agent`), so that the request log tells
/// them apart from the charm's ([`crate::requests::RestRequest::agent`]).
pub const USER_AGENT: &str = "kafka-bed";

#[derive(Debug, Clone)]
pub struct ConnectClient {
    pub url: String,
    user: String,
    password: String,
    http: Client,
}

/// A response: status and body (JSON if it parses, else a JSON string).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Value,
}

impl ConnectClient {
    pub fn new(url: &str, ca_pem: &str, user: &str, password: &str) -> Result<ConnectClient> {
        install_crypto_provider();
        let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes())?;
        let http = Client::builder()
            .user_agent(USER_AGENT)
            .tls_certs_only([ca])
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(ConnectClient {
            url: url.trim_end_matches('/').to_string(),
            user: user.into(),
            password: password.into(),
            http,
        })
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Response> {
        let m = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| err!("bad method {method}: {e}"))?;
        let mut rb = self
            .http
            .request(m, format!("{}{path}", self.url))
            .basic_auth(&self.user, Some(&self.password));
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb.send()?;
        let status = resp.status().as_u16();
        let text = resp.text()?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Response { status, body })
    }

    pub fn get(&self, path: &str) -> Result<Response> {
        self.request("GET", path, None)
    }

    pub fn put(&self, path: &str, body: &Value) -> Result<Response> {
        self.request("PUT", path, Some(body))
    }

    pub fn delete(&self, path: &str) -> Result<Response> {
        self.request("DELETE", path, None)
    }

    /// Ready = `GET /` and `GET /connectors` both answer 200 with these credentials.
    /// Connection errors and non-200 answers (401 before a restart, 503 while the herder
    /// starts) count as "not yet".
    pub fn is_ready(&self) -> bool {
        let ok = |p: &str| matches!(self.get(p), Ok(Response { status, .. }) if status == StatusCode::OK.as_u16());
        ok("/") && ok("/connectors")
    }
}
