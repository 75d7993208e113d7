//! The `HookTools` seam: one method per Juju hook tool the charm uses.
//!
//! The real implementation ([`super::process::ProcessTools`]) runs the tools as processes with
//! `--format=json`; tests use an in-memory model. Tool stderr is classified once, here, into
//! typed errors, so charm logic never parses it (the same split ops makes in `_wrap_hookcmd`).

use super::event::RelationRef;
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

/// A relation databag: string keys to string values.
pub type Databag = BTreeMap<String, String>;

/// Workload status values a charm may set (`error`/`unknown` are Juju's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusKind {
    Active,
    Maintenance,
    Waiting,
    Blocked,
}

impl StatusKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusKind::Active => "active",
            StatusKind::Maintenance => "maintenance",
            StatusKind::Waiting => "waiting",
            StatusKind::Blocked => "blocked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub kind: StatusKind,
    /// One line for `juju status`; [`Status::for_juju`] makes it fit.
    pub message: String,
    /// The whole story behind the message (the operation, every endpoint's error), already
    /// redacted: for the debug log and the `status` action, never for `juju status`.
    pub detail: Option<String>,
}

/// The longest status message the charm sets. `juju status` shows the message in one table
/// cell; longer ones wrap the table and bury the cause.
pub const MAX_STATUS_CHARS: usize = 120;

impl Status {
    pub fn new(kind: StatusKind, message: impl Into<String>) -> Status {
        Status {
            kind,
            message: message.into(),
            detail: None,
        }
    }

    /// The same status with `detail` kept for the log and the `status` action.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Status {
        self.detail = Some(detail.into());
        self
    }

    /// The message as it may leave the charm (`status-set`): one line, no control
    /// characters (a peer's text could hold ESC sequences that rewrite a terminal, BEL, or a
    /// newline that forges a second line), whitespace runs folded, at most
    /// [`MAX_STATUS_CHARS`] characters (cut with `…`).
    pub fn for_juju(&self) -> String {
        let mut out = String::with_capacity(self.message.len().min(MAX_STATUS_CHARS * 4));
        let mut space = false;
        for c in self.message.chars() {
            if c.is_control() || c.is_whitespace() {
                space = !out.is_empty();
                continue;
            }
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
        if out.chars().count() > MAX_STATUS_CHARS {
            out = out.chars().take(MAX_STATUS_CHARS - 1).collect();
            out.truncate(out.trim_end().len());
            out.push('…');
        }
        out
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

/// The message `status-set` sends ([`Status::for_juju`]); what it had to cut or clean, and
/// the detail, go to the debug log (whose layer escapes control characters).
pub(super) fn outgoing(status: &Status) -> String {
    let message = status.for_juju();
    if message != status.message {
        tracing::info!("status message in full: {}", status.message);
    }
    if let Some(detail) = &status.detail {
        tracing::info!("status detail: {detail}");
    }
    message
}

/// Log levels `juju-log --log-level` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warning => "WARNING",
            LogLevel::Error => "ERROR",
        }
    }
}

/// How `secret-get` picks the revision (juju.md §4, relations.md §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretRead {
    /// The revision this unit tracks (the latest on first read).
    Tracked,
    /// The latest revision, and track it from now on.
    Refresh,
    /// The latest revision, without moving the tracked one.
    Peek,
}

/// A secret's content. Values may be passwords, so `Debug` lists the keys only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretContent(BTreeMap<String, String>);

impl SecretContent {
    pub fn new(map: BTreeMap<String, String>) -> SecretContent {
        SecretContent(map)
    }

    /// A field that is not sensitive (a username, a CA certificate).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A field that is sensitive, wrapped so it cannot be printed by accident.
    pub fn secret(&self, key: &str) -> Option<Secret> {
        self.0.get(key).map(|v| Secret::new(v.clone()))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl fmt::Debug for SecretContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// A hook tool failed. Each variant keeps the tool's stderr (Juju never echoes secret content
/// in hook-tool errors, so stderr is safe to show).
#[derive(Debug, Error)]
pub enum ToolError {
    #[error("could not run hook tool {tool}: {source}")]
    Spawn {
        tool: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{tool}: relation not found ({stderr})")]
    RelationNotFound { tool: String, stderr: String },
    #[error("{tool}: secret not found ({stderr})")]
    SecretNotFound { tool: String, stderr: String },
    #[error("{tool} exited with code {code}: {stderr}")]
    Failed {
        tool: String,
        code: i32,
        stderr: String,
    },
    #[error("{tool} printed output that is not what Juju prints: {detail}")]
    BadOutput { tool: String, detail: String },
}

impl ToolError {
    /// Classifies a failed tool run the way ops does: `relation not found` on relation tools,
    /// `not found` on secret tools, anything else is a plain failure.
    pub fn classify(tool: &str, code: i32, stderr: &str) -> ToolError {
        let stderr = stderr.trim().trim_start_matches("ERROR ").to_string();
        let tool = tool.to_string();
        if tool.starts_with("relation-") && stderr.contains("relation not found") {
            ToolError::RelationNotFound { tool, stderr }
        } else if tool.starts_with("secret-") && stderr.contains("not found") {
            ToolError::SecretNotFound { tool, stderr }
        } else {
            ToolError::Failed { tool, code, stderr }
        }
    }
}

/// The hook tools the charm calls. Reads and writes go through here and nowhere else.
pub trait HookTools {
    /// `relation-ids <endpoint>`: the live relations of an endpoint.
    fn relation_ids(&self, endpoint: &str) -> Result<Vec<RelationRef>, ToolError>;
    /// `relation-list -r <rel>`: the remote units.
    fn relation_list(&self, rel: &RelationRef) -> Result<Vec<String>, ToolError>;
    /// `relation-list --app -r <rel>`: the remote application's name.
    fn relation_remote_app(&self, rel: &RelationRef) -> Result<String, ToolError>;
    /// `relation-get -r <rel> [--app] - <member>`: a whole databag (unit name, or app name with `app`).
    fn relation_get(
        &self,
        rel: &RelationRef,
        member: &str,
        app: bool,
    ) -> Result<Databag, ToolError>;
    /// `relation-set -r <rel> [--app] --file -`: `""` values delete keys.
    fn relation_set(&self, rel: &RelationRef, data: &Databag, app: bool) -> Result<(), ToolError>;
    /// `config-get`: every option that has a value or a default.
    fn config_get(&self) -> Result<serde_json::Map<String, serde_json::Value>, ToolError>;
    fn is_leader(&self) -> Result<bool, ToolError>;
    /// `status-set --application=<app> <status> -- <message>`; implementations send
    /// [`Status::for_juju`], never the raw message.
    fn status_set(&self, status: &Status, app: bool) -> Result<(), ToolError>;
    /// `secret-get [<id>] [--label <label>] [--refresh|--peek]`.
    fn secret_get(
        &self,
        id: Option<&str>,
        label: Option<&str>,
        read: SecretRead,
    ) -> Result<SecretContent, ToolError>;
    fn action_get(&self) -> Result<serde_json::Map<String, serde_json::Value>, ToolError>;
    /// `action-set k=v ...`; keys are already flattened with dots (see [`flatten_results`]).
    fn action_set(&self, results: &BTreeMap<String, String>) -> Result<(), ToolError>;
    fn action_fail(&self, message: &str) -> Result<(), ToolError>;
    fn juju_log(&self, level: LogLevel, message: &str) -> Result<(), ToolError>;
}

/// Flattens a JSON object into `action-set`'s dotted keys (`{"a":{"b":1}}` → `a.b=1`), the way
/// ops does. Keys are lower-cased and anything outside `[a-z0-9-]` becomes `-`, so every key
/// passes Juju's key rule; lists become `a.0`, `a.1`, ...
pub fn flatten_results(value: &serde_json::Value) -> BTreeMap<String, String> {
    fn key_part(k: &str) -> String {
        let mut s: String = k
            .chars()
            .map(|c| match c.to_ascii_lowercase() {
                c @ ('a'..='z' | '0'..='9' | '-') => c,
                _ => '-',
            })
            .collect();
        // A segment must start and end with an alphanumeric.
        while s.starts_with('-') {
            s.remove(0);
        }
        while s.ends_with('-') {
            s.pop();
        }
        if s.is_empty() {
            s.push('x');
        }
        s
    }
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
        let join = |k: &str| {
            if prefix.is_empty() {
                key_part(k)
            } else {
                format!("{prefix}.{}", key_part(k))
            }
        };
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    walk(&join(k), v, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(&join(&i.to_string()), v, out);
                }
            }
            serde_json::Value::String(s) => {
                out.insert(prefix.to_string(), s.clone());
            }
            serde_json::Value::Null => {
                out.insert(prefix.to_string(), String::new());
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // stderr is classified the way ops classifies it.
    #[test]
    fn classify_matches_ops() {
        assert!(matches!(
            ToolError::classify(
                "relation-get",
                2,
                "ERROR invalid value \"source:9\" for option -r: relation not found\n"
            ),
            ToolError::RelationNotFound { .. }
        ));
        assert!(matches!(
            ToolError::classify("secret-get", 1, "ERROR secret \"x\" not found"),
            ToolError::SecretNotFound { .. }
        ));
        let e = ToolError::classify("relation-set", 1, "ERROR cannot write relation settings\n");
        assert_eq!(
            e.to_string(),
            "relation-set exited with code 1: cannot write relation settings"
        );
    }

    // Proves what leaves through status-set is one line of at most 120 characters with no
    // control character (ESC, BEL, newline, tab…), whitespace runs folded, and that a short
    // clean message is untouched.
    #[test]
    fn status_messages_are_cleaned_and_cut() {
        let hostile = Status::new(
            StatusKind::Waiting,
            "Kafka Connect\u{1b}[31m red\u{7}\nactive: forged\r\n\t  tail",
        );
        assert_eq!(
            hostile.for_juju(),
            "Kafka Connect [31m red active: forged tail"
        );
        let long = Status::new(StatusKind::Blocked, "x".repeat(500));
        let out = long.for_juju();
        assert_eq!(out.chars().count(), MAX_STATUS_CHARS);
        assert!(out.ends_with('…'));
        let fine = Status::new(StatusKind::Active, "replicating a -> b (3 connectors)");
        assert_eq!(fine.for_juju(), fine.message);
        for s in [hostile, long, fine] {
            assert!(!s.for_juju().chars().any(char::is_control));
        }
    }

    // SecretContent's Debug shows keys, never values.
    #[test]
    fn secret_content_debug_hides_values() {
        let c = SecretContent::new(
            [
                ("username".into(), "relation-3".into()),
                ("password".into(), "s3cr3t-pw".into()),
            ]
            .into(),
        );
        let shown = format!("{c:?}");
        assert!(
            shown.contains("password") && !shown.contains("s3cr3t-pw"),
            "{shown}"
        );
        assert_eq!(c.secret("password").unwrap().expose(), "s3cr3t-pw");
    }

    // Nested results flatten to dotted keys that satisfy Juju's key rule.
    #[test]
    fn flatten_nested_results() {
        let v = serde_json::json!({"connectors": {"mirror_source_A": {"state": "RUNNING", "tasks": 2}}, "Last_Reconcile": null, "list": ["a"]});
        let flat = flatten_results(&v);
        assert_eq!(
            flat.get("connectors.mirror-source-a.state")
                .map(String::as_str),
            Some("RUNNING")
        );
        assert_eq!(
            flat.get("connectors.mirror-source-a.tasks")
                .map(String::as_str),
            Some("2")
        );
        assert_eq!(flat.get("last-reconcile").map(String::as_str), Some(""));
        assert_eq!(flat.get("list.0").map(String::as_str), Some("a"));
    }
}
