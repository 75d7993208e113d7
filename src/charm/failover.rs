//! The `failover` action (issue 15): move consumers to the target cleanly.
//!
//! Dry run (the default, any unit): one look — what the target lacks now, which connectors
//! would be stopped, where each group would resume on the target and how many records it
//! would read again. Not a dry run (leader): (1) every connector and task of the pair must run
//! (else fail, unless `force`); (2) poll until the target holds everything the source has —
//! every record replicated, the source no longer written, MirrorMaker's final offset sync and
//! the checkpoints computed with it (and, with sync-group-offsets, the groups' commits on the
//! target) — or fail at `timeout` having changed nothing (unless `force`); (3) stop the source
//! and checkpoint connectors through the operator's intent (Connect's STOPPED, offsets kept;
//! kept across hooks until `resume`; the heartbeat connector keeps running); (4) report.
//! The rules are pure ([`crate::dr::failover`]); this module gathers, waits and reports.

use super::actions::{pass_with_intent, scrub};
use super::clock::Wait;
use super::dr_actions::{gather, group_cells, group_header, View, NO_GROUPS};
use super::{desired_connectors, CharmError, ConnectFactory, Pass, Snapshot};
use crate::dr;
use crate::dr::failover::{pending, resume_rows, GroupSync, Pending, ResumeRow};
use crate::juju::HookTools;
use crate::kafka::{KafkaFactory, Tp};
use crate::mirror::ConnectorKind;
use crate::plan::{Intent, RunState};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// How often the target is looked at while waiting (each look reads Connect and both
/// clusters: a few hundred milliseconds).
const POLL: Duration = Duration::from_secs(2);
/// How long Connect may take to report the stopped connectors as STOPPED.
const STOP_WAIT: Duration = Duration::from_secs(30);

/// The I/O the action uses.
pub(super) struct Edges<'a> {
    pub(super) connect: ConnectFactory<'a>,
    pub(super) kafka: KafkaFactory<'a>,
    pub(super) wait: &'a dyn Wait,
}

/// The action's parameters (actions.yaml).
struct Params {
    dry_run: bool,
    force: bool,
    timeout: Duration,
    json: bool,
}

impl Params {
    fn read(p: &Map<String, Value>) -> Params {
        let flag = |k: &str, d: bool| p.get(k).and_then(Value::as_bool).unwrap_or(d);
        Params {
            dry_run: flag("dry-run", true),
            force: flag("force", false),
            timeout: Duration::from_secs(p.get("timeout").and_then(Value::as_u64).unwrap_or(300)),
            json: p.get("format").and_then(Value::as_str) == Some("json"),
        }
    }
}

/// What the action found and did, for the report.
struct Done {
    views: Vec<View>,
    pending: Vec<Pending>,
    /// The connectors stopped (or that a dry run would stop).
    stop: Vec<String>,
    stopped: bool,
    /// Stopped by an earlier failover (nothing waited for, nothing changed now).
    already: bool,
    waited: Duration,
    notes: Vec<String>,
}

pub(super) fn failover(
    s: &Snapshot,
    tools: &dyn HookTools,
    edges: &Edges,
    params: &Map<String, Value>,
) -> Result<(), CharmError> {
    let p = Params::read(params);
    let fail = |m: String| -> Result<(), CharmError> {
        Ok(tools.action_fail(&scrub(s, &format!("failover: {m}")))?)
    };
    let stop = match stop_targets(s, &p, params) {
        Ok(names) => names,
        Err(m) => return fail(m),
    };
    let done = match run(s, tools, edges, &p, params, stop) {
        Ok(d) => d,
        Err(m) => return fail(m),
    };
    let text = if p.json {
        report_json(&p, &done).to_string()
    } else {
        report_table(s, &p, &done)
    };
    tools.action_set(&BTreeMap::from([
        ("stopped".to_string(), done.stopped.to_string()),
        ("result".to_string(), scrub(s, &text)),
    ]))?;
    Ok(())
}

/// The source and checkpoint connectors of the selected sources, or why the action cannot run.
fn stop_targets(
    s: &Snapshot,
    p: &Params,
    params: &Map<String, Value>,
) -> Result<Vec<String>, String> {
    if !p.dry_run && !s.leader {
        return Err(format!(
            "it stops connectors, so it runs on the leader only: juju run {}/leader failover dry-run=false",
            s.app
        ));
    }
    if !p.dry_run && s.peer.is_none() {
        return Err("the peer relation is not set up yet (retry in a moment)".into());
    }
    let wanted = params
        .get("source")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    let desired = desired_connectors(s).map_err(|st| st.message)?;
    Ok(desired
        .iter()
        .filter(|d| wanted.is_empty() || d.source_alias == wanted)
        .filter(|d| matches!(d.kind, ConnectorKind::Source | ConnectorKind::Checkpoint))
        .map(|d| d.name.clone())
        .collect())
}

fn run(
    s: &Snapshot,
    tools: &dyn HookTools,
    edges: &Edges,
    p: &Params,
    params: &Map<String, Value>,
    stop: Vec<String>,
) -> Result<Done, String> {
    let look = || gather(s, edges.connect, edges.kafka, params);
    let held = held_stopped(s, &stop);
    let views = look()?;
    let mut notes = Vec::new();
    if held && !p.dry_run {
        notes.push("already failed over: these connectors are kept stopped".to_string());
    }
    let broken = not_running(&views);
    if !held && !broken.is_empty() {
        let list = broken.join("; ");
        if !p.force && !p.dry_run {
            return Err(format!(
                "not every connector runs: {list} (force=true to go on)"
            ));
        }
        notes.push(format!("not every connector runs: {list}"));
    }
    if p.dry_run || held {
        let pending = all_pending(s, &views, None);
        return Ok(Done {
            views,
            pending,
            stop,
            stopped: held,
            already: held,
            waited: Duration::ZERO,
            notes,
        });
    }
    let start = edges.wait.elapsed();
    let (views, pending) = wait_settled(s, edges, p, &look, views)?;
    let waited = edges.wait.elapsed().saturating_sub(start);
    if !pending.is_empty() {
        notes.push(format!(
            "forced after {} s with the target incomplete",
            waited.as_secs()
        ));
    }
    stop_connectors(s, tools, edges, &stop)?;
    Ok(Done {
        views,
        pending,
        stop,
        stopped: true,
        already: false,
        waited,
        notes,
    })
}

/// Whether every connector to stop is already kept stopped by the operator's intent (a
/// failover done before; `resume` undoes it).
fn held_stopped(s: &Snapshot, stop: &[String]) -> bool {
    let intent = s.peer.as_ref().map(|p| &p.state.intent);
    !stop.is_empty()
        && stop
            .iter()
            .all(|n| intent.and_then(|i| i.get(n)) == Some(&Intent::Stopped))
}

/// Connectors or tasks of ours not RUNNING (a stopped pair cannot deliver the final records).
fn not_running(views: &[View]) -> Vec<String> {
    views
        .iter()
        .flat_map(|v| dr::connector_reasons(&v.connectors))
        .map(|r| r.to_string())
        .collect()
}

fn all_pending(s: &Snapshot, views: &[View], previous: Option<&[View]>) -> Vec<Pending> {
    let sync = s.config.as_ref().map_or(
        GroupSync {
            checkpoints: false,
            commits: false,
        },
        |c| GroupSync {
            checkpoints: c.emit_checkpoints,
            commits: c.sync_group_offsets,
        },
    );
    views
        .iter()
        .flat_map(|v| {
            let before = previous
                .and_then(|p| p.iter().find(|o| o.source == v.source))
                .map(ends);
            pending(
                &v.partitions,
                before.as_ref(),
                &v.syncs,
                &v.groups,
                sync,
                &v.active_on_target,
            )
        })
        .collect()
}

fn ends(v: &View) -> BTreeMap<Tp, i64> {
    v.partitions
        .iter()
        .map(|p| (Tp::new(p.topic.clone(), p.partition), p.end))
        .collect()
}

/// Polls until nothing is pending on two looks in a row (the second proves the source is no
/// longer written), or until the timeout: then fails naming what is missing, unless `force`.
fn wait_settled(
    s: &Snapshot,
    edges: &Edges,
    p: &Params,
    look: &dyn Fn() -> Result<Vec<View>, String>,
    first: Vec<View>,
) -> Result<(Vec<View>, Vec<Pending>), String> {
    let deadline = edges.wait.elapsed() + p.timeout;
    let mut previous: Option<Vec<View>> = None;
    let mut views = first;
    loop {
        let pend = all_pending(s, &views, previous.as_deref());
        if pend.is_empty() && previous.is_some() {
            return Ok((views, pend));
        }
        if edges.wait.elapsed() >= deadline {
            if p.force {
                return Ok((views, pend));
            }
            let list: Vec<String> = pend.iter().map(ToString::to_string).collect();
            return Err(format!(
                "nothing stopped: after {} s the target still lacks: {} (a longer timeout, or force=true)",
                p.timeout.as_secs(),
                list.join("; ")
            ));
        }
        edges.wait.sleep(POLL);
        // A failed look while waiting is retried until the deadline (Connect rebalancing,
        // a broker restarting); the last error is reported if it persists.
        match look() {
            Ok(v) => previous = Some(std::mem::replace(&mut views, v)),
            Err(e) if edges.wait.elapsed() >= deadline => {
                return Err(format!("nothing stopped: {e}"))
            }
            Err(_) => previous = None,
        }
    }
}

/// Records the operator's intent (Stopped) for `names`, applies it and waits until Connect
/// reports them STOPPED.
fn stop_connectors(
    s: &Snapshot,
    tools: &dyn HookTools,
    edges: &Edges,
    names: &[String],
) -> Result<(), String> {
    let mut state = s.peer.as_ref().map(|p| p.state.clone()).unwrap_or_default();
    for n in names {
        state.intent.insert(n.clone(), Intent::Stopped);
    }
    let pass = Pass {
        write: true,
        ..Pass::default()
    };
    let outcome = pass_with_intent(s, tools, (edges.connect, edges.kafka), &state, &pass)
        .map_err(|e| e.to_string())?;
    if let Some(e) = outcome.apply_error {
        return Err(format!(
            "stop not completed: {} (the intent is recorded; the next hook applies it)",
            e.message
        ));
    }
    let deadline = edges.wait.elapsed() + STOP_WAIT;
    let mut actual = outcome.actual;
    loop {
        let running: Vec<&String> = names
            .iter()
            .filter(|n| {
                actual
                    .as_ref()
                    .and_then(|a| a.connectors.get(*n))
                    .and_then(|c| c.state.clone())
                    != Some(RunState::Stopped)
            })
            .collect();
        if running.is_empty() {
            return Ok(());
        }
        if edges.wait.elapsed() >= deadline {
            let list: Vec<&str> = running.iter().map(|n| n.as_str()).collect();
            return Err(format!("asked Kafka Connect to stop {} but it does not report them STOPPED after {} s (the intent is recorded; the next hook applies it)", list.join(", "), STOP_WAIT.as_secs()));
        }
        edges.wait.sleep(POLL);
        actual =
            super::run_pass_with(s, edges.connect, Some(edges.kafka), &Pass::read_only()).actual;
    }
}

fn rows(v: &View) -> Vec<ResumeRow> {
    resume_rows(&v.groups, &v.syncs)
}

fn report_table(s: &Snapshot, p: &Params, d: &Done) -> String {
    let mut t = String::new();
    if p.dry_run {
        let _ = writeln!(
            t,
            "dry run: nothing changed; 'dry-run=false' would stop: {}",
            d.stop.join(", ")
        );
        if d.pending.is_empty() {
            let _ = writeln!(t, "the target holds everything the source has now (producers are checked only when not a dry run)");
        } else {
            let _ = writeln!(t, "it would first wait for:");
        }
    } else if d.stopped {
        let _ = writeln!(t, "stopped (offsets kept): {}", d.stop.join(", "));
        if !d.already {
            let _ = writeln!(
                t,
                "waited {:.1} s for the final offset sync and checkpoints",
                d.waited.as_secs_f64()
            );
        }
        let _ = writeln!(t, "kept stopped until: juju run {}/leader resume", s.app);
    }
    for pend in &d.pending {
        let _ = writeln!(t, "  {pend} ({})", pend.name());
    }
    for n in &d.notes {
        let _ = writeln!(t, "note: {n}");
    }
    for v in &d.views {
        let _ = writeln!(t, "{} -> {}:", v.source, v.target);
        t.push_str(&rows_table(v));
        if !v.active_on_source.is_empty() {
            let _ = writeln!(
                t,
                "note: groups with members on {}: {} (their commits may still move)",
                v.source,
                v.active_on_source.join(", ")
            );
        }
    }
    t
}

/// The groups of one pair with the records each re-reads (`~`: estimated).
fn rows_table(v: &View) -> String {
    if v.groups.is_empty() {
        return format!("  {NO_GROUPS}\n");
    }
    let mut t = format!("  {} {:>8}\n", group_header(), "re-read");
    for (g, r) in v.groups.iter().zip(rows(v)) {
        let re = match (r.re_read, r.exact) {
            (Some(n), true) => n.to_string(),
            (Some(n), false) => format!("~{n}"),
            (None, _) => "-".to_string(),
        };
        let _ = writeln!(t, "  {} {re:>8}", group_cells(g));
    }
    t
}

fn report_json(p: &Params, d: &Done) -> Value {
    let pend: Vec<Value> = d
        .pending
        .iter()
        .map(|x| json!({"reason": x.name(), "message": x.to_string()}))
        .collect();
    let sources: Vec<Value> = d
        .views
        .iter()
        .map(|v| json!({"source": v.source, "target": v.target, "groups": rows(v), "active_on_source": v.active_on_source}))
        .collect();
    json!({
        "dry_run": p.dry_run,
        "stopped": d.stopped,
        "stop": d.stop,
        "waited_s": d.waited.as_secs_f64(),
        "pending": pend,
        "notes": d.notes,
        "sources": sources,
    })
}
