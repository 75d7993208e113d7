//! The `status` action's output, as JSON (`format=json`) and as a table, computed from one
//! read-only pass ([`Outcome`]) and the snapshot. Pure. Every trace goes through
//! [`redact_text`] with every secret the snapshot knows, so no password reaches the output.

use super::clock::rfc3339;
use super::heal::Verdict;
use super::{Outcome, Snapshot};
use crate::connect::trace::first_line;
use crate::mirror::sensitive::{display_value, redact_text};
use crate::mirror::DesiredConnector;
use crate::secret::Secret;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Config keys of the rendered connectors shown as "effective replication settings".
pub const SETTINGS: [&str; 14] = [
    "topics",
    "topics.exclude",
    "groups",
    "groups.exclude",
    "replication.policy.class",
    "replication.policy.separator",
    "replication.factor",
    "tasks.max",
    "emit.checkpoints.enabled",
    "sync.group.offsets.enabled",
    "sync.topic.configs.enabled",
    "sync.topic.acls.enabled",
    "emit.heartbeats.enabled",
    "source.consumer.auto.offset.reset",
];

/// Every secret the snapshot holds (relation passwords), for redaction.
pub fn known_secrets(s: &Snapshot) -> Vec<Secret> {
    let mut out = Vec::new();
    for r in s.sources.iter().chain(s.target.iter()) {
        if let Ok(d) = &r.data {
            out.push(d.password.clone());
        }
    }
    if let Some(Ok(d)) = s.connect.as_ref().map(|c| &c.data) {
        out.push(d.password.clone());
    }
    out.retain(|p| !p.is_empty());
    out
}

/// The first line of a trace, redacted; `None` without a trace.
fn trace_line(trace: Option<&str>, secrets: &[Secret]) -> Option<String> {
    let refs: Vec<&Secret> = secrets.iter().collect();
    trace.map(|t| redact_text(first_line(Some(t)), &refs))
}

/// What the `status` action reports: one typed value, rendered as JSON (`format=json`, the
/// field names are the JSON keys) or as the table below.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    pub unit: String,
    pub leader: bool,
    pub status: &'static str,
    /// The message as `juju status` shows it (one line, ≤ 120 characters).
    pub message: String,
    /// The whole story when the message is a cut of it (every validation error, a long
    /// message from Connect), one line, control characters escaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// When the leader last changed Kafka Connect (RFC 3339).
    pub last_change: Option<String>,
    pub pairs: Vec<String>,
    /// The effective replication settings (first source's connectors; secrets masked).
    pub settings: BTreeMap<String, String>,
    pub auto_restart: AutoRestartView,
    pub connectors: Vec<ConnectorRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AutoRestartView {
    pub enabled: Option<bool>,
    pub max: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ConnectorRow {
    pub name: String,
    pub kind: &'static str,
    pub source: String,
    pub target: Option<String>,
    /// Connect's state, or ABSENT (not listed), UNKNOWN (Connect not read), NO-STATUS.
    pub state: String,
    pub worker: Option<String>,
    /// First line of the trace, redacted.
    pub trace: Option<String>,
    pub intent: Option<&'static str>,
    pub auto_restarts: u32,
    pub last_auto_restart: Option<String>,
    /// RFC 3339, or `now`.
    pub next_auto_restart: Option<String>,
    pub tasks: Vec<TaskRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    pub id: u32,
    pub state: String,
    pub worker: Option<String>,
    pub trace: Option<String>,
}

/// The effective settings, per connector kind's rendered config (first source's connectors).
fn settings(o: &Outcome) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let first = o.desired.first().map(|d| d.source_alias.clone());
    for d in o
        .desired
        .iter()
        .filter(|d| Some(&d.source_alias) == first.as_ref())
    {
        for key in SETTINGS {
            if let Some(v) = d.config.get(key) {
                m.entry(key.to_string())
                    .or_insert_with(|| display_value(key, v).to_string());
            }
        }
    }
    m
}

/// One desired connector as Connect and the peer data see it.
fn row(s: &Snapshot, o: &Outcome, d: &DesiredConnector, secrets: &[Secret]) -> ConnectorRow {
    let peer = s.peer.as_ref().map(|p| &p.state);
    let a = o.actual.as_ref().and_then(|a| a.connectors.get(&d.name));
    let record = peer.and_then(|p| p.restarts.get(&d.name));
    let next = match o.verdicts.get(&d.name) {
        Some(Verdict::Wait { at, .. }) => Some(rfc3339(*at)),
        Some(Verdict::RestartNow { .. }) => Some("now".to_string()),
        _ => None,
    };
    let state = match a {
        None if o.actual.is_some() => "ABSENT".to_string(),
        None => "UNKNOWN".to_string(),
        Some(a) => a
            .state
            .as_ref()
            .map_or("NO-STATUS".to_string(), ToString::to_string),
    };
    ConnectorRow {
        name: d.name.clone(),
        kind: d.kind.as_str(),
        source: d.source_alias.clone(),
        target: s.target.as_ref().map(|t| t.app.clone()),
        state,
        worker: a.and_then(|a| a.worker_id.clone()),
        trace: a.and_then(|a| trace_line(a.trace.as_deref(), secrets)),
        intent: peer.and_then(|p| p.intent.get(&d.name)).map(|i| i.as_str()),
        auto_restarts: record.map_or(0, |r| r.restarts),
        last_auto_restart: record.and_then(|r| r.last_restart).map(rfc3339),
        next_auto_restart: next,
        tasks: a
            .map(|a| {
                a.tasks
                    .iter()
                    .map(|t| TaskRow {
                        id: t.id,
                        state: t.state.to_string(),
                        worker: t.worker_id.clone(),
                        trace: trace_line(t.trace.as_deref(), secrets),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

pub fn report(s: &Snapshot, o: &Outcome) -> Report {
    let secrets = known_secrets(s);
    let policy = s.auto_restart.as_ref().ok();
    Report {
        unit: s.unit.clone(),
        leader: s.leader,
        status: o.status.kind.as_str(),
        message: o.status.for_juju(),
        detail: detail(&o.status),
        last_change: s
            .peer
            .as_ref()
            .and_then(|p| p.state.last_change)
            .map(rfc3339),
        pairs: o.pairs.clone(),
        settings: settings(o),
        auto_restart: AutoRestartView {
            enabled: policy.map(|p| p.enabled),
            max: policy.map(|p| p.max),
        },
        connectors: o.desired.iter().map(|d| row(s, o, d, &secrets)).collect(),
    }
}

/// The detail worth showing besides the status line: the status's own detail, else the full
/// message when `status-set` had to cut or clean it; control characters escaped.
fn detail(st: &crate::juju::Status) -> Option<String> {
    let full = st
        .detail
        .clone()
        .or_else(|| (st.for_juju() != st.message).then(|| st.message.clone()))?;
    Some(
        full.chars()
            .map(|c| match c.is_control() {
                true => c.escape_default().to_string(),
                false => c.to_string(),
            })
            .collect(),
    )
}

impl Report {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serialises")
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "status: {} — {}", self.status, self.message);
        if let Some(d) = &self.detail {
            let _ = writeln!(out, "detail: {d}");
        }
        if !self.pairs.is_empty() {
            let _ = writeln!(out, "replication: {}", self.pairs.join(", "));
        }
        let last = self.last_change.as_deref().unwrap_or("never (by a leader)");
        let _ = writeln!(out, "last change: {last}");
        if let (Some(e), Some(m)) = (self.auto_restart.enabled, self.auto_restart.max) {
            let _ = writeln!(
                out,
                "auto-restart: {} (max {m})",
                if e { "on" } else { "off" }
            );
        }
        if !self.settings.is_empty() {
            let _ = writeln!(out, "settings:");
            for (k, v) in &self.settings {
                let _ = writeln!(out, "  {k} = {v}");
            }
        }
        self.connector_rows(&mut out);
        out
    }

    /// The table of connectors and their tasks (nothing when there are none).
    fn connector_rows(&self, out: &mut String) {
        if self.connectors.is_empty() {
            return;
        }
        let width = self
            .connectors
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(9)
            .max(9);
        let _ = writeln!(
            out,
            "\n{:width$}  {:11}  {:21}  {:8}  restarts",
            "connector", "state", "worker", "intent"
        );
        let text = |v: Option<&str>| v.unwrap_or("-").to_string();
        for r in &self.connectors {
            let restarts = match r.next_auto_restart.as_deref() {
                Some("now") => format!("{} (next: now)", r.auto_restarts),
                Some(at) => format!(
                    "{} (next: {})",
                    r.auto_restarts,
                    at.get(11..16)
                        .map_or(at.to_string(), |hm| format!("{hm} UTC"))
                ),
                None => r.auto_restarts.to_string(),
            };
            let _ = writeln!(
                out,
                "{:width$}  {:11}  {:21}  {:8}  {restarts}",
                r.name,
                r.state,
                text(r.worker.as_deref()),
                text(r.intent),
            );
            if let Some(t) = &r.trace {
                let _ = writeln!(out, "    trace: {t}");
            }
            for t in &r.tasks {
                let _ = writeln!(
                    out,
                    "{:width$}  {:11}  {}",
                    format!("  task {}", t.id),
                    t.state,
                    text(t.worker.as_deref()),
                );
                if let Some(tr) = &t.trace {
                    let _ = writeln!(out, "      trace: {tr}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the action shows the status line as `juju status` does, and the whole message —
    // or the status's own detail — beside it with control characters escaped.
    #[test]
    fn detail_beside_a_cut_message() {
        use crate::juju::{Status, StatusKind};
        let long = Status::new(StatusKind::Blocked, format!("bad\n{}", "x".repeat(200)));
        assert_eq!(detail(&long), Some(format!("bad\\n{}", "x".repeat(200))));
        let short = Status::new(StatusKind::Active, "fine");
        assert_eq!(detail(&short), None);
        let with = Status::new(StatusKind::Blocked, "cut").with_detail("all\terrors");
        assert_eq!(detail(&with).as_deref(), Some("all\\terrors"));
    }

    // proves the status action redacts a trace itself (belt and braces: run_pass redacted it
    // already), keeping only the first line
    #[test]
    fn trace_lines_are_redacted_here_too() {
        let secrets = [
            Secret::new("pw-kafka-a-0001"),
            Secret::new("pw-kafka-b-0002"),
        ];
        let trace = "org.apache.kafka.common.errors.SaslAuthenticationException: bad (pw-kafka-a-0001, pw-kafka-b-0002)\n\tat x";
        assert_eq!(
            trace_line(Some(trace), &secrets).as_deref(),
            Some("org.apache.kafka.common.errors.SaslAuthenticationException: bad (<redacted>, <redacted>)")
        );
        assert_eq!(trace_line(None, &secrets), None);
    }
}
