//! The charm driver: what one dispatch does. Every hook runs the same level-triggered pass
//! (design.md §2): observe Juju → desired connectors → actual from Connect → plan → apply
//! (leader only) → status. Actions reuse the same pass without writing.
//!
//! Talks to Juju only through [`HookTools`] and to Connect only through [`ConnectApi`].

pub mod actions;
pub mod connect_port;
pub mod observe;
pub mod port;
pub mod status;

use crate::juju::{Event, EventKind, HookTools, Status, StatusKind, ToolError};
use crate::mirror::{
    connector_name, desired, model_uuid_hex, Cluster, ConnectorKind, DesiredConnector, Inputs,
};
use crate::reconcile::{plan, Action, Actual, Owner, Plan};
use crate::relations::{KafkaData, Related};
pub use observe::{observe, Snapshot};
pub use port::{ConnectApi, ConnectFactory, ConnectFailure};
use thiserror::Error;

/// The relation endpoints this charm requires, in the order an operator sets them up.
pub const REQUIRED_ENDPOINTS: [&str; 3] = ["source", "target", "connect-client"];

#[derive(Debug, Error)]
pub enum CharmError {
    #[error(transparent)]
    Tool(#[from] ToolError),
}

/// What one pass found and did; statuses and action output are computed from it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    /// The desired connectors (when inputs were complete).
    pub desired: Vec<DesiredConnector>,
    /// Connect's view after apply, restricted to our connectors (when Connect was reached).
    pub actual: Option<Actual>,
    /// The plan computed before apply (when Connect was reached).
    pub plan: Option<Plan>,
    /// `<source alias> -> <target alias>` pairs in force.
    pub pairs: Vec<String>,
    /// One line per applied step.
    pub applied: Vec<String>,
}

impl Outcome {
    fn stop(status: Status) -> Outcome {
        Outcome {
            status,
            desired: Vec::new(),
            actual: None,
            plan: None,
            pairs: Vec::new(),
            applied: Vec::new(),
        }
    }
}

/// Runs one dispatch. An `Err` means Juju should retry the hook (a hook tool failed);
/// everything the operator can fix is reported through status instead.
pub fn run(
    event: &Event,
    tools: &dyn HookTools,
    connect: ConnectFactory,
) -> Result<(), CharmError> {
    tracing::debug!(unit = %event.unit, "running {}", event.name());
    let snapshot = observe(event, tools)?;
    match &event.kind {
        EventKind::Action(name) => actions::run(name, &snapshot, tools, connect),
        _ => {
            let outcome = reconcile(&snapshot, connect, snapshot.leader);
            for line in &outcome.applied {
                tracing::info!("{line}");
            }
            tools.status_set(&outcome.status, false)?;
            if snapshot.leader {
                tools.status_set(&outcome.status, true)?;
            }
            Ok(())
        }
    }
}

/// Everything needed to talk to Connect, once the Juju side is complete.
struct Ready<'a> {
    desired: Vec<DesiredConnector>,
    owner: Owner,
    connect: &'a crate::relations::ConnectData,
    /// Aliases of `source` relations whose data is incomplete: their connectors are held.
    held_sources: Vec<String>,
    /// Status note for those.
    waiting_note: Option<String>,
    pairs: Vec<String>,
    connect_relation_id: u64,
    uuid_hex: String,
}

fn cluster(r: &Related<KafkaData>, data: &KafkaData) -> Cluster {
    Cluster {
        alias: r.app.clone(),
        bootstrap: data.bootstrap.clone(),
        tls: data.tls,
        ca_pem: data.ca_pem.clone(),
        username: data.username.clone(),
        password: data.password.clone(),
    }
}

/// The Juju-side gate: every reason to stop before Connect, as a status naming the cause.
fn gate(s: &Snapshot) -> Result<Ready<'_>, Status> {
    let mut missing = Vec::new();
    if s.sources.is_empty() {
        missing.push("source");
    }
    if s.target.is_none() {
        missing.push("target");
    }
    if s.connect.is_none() {
        missing.push("connect-client");
    }
    if !missing.is_empty() {
        return Err(Status::new(
            StatusKind::Blocked,
            format!(
                "missing relation(s): {} (juju integrate)",
                missing.join(", ")
            ),
        ));
    }
    let config = s
        .config
        .as_ref()
        .map_err(|e| Status::new(StatusKind::Blocked, e.to_string()))?;
    let connect_rel = s.connect.as_ref().expect("checked above");
    let connect = connect_rel.data.as_ref().map_err(|e| {
        Status::new(
            StatusKind::Waiting,
            format!("{} (connect-client): {e}", connect_rel.app),
        )
    })?;
    let target_rel = s.target.as_ref().expect("checked above");
    let target = target_rel.data.as_ref().map_err(|e| {
        Status::new(
            StatusKind::Waiting,
            format!("{} (target): {e}", target_rel.app),
        )
    })?;

    let mut sources = Vec::new();
    let mut held = Vec::new();
    let mut notes = Vec::new();
    for r in &s.sources {
        match &r.data {
            Ok(d) => sources.push(cluster(r, d)),
            Err(e) => {
                held.push(r.app.clone());
                notes.push(format!("{} (source): {e}", r.app));
            }
        }
    }
    if sources.is_empty() {
        return Err(Status::new(StatusKind::Waiting, notes.join("; ")));
    }
    sources.sort_by(|a, b| a.alias.cmp(&b.alias));
    let pairs = sources
        .iter()
        .map(|c| format!("{} -> {}", c.alias, target_rel.app))
        .collect();
    let inputs = Inputs {
        config: config.clone(),
        sources,
        target: cluster(target_rel, target),
        connect_relation_id: connect_rel.rel.id,
        model_uuid: s.model_uuid.clone(),
    };
    let desired = desired(&inputs).map_err(|e| Status::new(StatusKind::Blocked, e.to_string()))?;
    let owner = Owner::new(connect_rel.rel.id, &s.model_uuid)
        .map_err(|e| Status::new(StatusKind::Blocked, e.to_string()))?;
    Ok(Ready {
        desired,
        owner,
        connect,
        held_sources: held,
        waiting_note: (!notes.is_empty()).then(|| notes.join("; ")),
        pairs,
        connect_relation_id: connect_rel.rel.id,
        uuid_hex: model_uuid_hex(&s.model_uuid)
            .map_err(|e| Status::new(StatusKind::Blocked, e.to_string()))?,
    })
}

/// The whole pass after observe. `write` is false on non-leaders and in read-only actions.
pub fn reconcile(s: &Snapshot, connect: ConnectFactory, write: bool) -> Outcome {
    let ready = match gate(s) {
        Ok(r) => r,
        Err(status) => return Outcome::stop(status),
    };
    let unreachable =
        |e: ConnectFailure| Status::new(StatusKind::Waiting, format!("Kafka Connect: {e}"));
    let api = match connect(ready.connect) {
        Ok(api) => api,
        Err(e) => return Outcome::stop(unreachable(e)),
    };
    let mut outcome = Outcome {
        status: Status::new(StatusKind::Active, ""),
        desired: ready.desired.clone(),
        actual: None,
        plan: None,
        pairs: ready.pairs.clone(),
        applied: Vec::new(),
    };
    let mut actual = match api.list() {
        Ok(a) => a,
        Err(e) => {
            outcome.status = unreachable(e);
            return outcome;
        }
    };
    // Connectors of a source whose relation is still there but incomplete are held: not in
    // the desired set, and not deleted either.
    let held_names: Vec<String> = ready
        .held_sources
        .iter()
        .flat_map(|alias| {
            [
                ConnectorKind::Source,
                ConnectorKind::Checkpoint,
                ConnectorKind::Heartbeat,
            ]
            .map(|k| connector_name(k, alias, ready.connect_relation_id, &ready.uuid_hex))
        })
        .collect();
    let mut plannable = actual.clone();
    plannable.connectors.retain(|n, _| !held_names.contains(n));
    let the_plan = plan(&ready.desired, &plannable, &ready.owner);

    let mut apply_problem = None;
    if write && !the_plan.steps.is_empty() {
        match apply(api.as_ref(), &the_plan, &ready.desired) {
            Ok(lines) => outcome.applied = lines,
            Err((lines, status)) => {
                outcome.applied = lines;
                apply_problem = Some(status);
            }
        }
        if !outcome.applied.is_empty() {
            if let Ok(a) = api.list() {
                actual = a;
            }
        }
    }
    actual.connectors.retain(|n, _| ready.owner.owns(n));
    let pending = !write && !the_plan.steps.is_empty();
    outcome.status = apply_problem.unwrap_or_else(|| {
        status::from_connectors(
            &ready.desired,
            &actual,
            &ready.pairs,
            pending,
            ready.waiting_note.as_deref(),
        )
    });
    outcome.plan = Some(the_plan);
    outcome.actual = Some(actual);
    outcome
}

/// Validates every config the plan writes, then applies the steps in order. Stops at the
/// first failure: the next hook re-plans from what Connect then holds.
fn apply(
    api: &dyn ConnectApi,
    plan: &Plan,
    desired: &[DesiredConnector],
) -> Result<Vec<String>, (Vec<String>, Status)> {
    for step in plan.steps.iter().filter(|s| s.action != Action::Delete) {
        let Some(d) = desired.iter().find(|d| d.name == step.name) else {
            continue;
        };
        match api.validate(d) {
            Ok(errors) if errors.is_empty() => {}
            Ok(errors) => {
                return Err((
                    Vec::new(),
                    Status::new(
                        StatusKind::Blocked,
                        format!("Kafka Connect rejects {}: {}", d.name, errors.join("; ")),
                    ),
                ))
            }
            Err(e) => {
                return Err((
                    Vec::new(),
                    Status::new(StatusKind::Waiting, format!("Kafka Connect: {e}")),
                ))
            }
        }
    }
    let mut done = Vec::new();
    for step in &plan.steps {
        let result = match step.action {
            Action::Delete => api.delete(&step.name),
            _ => match &step.config {
                Some(config) => api.put(&step.name, config),
                None => Ok(()),
            },
        };
        match result {
            Ok(()) => done.push(format!(
                "{} {} ({})",
                step.action.as_str(),
                step.name,
                step.reason.as_str()
            )),
            Err(e) => {
                return Err((
                    done,
                    Status::new(
                        StatusKind::Waiting,
                        format!("Kafka Connect: {} {}: {e}", step.action.as_str(), step.name),
                    ),
                ))
            }
        }
    }
    Ok(done)
}
