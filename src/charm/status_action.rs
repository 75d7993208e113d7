//! The `status` action's output, as JSON (`format=json`) and as a table, computed from one
//! read-only pass ([`Outcome`]) and the snapshot. Pure. Every trace goes through
//! [`redact_text`] with every secret the snapshot knows, so no password reaches the output.

use super::clock::rfc3339;
use super::heal::Verdict;
use super::{Outcome, Snapshot};
use crate::connect::trace::first_line;
use crate::mirror::sensitive::{display_value, redact_text};
use crate::secret::Secret;
use serde_json::{json, Value};
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

/// The effective settings, per connector kind's rendered config (first source's connectors).
fn settings(o: &Outcome) -> Value {
    let mut m = serde_json::Map::new();
    let first = o.desired.first().map(|d| d.source_alias.clone());
    for d in o
        .desired
        .iter()
        .filter(|d| Some(&d.source_alias) == first.as_ref())
    {
        for key in SETTINGS {
            if let Some(v) = d.config.get(key) {
                m.entry(key.to_string())
                    .or_insert_with(|| Value::String(display_value(key, v).to_string()));
            }
        }
    }
    Value::Object(m)
}

pub fn status_json(s: &Snapshot, o: &Outcome) -> Value {
    let secrets = known_secrets(s);
    let peer = s.peer.as_ref().map(|p| &p.state);
    let target = s.target.as_ref().map(|t| t.app.clone());
    let connectors: Vec<Value> = o
        .desired
        .iter()
        .map(|d| {
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
            json!({
                "name": d.name,
                "kind": d.kind.as_str(),
                "source": d.source_alias,
                "target": target,
                "state": state,
                "worker": a.and_then(|a| a.worker_id.clone()),
                "trace": a.and_then(|a| trace_line(a.trace.as_deref(), &secrets)),
                "intent": peer.and_then(|p| p.intent.get(&d.name)).map(|i| i.as_str()),
                "auto-restarts": record.map_or(0, |r| r.restarts),
                "last-auto-restart": record.and_then(|r| r.last_restart).map(rfc3339),
                "next-auto-restart": next,
                "tasks": a.map(|a| a.tasks.iter().map(|t| json!({
                    "id": t.id,
                    "state": t.state,
                    "worker": t.worker_id,
                    "trace": trace_line(t.trace.as_deref(), &secrets),
                })).collect::<Vec<_>>()).unwrap_or_default(),
            })
        })
        .collect();
    let policy = s.auto_restart.as_ref().ok();
    json!({
        "unit": s.unit,
        "leader": s.leader,
        "status": o.status.kind.as_str(),
        "message": o.status.message,
        "last-change": peer.and_then(|p| p.last_change).map(rfc3339),
        "pairs": o.pairs,
        "settings": settings(o),
        "auto-restart": {
            "enabled": policy.map(|p| p.enabled),
            "max": policy.map(|p| p.max),
        },
        "connectors": connectors,
    })
}

pub fn status_table(s: &Snapshot, o: &Outcome) -> String {
    let j = status_json(s, o);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "status: {} — {}",
        o.status.kind.as_str(),
        o.status.message
    );
    if !o.pairs.is_empty() {
        let _ = writeln!(out, "replication: {}", o.pairs.join(", "));
    }
    let _ = writeln!(
        out,
        "last change: {}",
        j["last-change"].as_str().unwrap_or("never (by a leader)")
    );
    if let (Some(e), Some(m)) = (
        j["auto-restart"]["enabled"].as_bool(),
        j["auto-restart"]["max"].as_u64(),
    ) {
        let _ = writeln!(
            out,
            "auto-restart: {} (max {m})",
            if e { "on" } else { "off" }
        );
    }
    if let Some(m) = j["settings"].as_object().filter(|m| !m.is_empty()) {
        let _ = writeln!(out, "settings:");
        for (k, v) in m {
            let _ = writeln!(out, "  {k} = {}", v.as_str().unwrap_or_default());
        }
    }
    let rows = j["connectors"].as_array().cloned().unwrap_or_default();
    connector_rows(&mut out, &rows);
    out
}

/// The table of connectors and their tasks (nothing when there are none).
fn connector_rows(out: &mut String, rows: &[Value]) {
    if rows.is_empty() {
        return;
    }
    let width = rows
        .iter()
        .filter_map(|r| r["name"].as_str())
        .map(str::len)
        .max()
        .unwrap_or(9)
        .max(9);
    let _ = writeln!(
        out,
        "\n{:width$}  {:11}  {:21}  {:8}  restarts",
        "connector", "state", "worker", "intent"
    );
    let text = |v: &Value| v.as_str().unwrap_or("-").to_string();
    for r in rows {
        let restarts = match (r["auto-restarts"].as_u64(), r["next-auto-restart"].as_str()) {
            (Some(n), Some("now")) => format!("{n} (next: now)"),
            (Some(n), Some(at)) => format!(
                "{n} (next: {})",
                at.get(11..16)
                    .map_or(at.to_string(), |hm| format!("{hm} UTC"))
            ),
            (Some(n), None) => n.to_string(),
            _ => "0".into(),
        };
        let _ = writeln!(
            out,
            "{:width$}  {:11}  {:21}  {:8}  {restarts}",
            text(&r["name"]),
            text(&r["state"]),
            text(&r["worker"]),
            text(&r["intent"]),
        );
        if let Some(t) = r["trace"].as_str() {
            let _ = writeln!(out, "    trace: {t}");
        }
        for t in r["tasks"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "{:width$}  {:11}  {}",
                format!("  task {}", t["id"]),
                text(&t["state"]),
                text(&t["worker"]),
            );
            if let Some(tr) = t["trace"].as_str() {
                let _ = writeln!(out, "      trace: {tr}");
            }
        }
    }
}
