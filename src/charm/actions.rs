//! Actions. Each runs the same pass as a hook ([`run_pass`]), never a copy of its logic:
//! * `status` and `plan` are read-only and work on any unit (`plan` also asks Connect to
//!   validate every config it would write);
//! * `pause`, `stop`, `resume` and `restart` change Kafka Connect, so they run on the leader
//!   only. `pause`/`stop` record the operator's intent in the peer data (kept until `resume`),
//!   `resume` clears it, `restart` is one-shot; then the pass plans and applies as usual.

use super::peer::PeerState;
use super::report::{known_secrets, status_json, status_table};
use super::{desired_connectors, finish, run_pass, CharmError, ConnectFactory, Pass, Snapshot};
use crate::juju::HookTools;
use crate::mirror::sensitive::redact_text;
use crate::mirror::DesiredConnector;
use crate::plan::{Intent, Reason, RestartRequest};
use crate::secret::Secret;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub fn run(
    name: &str,
    snapshot: &Snapshot,
    tools: &dyn HookTools,
    connect: ConnectFactory,
) -> Result<(), CharmError> {
    let params = tools.action_get()?;
    match name {
        "status" => status(snapshot, tools, connect, &params),
        "plan" => plan(snapshot, tools, connect),
        "pause" | "stop" | "resume" | "restart" => change(name, snapshot, tools, connect, &params),
        other => {
            tools.action_fail(&format!("unknown action {other:?}"))?;
            Ok(())
        }
    }
}

fn result(tools: &dyn HookTools, text: String) -> Result<(), CharmError> {
    tools.action_set(&BTreeMap::from([("result".to_string(), text)]))?;
    Ok(())
}

/// Redacts every secret the snapshot knows from action output (belt and braces: the pieces
/// are already masked or redacted where they are made).
fn scrub(s: &Snapshot, text: &str) -> String {
    let secrets = known_secrets(s);
    let refs: Vec<&Secret> = secrets.iter().collect();
    redact_text(text, &refs)
}

/// The `status` action: every connector and task we own, read-only.
fn status(
    s: &Snapshot,
    tools: &dyn HookTools,
    connect: ConnectFactory,
    params: &Map<String, Value>,
) -> Result<(), CharmError> {
    let outcome = run_pass(s, connect, &Pass::read_only());
    let text = match params.get("format").and_then(Value::as_str) {
        Some("json") => {
            serde_json::to_string_pretty(&status_json(s, &outcome)).expect("json value serialises")
        }
        _ => status_table(s, &outcome),
    };
    result(tools, scrub(s, &text))
}

/// The `plan` action: what the leader's next pass would change, validated, changing nothing.
fn plan(s: &Snapshot, tools: &dyn HookTools, connect: ConnectFactory) -> Result<(), CharmError> {
    let outcome = run_pass(
        s,
        connect,
        &Pass {
            dry_run: true,
            ..Pass::default()
        },
    );
    let mut text = outcome
        .plan
        .as_ref()
        .map_or_else(|| "no plan".to_string(), ToString::to_string);
    text.push('\n');
    for (name, v) in &outcome.validation {
        let _ = match v {
            Ok(errors) if errors.is_empty() => {
                writeln!(text, "validated by Kafka Connect: {name}: ok")
            }
            Ok(errors) => writeln!(text, "Kafka Connect rejects {name}: {}", errors.join("; ")),
            Err(e) => writeln!(text, "could not validate {name}: {e}"),
        };
    }
    if !s.leader {
        let _ = writeln!(
            text,
            "(computed on a follower: auto-restarts are decided by the leader; juju run {}/leader plan)",
            s.app
        );
    }
    let _ = write!(
        text,
        "status now: {} — {}",
        outcome.status.kind.as_str(),
        outcome.status.message
    );
    result(tools, scrub(s, &text))
}

/// The connectors a `connector` parameter names: empty = all; else a connector name,
/// `<kind>/<source app>`, a kind, or a source app.
pub fn select<'a>(
    param: &str,
    desired: &'a [DesiredConnector],
) -> Result<Vec<&'a DesiredConnector>, String> {
    let p = param.trim();
    let picked: Vec<&DesiredConnector> = desired
        .iter()
        .filter(|d| {
            p.is_empty()
                || p == "all"
                || p == d.name
                || p == d.kind.as_str()
                || p == d.source_alias
                || p == format!("{}/{}", d.kind.as_str(), d.source_alias)
        })
        .collect();
    if picked.is_empty() {
        let choices: Vec<String> = desired
            .iter()
            .map(|d| format!("{}/{}", d.kind.as_str(), d.source_alias))
            .collect();
        return Err(format!(
            "no connector of this application matches '{p}'; use one of: {} (or leave 'connector' empty for all)",
            choices.join(", ")
        ));
    }
    Ok(picked)
}

fn flag(params: &Map<String, Value>, key: &str) -> bool {
    params.get(key).and_then(Value::as_bool).unwrap_or(true)
}

/// `pause`, `stop`, `resume`, `restart` (leader only).
fn change(
    name: &str,
    s: &Snapshot,
    tools: &dyn HookTools,
    connect: ConnectFactory,
    params: &Map<String, Value>,
) -> Result<(), CharmError> {
    let fail = |m: String| -> Result<(), CharmError> { Ok(tools.action_fail(&m)?) };
    if !s.leader {
        return fail(format!(
            "'{name}' changes Kafka Connect, so it runs on the leader only: juju run {}/leader {name}",
            s.app
        ));
    }
    let desired = match desired_connectors(s) {
        Ok(d) => d,
        Err(status) => return fail(format!("cannot {name}: {}", status.message)),
    };
    let param = params
        .get("connector")
        .and_then(Value::as_str)
        .unwrap_or("");
    let targets = match select(param, &desired) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    // The intent lives in the peer data; a restart works without it (no counters to reset).
    if s.peer.is_none() && name != "restart" {
        return fail(format!(
            "cannot {name}: the peer relation is not set up yet (retry in a moment)"
        ));
    }
    let mut snap = s.clone();
    let mut intent_state: PeerState = s.peer.as_ref().map(|p| p.state.clone()).unwrap_or_default();
    let mut pass = Pass {
        write: true,
        ..Pass::default()
    };
    for d in &targets {
        match name {
            "pause" => {
                intent_state.intent.insert(d.name.clone(), Intent::Paused);
            }
            "stop" => {
                intent_state.intent.insert(d.name.clone(), Intent::Stopped);
            }
            "resume" => {
                intent_state.intent.remove(&d.name);
                pass.requests.resume.insert(d.name.clone());
            }
            _ => {
                pass.requests.restart.insert(
                    d.name.clone(),
                    RestartRequest {
                        include_tasks: flag(params, "include-tasks"),
                        only_failed: flag(params, "only-failed"),
                        reason: Reason::OperatorRestart,
                    },
                );
            }
        }
    }
    if let Some(p) = snap.peer.as_mut() {
        p.state = intent_state.clone();
    }
    let outcome = run_pass(&snap, connect, &pass);
    // The intent is saved even when Connect could not be reached: the next hook applies it.
    finish(s, tools, &outcome, Some(&intent_state))?;

    let mut text = String::new();
    let names: Vec<&str> = targets.iter().map(|d| d.name.as_str()).collect();
    let _ = writeln!(text, "{name} (selected): {}", names.join(", "));
    match name {
        "pause" | "stop" => {
            let _ = writeln!(
                text,
                "kept {} until: juju run {}/leader resume",
                if name == "pause" { "paused" } else { "stopped" },
                s.app
            );
        }
        "restart" if outcome.applied.is_empty() && outcome.apply_error.is_none() => {
            let _ = writeln!(
                text,
                "nothing to restart: no connector or task is FAILED (only-failed=false restarts anyway)"
            );
        }
        _ => {}
    }
    if !outcome.applied.is_empty() {
        let _ = writeln!(text, "applied:");
        for line in &outcome.applied {
            let _ = writeln!(text, "  {line}");
        }
    }
    let _ = write!(
        text,
        "status: {} — {}",
        outcome.status.kind.as_str(),
        outcome.status.message
    );
    let text = scrub(s, &text);
    let problem = outcome.apply_error.clone().or_else(|| {
        outcome
            .plan
            .as_ref()
            .and_then(|p| p.hold.as_ref())
            .map(|_| outcome.status.clone())
    });
    result(tools, text)?;
    if let Some(p) = problem {
        return fail(scrub(
            s,
            &format!(
                "{name} not completed: {} (the next hook retries{})",
                p.message,
                if matches!(name, "pause" | "stop" | "resume") {
                    "; the intent is recorded"
                } else {
                    ""
                }
            ),
        ));
    }
    Ok(())
}
