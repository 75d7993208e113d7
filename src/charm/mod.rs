//! The charm driver: what one dispatch does. Every hook runs the same level-triggered pass
//! (docs/design.md §2): observe Juju (reads only) → publish our relation requests (hooks on the
//! leader) → gate → read Connect → decide (pure) → plan (pure) → validate/apply (leader) →
//! re-read → status. `status` and `plan` run the same pass without writing; `pause`, `stop`,
//! `resume` and `restart` run it as a writing pass on the leader (they write Connect and the
//! peer data, never relation data).
//!
//! Talks to Juju only through [`HookTools`] and to Connect only through [`ConnectApi`].

pub mod actions;
mod apply;
pub mod clock;
pub mod connect_adapter;
pub mod connect_api;
pub mod decide;
mod dr_actions;
mod failover;
mod gate;
pub mod heal;
pub mod ledger;
mod loop_check;
pub mod observe;
pub mod peer;
mod publish;
pub mod status_action;
pub mod workload_status;

use crate::juju::{Event, EventKind, HookTools, Status, StatusKind, ToolError};
use crate::mirror::DesiredConnector;
use crate::plan::{plan_carrying, plan_with, Action, Actual, HoldReason, Plan, Requests};
use apply::apply;
pub use connect_api::{ConnectApi, ConnectFactory, ConnectFailure, FailureKind};
use decide::decide;
pub use gate::desired_connectors;
use gate::{gate, Hold, Teardown};
use heal::Verdict;
pub use observe::{observe, Snapshot};
use peer::PeerState;
use std::collections::{BTreeMap, BTreeSet};
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
    /// The plan computed before apply; a hold when the pass stopped before planning.
    pub plan: Option<Plan>,
    /// `<source alias> -> <target alias>` pairs in force.
    pub pairs: Vec<String>,
    /// One line per applied step.
    pub applied: Vec<String>,
    /// Why apply stopped early (Connect refused a config or a call failed).
    pub apply_error: Option<Status>,
    /// Connect's validation of each planned create/update (dry runs): errors, or why it
    /// could not be asked.
    pub validation: Vec<(String, Result<Vec<String>, String>)>,
    /// The auto-restart verdict of each FAILED-or-not connector the backoff looked at.
    pub verdicts: BTreeMap<String, Verdict>,
    /// The peer data after this pass (the caller saves it when the pass wrote).
    pub peer: Option<PeerState>,
}

impl Outcome {
    /// A pass that reached Connect and planned; status, plan and actual are filled in after.
    fn planned(ready: &gate::Ready, decision: &decide::Decision) -> Outcome {
        Outcome {
            status: Status::new(StatusKind::Active, ""),
            desired: ready.desired.clone(),
            actual: None,
            plan: None,
            pairs: ready.pairs.clone(),
            applied: Vec::new(),
            apply_error: None,
            validation: Vec::new(),
            verdicts: decision.verdicts.clone(),
            peer: decision.peer.clone(),
        }
    }

    /// Keeps what apply did and why it stopped early, if it did.
    fn record(&mut self, applied: Result<Vec<String>, (Vec<String>, Status)>) {
        match applied {
            Ok(lines) => self.applied = lines,
            Err((lines, status)) => {
                self.applied = lines;
                self.apply_error = Some(status);
            }
        }
    }

    /// Connect could not list the connectors: a hold that still shows what is desired.
    fn unlisted(status: Status, ready: &gate::Ready) -> Outcome {
        let mut o = Outcome::stop(status, HoldReason::ConnectUnavailable);
        o.desired = ready.desired.clone();
        o.pairs = ready.pairs.clone();
        o
    }

    fn stop(status: Status, hold: HoldReason) -> Outcome {
        Outcome {
            plan: Some(Plan::hold(hold, status.message.clone())),
            status,
            desired: Vec::new(),
            actual: None,
            pairs: Vec::new(),
            applied: Vec::new(),
            apply_error: None,
            validation: Vec::new(),
            verdicts: BTreeMap::new(),
            peer: None,
        }
    }
}

/// How a pass runs.
#[derive(Debug, Clone, Default)]
pub struct Pass {
    /// Apply the plan and advance the peer data (the leader in a hook or a writing action).
    pub write: bool,
    /// Plan as the leader would (auto-restarts included) and ask Connect to validate every
    /// config a step would PUT, without writing (the `plan` action).
    pub dry_run: bool,
    /// One-shot resumes and restarts from actions. The intent comes from the peer data.
    pub requests: Requests,
}

impl Pass {
    /// A hook: the leader writes, followers only look.
    pub fn hook(leader: bool) -> Pass {
        Pass {
            write: leader,
            ..Pass::default()
        }
    }

    /// Read-only (the `status` action).
    pub fn read_only() -> Pass {
        Pass::default()
    }
}

/// Runs one dispatch with the system clock (or `$MMI_NOW_EPOCH_SECS`, see [`clock`]).
pub fn run(
    event: &Event,
    tools: &dyn HookTools,
    connect: ConnectFactory,
) -> Result<(), CharmError> {
    run_at(event, tools, connect, clock::now_from_env())
}

/// Runs one dispatch at `now` (epoch seconds). An `Err` means Juju should retry the hook (a
/// hook tool failed); everything the operator can fix is reported through status instead.
pub fn run_at(
    event: &Event,
    tools: &dyn HookTools,
    connect: ConnectFactory,
    now: u64,
) -> Result<(), CharmError> {
    run_with_kafka(event, tools, connect, &crate::kafka::factory, now)
}

/// [`run_at`] with the Kafka client the DR actions use (tests pass an in-memory Kafka).
pub fn run_with_kafka(
    event: &Event,
    tools: &dyn HookTools,
    connect: ConnectFactory,
    kafka: crate::kafka::KafkaFactory,
    now: u64,
) -> Result<(), CharmError> {
    run_with_wait(event, tools, connect, kafka, &clock::RealWait::new(), now)
}

/// [`run_with_kafka`] with the waiter the `failover` action polls with (tests move time).
pub fn run_with_wait(
    event: &Event,
    tools: &dyn HookTools,
    connect: ConnectFactory,
    kafka: crate::kafka::KafkaFactory,
    wait: &dyn clock::Wait,
    now: u64,
) -> Result<(), CharmError> {
    tracing::debug!(unit = %event.unit, "running {}", event.name());
    let mut snapshot = observe(event, tools, now)?;
    match &event.kind {
        EventKind::Action(name) => actions::run(name, &snapshot, tools, connect, kafka, wait),
        _ => {
            let tick = matches!(event.kind, EventKind::UpdateStatus);
            publish::publish(tools, &snapshot, tick)?;
            ledger::record(tools, &mut snapshot)?;
            let pass = Pass::hook(snapshot.leader);
            let outcome = run_pass_with(&snapshot, connect, Some(kafka), &pass);
            finish(&snapshot, tools, &outcome, None)
        }
    }
}

/// After a pass: log what was applied, save the peer data (leader; `intent_only` is the peer
/// state to save when the pass stopped before producing one) and set the statuses.
fn finish(
    s: &Snapshot,
    tools: &dyn HookTools,
    outcome: &Outcome,
    intent_only: Option<&PeerState>,
) -> Result<(), CharmError> {
    for line in &outcome.applied {
        tracing::info!("{line}");
    }
    if s.leader {
        if let (Some(p), Some(new)) = (&s.peer, outcome.peer.as_ref().or(intent_only)) {
            peer::save(tools, &p.rel, &p.state, new)?;
        }
    }
    tools.status_set(&outcome.status, false)?;
    if s.leader {
        tools.status_set(&outcome.status, true)?;
    }
    Ok(())
}

/// The whole pass after observe: gate → read Connect → decide → plan → validate/apply (when
/// `pass.write`) → re-read → status. The decisions are [`decide`]'s and the plan's, both pure;
/// the only code that writes to Connect is [`apply`].
pub fn run_pass(s: &Snapshot, connect: ConnectFactory, pass: &Pass) -> Outcome {
    run_pass_with(s, connect, None, pass)
}

/// [`run_pass`] that may read Kafka: the loop guard ([`loop_check`]) needs it before it lets
/// a source connector be created under `replication-policy=identity`. Without `kafka` such a
/// source is held until a pass that has it (hooks do).
pub fn run_pass_with(
    s: &Snapshot,
    connect: ConnectFactory,
    kafka: Option<crate::kafka::KafkaFactory>,
    pass: &Pass,
) -> Outcome {
    let mut ready = match gate(s) {
        Ok(r) => r,
        Err(Hold::Missing {
            endpoints,
            teardown: Some(t),
        }) => return teardown_pass(s, connect, pass, &endpoints, &t),
        Err(hold) => return Outcome::stop(hold.status(), hold.reason()),
    };
    let unreachable =
        |e: ConnectFailure| workload_status::connect_failure(&e, &ready.connect, &s.app);
    let api = match connect(&ready.connect) {
        Ok(api) => api,
        Err(e) => return Outcome::stop(unreachable(e), HoldReason::ConnectUnavailable),
    };
    let secrets = status_action::known_secrets(s);
    // Only our connectors matter (plan never touches others), and naming the desired ones
    // lets the client read Connect once in the steady state. Names under an earlier
    // connect-client relation id are ours too when the ledger holds that id.
    let stale = ledger::stale_owners(s);
    // Owned: the loop guard may hold sources in `ready` between the two reads.
    let expected: Vec<String> = ready.desired.iter().map(|d| d.name.clone()).collect();
    let owner = ready.owner.clone();
    let ours = |n: &str| owner.owns(n) || stale.iter().any(|o| o.owns(n));
    let read = || {
        let names: Vec<&str> = expected.iter().map(String::as_str).collect();
        api.list_for(&names, &ours).map(|a| redacted(a, &secrets))
    };
    let mut actual = match read() {
        Ok(a) => a,
        Err(e) => return Outcome::unlisted(unreachable(e), &ready),
    };
    let held_loops = loop_check::hold_loops(s, &mut ready, &actual, kafka);
    let decision = decide(&decide::Inputs {
        desired: &ready.desired,
        held: &ready.held,
        actual: &actual,
        peer: s.peer.as_ref().map(|p| &p.state),
        pass,
        leader: s.leader,
        now: s.now,
        policy: ready.policy,
    });
    let the_plan = plan_for(&ready, &decision, &stale);
    let mut outcome = Outcome::planned(&ready, &decision);
    if pass.dry_run {
        outcome.validation = validate_all(api.as_ref(), &the_plan, &ready.desired);
    }
    if pass.write && !the_plan.steps.is_empty() {
        outcome.record(apply(api.as_ref(), &the_plan, &ready.desired));
        if !outcome.applied.is_empty() {
            if let Some(p) = outcome.peer.as_mut() {
                p.last_change = Some(s.now);
            }
            if let Ok(a) = read() {
                actual = a;
            }
        }
    }
    if pass.write && outcome.apply_error.is_none() {
        forget_handed_over(s, &ready, &actual, &stale, &mut outcome);
    }
    actual.connectors.retain(|n, _| ready.owner.owns(n));
    outcome.status = outcome
        .apply_error
        .clone()
        .unwrap_or_else(|| status_of(s, &ready, &decision, pass, &the_plan, &actual));
    outcome.status = loop_check::merged(outcome.status, held_loops);
    outcome.plan = Some(the_plan);
    outcome.actual = Some(actual);
    outcome
}

/// Drops the earlier relation ids from the ledger once nothing is left to hand over from
/// them in what Connect holds after the pass.
fn forget_handed_over(
    s: &Snapshot,
    ready: &gate::Ready,
    actual: &Actual,
    stale: &[crate::mirror::Owner],
    outcome: &mut Outcome,
) {
    if stale.is_empty() {
        return;
    }
    let rest = plan_carrying(
        &ready.desired,
        actual,
        &ready.owner,
        stale,
        &Requests::default(),
    );
    if let (true, Some(p), Some(rid)) = (
        ledger::handed_over(&rest),
        outcome.peer.as_mut(),
        ledger::current(s),
    ) {
        ledger::forget_stale(p, rid);
    }
}

/// `actual` without the stale names of held connectors: a source whose relation is there but
/// incomplete keeps its old set until it can be handed over.
/// The plan of a decision: held sources' predecessors kept out, earlier relation ids' sets
/// handed over.
fn plan_for(
    ready: &gate::Ready,
    decision: &decide::Decision,
    stale: &[crate::mirror::Owner],
) -> Plan {
    let plannable = without_held_predecessors(&decision.plannable, ready, stale);
    plan_carrying(
        &ready.desired,
        &plannable,
        &ready.owner,
        stale,
        &decision.requests,
    )
}

fn without_held_predecessors(
    actual: &Actual,
    ready: &gate::Ready,
    stale: &[crate::mirror::Owner],
) -> Actual {
    let mut a = actual.clone();
    a.connectors.retain(|n, _| {
        !stale.iter().any(|o| {
            o.renamed(n, &ready.owner)
                .is_some_and(|now| ready.held.contains(&now))
        })
    });
    a
}

/// The status from Connect's view after the pass (worst state wins).
fn status_of(
    s: &Snapshot,
    ready: &gate::Ready,
    decision: &decide::Decision,
    pass: &Pass,
    plan: &Plan,
    actual: &Actual,
) -> Status {
    workload_status::from_connectors(&workload_status::Inputs {
        desired: &ready.desired,
        actual,
        pairs: &ready.pairs,
        pending: !pass.write && !plan.steps.is_empty(),
        waiting_note: ready.waiting_note.as_deref(),
        intent: &decision.requests.intent,
        verdicts: &decision.verdicts,
        restarted: &restarted_by(pass, plan),
        since: &decision.since,
        now: s.now,
        app: &s.app,
        max_restarts: ready.policy.max,
    })
}

/// A pass after `source` or `target` left while Kafka Connect is still related: every
/// connector we own there is deleted, in dependency order (leader; Connect keeps the offsets
/// under the names, so integrating again resumes), and the status says so.
fn teardown_pass(
    s: &Snapshot,
    connect: ConnectFactory,
    pass: &Pass,
    missing: &[&'static str],
    t: &Teardown,
) -> Outcome {
    let hold = Hold::Missing {
        endpoints: missing.to_vec(),
        teardown: None,
    };
    let mut status = hold.status();
    let stop = |st: Status| Outcome::stop(st, HoldReason::InputsIncomplete);
    let Ok(api) = connect(&t.connect) else {
        return stop(status);
    };
    let secrets = status_action::known_secrets(s);
    let ours = |n: &str| t.owner.owns(n);
    let Ok(actual) = api.list_for(&[], &ours).map(|a| redacted(a, &secrets)) else {
        return stop(status);
    };
    let plan = plan_with(&[], &actual, &t.owner, &Requests::default());
    if plan.steps.is_empty() {
        return stop(status); // nothing of ours there: a plain hold
    }
    let mut outcome = stop(status.clone());
    if pass.write {
        outcome.record(apply(api.as_ref(), &plan, &[]));
    }
    let removed = outcome.applied.len();
    if removed > 0 {
        status.message.push_str(&format!(
            "; removed {removed} connector(s), offsets kept for a re-integration"
        ));
    } else {
        status.message.push_str(&format!(
            "; the leader removes {} connector(s)",
            plan.steps.len()
        ));
    }
    outcome.status = outcome.apply_error.clone().unwrap_or(status);
    outcome.plan = Some(plan);
    outcome.actual = Some(actual);
    outcome
}

/// Connect's validation of every config the plan would PUT (the `plan` action's dry run).
fn validate_all(
    api: &dyn ConnectApi,
    plan: &Plan,
    desired: &[DesiredConnector],
) -> Vec<(String, Result<Vec<String>, String>)> {
    plan.steps
        .iter()
        .filter(|st| st.action.writes_config())
        .filter_map(|st| desired.iter().find(|d| d.name == st.name))
        .map(|d| (d.name.clone(), api.validate(d).map_err(|e| e.to_string())))
        .collect()
}

/// The connectors a writing pass restarted (their status says so).
fn restarted_by(pass: &Pass, plan: &Plan) -> BTreeSet<String> {
    plan.steps
        .iter()
        .filter(|st| pass.write && matches!(st.action, Action::Restart { .. }))
        .map(|st| st.name.clone())
        .collect()
}

/// Connect's traces with every secret the snapshot knows redacted (the client already
/// redacts what it knows; this also covers the Kafka passwords it never saw).
fn redacted(mut actual: Actual, secrets: &[crate::secret::Secret]) -> Actual {
    let refs: Vec<&crate::secret::Secret> = secrets.iter().collect();
    let scrub = |t: &mut Option<String>| {
        if let Some(text) = t.as_mut() {
            *text = crate::mirror::sensitive::redact_text(text, &refs);
        }
    };
    for c in actual.connectors.values_mut() {
        scrub(&mut c.trace);
        for t in &mut c.tasks {
            scrub(&mut t.trace);
        }
    }
    actual
}
