//! Actions. Each reuses the reconcile pass (never a copy of its logic); read-only actions run
//! it with writes off, so they work on any unit.

use super::{reconcile, CharmError, ConnectFactory, Outcome, Snapshot};
use crate::juju::HookTools;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub fn run(
    name: &str,
    snapshot: &Snapshot,
    tools: &dyn HookTools,
    connect: ConnectFactory,
) -> Result<(), CharmError> {
    match name {
        "status" => status(snapshot, tools, connect),
        other => {
            tools.action_fail(&format!("unknown action {other:?}"))?;
            Ok(())
        }
    }
}

/// The `status` action: every connector we own with its state and tasks' states.
fn status(
    snapshot: &Snapshot,
    tools: &dyn HookTools,
    connect: ConnectFactory,
) -> Result<(), CharmError> {
    let params = tools.action_get()?;
    let format = params
        .get("format")
        .and_then(|v| v.as_str())
        .unwrap_or("table")
        .to_string();
    let outcome = reconcile(snapshot, connect, false);
    let text = match format.as_str() {
        "json" => {
            serde_json::to_string_pretty(&status_json(&outcome)).expect("json value serialises")
        }
        _ => status_table(&outcome),
    };
    let mut results = BTreeMap::new();
    results.insert("result".to_string(), text);
    tools.action_set(&results)?;
    Ok(())
}

pub fn status_json(o: &Outcome) -> serde_json::Value {
    let connectors: Vec<serde_json::Value> = o
        .desired
        .iter()
        .map(|d| {
            let a = o.actual.as_ref().and_then(|a| a.connectors.get(&d.name));
            json!({
                "name": d.name,
                "kind": d.kind.as_str(),
                "source": d.source_alias,
                "state": a.and_then(|a| a.state.clone()).unwrap_or_else(|| if a.is_some() { "NO-STATUS".into() } else { "ABSENT".into() }),
                "tasks": a.map(|a| a.tasks.iter().map(|t| json!({
                    "id": t.id,
                    "state": t.state,
                    "trace": t.trace.as_deref().map(|tr| super::status::first_line(Some(tr)).to_string()),
                })).collect::<Vec<_>>()).unwrap_or_default(),
            })
        })
        .collect();
    json!({
        "status": o.status.kind.as_str(),
        "message": o.status.message,
        "pairs": o.pairs,
        "connectors": connectors,
    })
}

pub fn status_table(o: &Outcome) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "status: {} — {}",
        o.status.kind.as_str(),
        o.status.message
    );
    if !o.pairs.is_empty() {
        let _ = writeln!(s, "replication: {}", o.pairs.join(", "));
    }
    let json = status_json(o);
    let rows = json["connectors"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return s;
    }
    let width = rows
        .iter()
        .filter_map(|r| r["name"].as_str())
        .map(str::len)
        .max()
        .unwrap_or(9)
        .max(9);
    let _ = writeln!(s, "{:width$}  {:10}  tasks", "connector", "state");
    for r in rows {
        let tasks: Vec<String> = r["tasks"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .map(|t| format!("{}:{}", t["id"], t["state"].as_str().unwrap_or("?")))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{:width$}  {:10}  {}",
            r["name"].as_str().unwrap_or(""),
            r["state"].as_str().unwrap_or(""),
            if tasks.is_empty() {
                "-".to_string()
            } else {
                tasks.join(" ")
            }
        );
    }
    s
}
