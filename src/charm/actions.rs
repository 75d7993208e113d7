//! Actions. Each runs the same pass as a hook ([`run_pass`]), never a copy of its logic:
//! * `status` and `plan` are read-only and work on any unit (`plan` also asks Connect to
//!   validate every config it would write);
//! * `pause`, `stop`, `resume` and `restart` change Kafka Connect, so they run on the leader
//!   only. `pause`/`stop` record the operator's intent in the peer data (kept until `resume`),
//!   `resume` clears it, `restart` is one-shot; then the pass plans and applies as usual.

use super::peer::PeerState;
use super::status_action::{known_secrets, report};
use super::{
    desired_connectors, finish, run_pass_with, CharmError, ConnectFactory, Outcome, Pass, Snapshot,
};

/// Kafka Connect and the Kafka clusters, as the passes of actions read them (the loop guard
/// reads Kafka before a source connector may be created).
pub(super) type Io<'a> = (ConnectFactory<'a>, crate::kafka::KafkaFactory<'a>);
use crate::juju::{ActionName, HookTools};
use crate::mirror::sensitive::redact_text;
use crate::mirror::{ConnectorKind, DesiredConnector};
use crate::plan::{Intent, Reason, RestartRequest};
use crate::secret::Secret;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub fn run(
    name: &ActionName,
    snapshot: &Snapshot,
    tools: &dyn HookTools,
    connect: ConnectFactory,
    kafka: crate::kafka::KafkaFactory,
    wait: &dyn super::clock::Wait,
) -> Result<(), CharmError> {
    let params = tools.action_get()?;
    let change = |c| change(c, snapshot, tools, (connect, kafka), &params);
    match name {
        ActionName::Status => status(snapshot, tools, (connect, kafka), &params),
        ActionName::Plan => plan(snapshot, tools, (connect, kafka)),
        ActionName::Pause => change(Change::Pause),
        ActionName::Stop => change(Change::Stop),
        ActionName::Resume => change(Change::Resume),
        ActionName::Restart => change(Change::Restart),
        ActionName::Lag => super::dr_actions::lag(snapshot, tools, connect, kafka, &params),
        ActionName::FailoverCheck => {
            super::dr_actions::failover_check(snapshot, tools, connect, kafka, &params)
        }
        ActionName::Failover => super::failover::failover(
            snapshot,
            tools,
            &super::failover::Edges {
                connect,
                kafka,
                wait,
            },
            &params,
        ),
        ActionName::Unknown(other) => {
            tools.action_fail(&format!(
                "unknown action {other:?}: actions.yaml and the charm disagree"
            ))?;
            Ok(())
        }
    }
}

/// The actions that change Kafka Connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Pause,
    Stop,
    Resume,
    Restart,
}

impl Change {
    fn name(self) -> &'static str {
        match self {
            Change::Pause => "pause",
            Change::Stop => "stop",
            Change::Resume => "resume",
            Change::Restart => "restart",
        }
    }
}

pub(super) fn result(tools: &dyn HookTools, text: String) -> Result<(), CharmError> {
    tools.action_set(&BTreeMap::from([("result".to_string(), text)]))?;
    Ok(())
}

/// Redacts every secret the snapshot knows from action output (belt and braces: the pieces
/// are already masked or redacted where they are made).
pub(super) fn scrub(s: &Snapshot, text: &str) -> String {
    let secrets = known_secrets(s);
    let refs: Vec<&Secret> = secrets.iter().collect();
    redact_text(text, &refs)
}

/// The `status` action: every connector and task we own, read-only.
fn status(
    s: &Snapshot,
    tools: &dyn HookTools,
    (connect, kafka): Io,
    params: &Map<String, Value>,
) -> Result<(), CharmError> {
    let outcome = run_pass_with(s, connect, Some(kafka), &Pass::read_only());
    let report = report(s, &outcome);
    let text = match params.get("format").and_then(Value::as_str) {
        Some("json") => report.to_json(),
        _ => report.to_table(),
    };
    result(tools, scrub(s, &text))
}

/// The `plan` action: what the leader's next pass would change, validated, changing nothing.
fn plan(s: &Snapshot, tools: &dyn HookTools, (connect, kafka): Io) -> Result<(), CharmError> {
    let outcome = run_pass_with(
        s,
        connect,
        Some(kafka),
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

/// `pause`, `stop`, `resume`, `restart` (leader only): record the intent or the one-shot
/// request, run a writing pass, report.
fn change(
    c: Change,
    s: &Snapshot,
    tools: &dyn HookTools,
    io: Io,
    params: &Map<String, Value>,
) -> Result<(), CharmError> {
    let fail = |m: String| -> Result<(), CharmError> { Ok(tools.action_fail(&scrub(s, &m))?) };
    let targets = match change_targets(c, s, params) {
        Ok(t) => t,
        Err(m) => return fail(m),
    };
    if c == Change::Resume {
        let sources: Vec<String> = targets
            .iter()
            .filter(|d| d.kind == ConnectorKind::Source)
            .map(|d| d.source_alias.clone())
            .collect();
        if let Err(m) = super::loop_check::check_resume(s, &sources, io.1) {
            return fail(format!("resume: nothing resumed, the intent is kept: {m}"));
        }
    }
    let (intent_state, pass) = change_request(c, s, &targets, params);
    let outcome = pass_with_intent(s, tools, io, &intent_state, &pass)?;
    let report = change_report(c, s, &targets, &intent_state, params, &outcome);
    result(tools, scrub(s, &report))?;
    match change_problem(c, &outcome) {
        Some(m) => fail(m),
        None => Ok(()),
    }
}

/// Runs `pass` with the operator's new intent and saves it (leader). The intent is saved even
/// when Connect could not be reached: the next hook applies it.
pub(super) fn pass_with_intent(
    s: &Snapshot,
    tools: &dyn HookTools,
    (connect, kafka): Io,
    intent_state: &PeerState,
    pass: &Pass,
) -> Result<Outcome, CharmError> {
    let mut snap = s.clone();
    if let Some(p) = snap.peer.as_mut() {
        p.state = intent_state.clone();
    }
    let outcome = run_pass_with(&snap, connect, Some(kafka), pass);
    finish(s, tools, &outcome, Some(intent_state))?;
    Ok(outcome)
}

/// The connectors `c` applies to, or why it cannot run here and now.
fn change_targets(
    c: Change,
    s: &Snapshot,
    params: &Map<String, Value>,
) -> Result<Vec<DesiredConnector>, String> {
    let name = c.name();
    if !s.leader {
        return Err(format!(
            "'{name}' changes Kafka Connect, so it runs on the leader only: juju run {}/leader {name}",
            s.app
        ));
    }
    let desired = desired_connectors(s).map_err(|st| format!("cannot {name}: {}", st.message))?;
    let param = params
        .get("connector")
        .and_then(Value::as_str)
        .unwrap_or("");
    let targets = select(param, &desired)?.into_iter().cloned().collect();
    // The intent lives in the peer data; a restart works without it (no counters to reset).
    if s.peer.is_none() && c != Change::Restart {
        return Err(format!(
            "cannot {name}: the peer relation is not set up yet (retry in a moment)"
        ));
    }
    Ok(targets)
}

/// The peer data with the operator's new intent, and the pass that carries `c` out.
fn change_request(
    c: Change,
    s: &Snapshot,
    targets: &[DesiredConnector],
    params: &Map<String, Value>,
) -> (PeerState, Pass) {
    let mut state: PeerState = s.peer.as_ref().map(|p| p.state.clone()).unwrap_or_default();
    let mut pass = Pass {
        write: true,
        ..Pass::default()
    };
    for d in targets {
        let name = d.name.clone();
        match c {
            Change::Pause => drop(state.intent.insert(name, Intent::Paused)),
            Change::Stop => drop(state.intent.insert(name, Intent::Stopped)),
            Change::Resume => {
                state.intent.remove(&name);
                pass.requests.resume.insert(name);
            }
            Change::Restart => drop(pass.requests.restart.insert(
                name,
                RestartRequest {
                    include_tasks: flag(params, "include-tasks"),
                    only_failed: flag(params, "only-failed"),
                    reason: Reason::OperatorRestart,
                },
            )),
        }
    }
    (state, pass)
}

/// The action's output: what was selected, kept, applied, and the status after.
fn change_report(
    c: Change,
    s: &Snapshot,
    targets: &[DesiredConnector],
    state: &PeerState,
    params: &Map<String, Value>,
    outcome: &Outcome,
) -> String {
    let mut text = String::new();
    let names: Vec<&str> = targets.iter().map(|d| d.name.as_str()).collect();
    let _ = writeln!(text, "{} (selected): {}", c.name(), names.join(", "));
    match c {
        Change::Pause | Change::Stop => {
            let kept = if c == Change::Pause {
                "paused"
            } else {
                "stopped"
            };
            let _ = writeln!(text, "kept {kept} until: juju run {}/leader resume", s.app);
        }
        Change::Restart if outcome.applied.is_empty() && outcome.apply_error.is_none() => {
            let _ = writeln!(text, "{}", nothing_restarted(s, names, state, params));
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
    text
}

/// Why a restart restarted nothing: connectors the operator holds are never restarted (resume
/// them first); otherwise nothing was FAILED.
fn nothing_restarted(
    s: &Snapshot,
    names: Vec<&str>,
    state: &PeerState,
    params: &Map<String, Value>,
) -> String {
    let held: Vec<String> = names
        .iter()
        .filter_map(|n| {
            state
                .intent
                .get(*n)
                .map(|i| format!("{n} ({})", i.as_str()))
        })
        .collect();
    if !held.is_empty() {
        return format!(
            "not restarted: held by the operator: {}; juju run {}/leader resume first",
            held.join(", "),
            s.app
        );
    }
    if flag(params, "only-failed") {
        "nothing to restart: no connector or task is FAILED (only-failed=false restarts anyway)"
            .to_string()
    } else {
        "nothing restarted: Kafka Connect does not list the selected connectors yet".to_string()
    }
}

/// Why the action did not complete, saying what happens next: an intent is recorded and the
/// next hook applies it; a restart is one-shot and is not kept.
fn change_problem(c: Change, outcome: &Outcome) -> Option<String> {
    let problem = outcome.apply_error.clone().or_else(|| {
        outcome
            .plan
            .as_ref()
            .and_then(|p| p.hold.as_ref())
            .map(|_| outcome.status.clone())
    })?;
    let next = match c {
        Change::Restart => "a restart is not kept: run the action again once this is fixed",
        _ => "the intent is recorded; the next hook applies it",
    };
    Some(format!(
        "{} not completed: {} ({next})",
        c.name(),
        problem.message
    ))
}
