//! The plan: what must change in Kafka Connect so that it holds exactly the desired
//! connectors of this application.
//!
//! Pure: no I/O. `plan(desired, actual, owner)` returns a [`Plan`] value a person can read
//! (the `plan` action prints its `Display`) and the driver applies step by step. Ideas from
//! Terraform: each [`Step`] has an [`Action`] (what apply does) and a separate [`Reason`]
//! (for people, logs and statuses; stable snake_case names; apply never branches on it).
//!
//! Rules:
//! * Ownership is proven by the name alone: `mirror_` prefix and the suffix
//!   `_r<connect relation id>_<model uuid hex>` ([`Owner`]). Connectors without both never
//!   appear in a plan, whatever their content.
//! * Create a desired connector that Connect does not list; update one whose stored config
//!   differs from the desired map (ignoring the `name` key Connect injects) — a PUT restarts
//!   the connector even when nothing changed, so unchanged ones get no step; delete owned
//!   connectors that are not desired.
//! * Order: creates/updates source → checkpoint → heartbeat, then deletes in the reverse
//!   order (heartbeat → checkpoint → source).
//! * `desired` must be complete. When it cannot be computed (missing or invalid input) the
//!   driver must not call [`plan`] — an empty desired set means "delete everything we own".
//!   It uses [`Plan::hold`] instead, which has no steps and says why.
//!
//! Every step is idempotent: PUT config is create-or-update, DELETE of a missing connector
//! is success (404 = done), so re-running a half-applied plan converges.

use crate::mirror::sensitive::{display_value, masked};
pub use crate::mirror::Owner;
use crate::mirror::{ConnectorKind, DesiredConnector};
use std::collections::BTreeMap;
use std::fmt;

/// A connector's or task's state as Connect reports it (`AbstractStatus.State`), parsed once
/// in the driver's adapter. A state this charm does not know is kept by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RunState {
    Running,
    Paused,
    Stopped,
    Failed,
    #[default]
    Unassigned,
    Restarting,
    Other(String),
}

impl RunState {
    pub fn parse(name: &str) -> RunState {
        match name {
            "RUNNING" => RunState::Running,
            "PAUSED" => RunState::Paused,
            "STOPPED" => RunState::Stopped,
            "FAILED" => RunState::Failed,
            "UNASSIGNED" => RunState::Unassigned,
            "RESTARTING" => RunState::Restarting,
            other => RunState::Other(other.to_string()),
        }
    }

    /// Connect's name for it.
    pub fn as_str(&self) -> &str {
        match self {
            RunState::Running => "RUNNING",
            RunState::Paused => "PAUSED",
            RunState::Stopped => "STOPPED",
            RunState::Failed => "FAILED",
            RunState::Unassigned => "UNASSIGNED",
            RunState::Restarting => "RESTARTING",
            RunState::Other(name) => name,
        }
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for RunState {
    fn from(name: &str) -> RunState {
        RunState::parse(name)
    }
}

impl From<String> for RunState {
    fn from(name: String) -> RunState {
        RunState::parse(&name)
    }
}

/// Compares with Connect's name (`state == "RUNNING"`), for tests and tables.
impl PartialEq<&str> for RunState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for RunState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A task as Connect reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskState {
    pub id: u32,
    pub state: RunState,
    /// `host:port` of the worker running it, as Connect reports it.
    pub worker_id: Option<String>,
    /// First lines of the Java stack trace of a FAILED task (already redacted by the client).
    pub trace: Option<String>,
}

/// One connector as Connect reports it. `Debug` masks secret values.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ActualConnector {
    /// The stored config (as `GET …/config`; includes `name`, passwords in clear).
    pub config: BTreeMap<String, String>,
    /// Connector state; `None` when Connect has no status yet (just created or unassigned).
    pub state: Option<RunState>,
    /// `host:port` of the worker running the connector instance.
    pub worker_id: Option<String>,
    /// First lines of the connector's own trace when it is FAILED (already redacted).
    pub trace: Option<String>,
    pub tasks: Vec<TaskState>,
}

impl fmt::Debug for ActualConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActualConnector")
            .field("config", &masked(&self.config))
            .field("state", &self.state)
            .field("worker_id", &self.worker_id)
            .field("trace", &self.trace)
            .field("tasks", &self.tasks)
            .finish()
    }
}

impl ActualConnector {
    /// True when the connector or any of its tasks is FAILED.
    pub fn any_failed(&self) -> bool {
        self.state == Some(RunState::Failed)
            || self.tasks.iter().any(|t| t.state == RunState::Failed)
    }
}

/// Every connector Connect lists (ours and foreign), by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actual {
    pub connectors: BTreeMap<String, ActualConnector>,
}

/// A full connector config to PUT (clear values for Connect; `Debug` masks the secrets).
#[derive(Clone, PartialEq, Eq)]
pub struct Config(pub BTreeMap<String, String>);

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        masked(&self.0).fmt(f)
    }
}

/// What apply does. A create or update carries the config it PUTs, so none can lack one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// `PUT /connectors/<name>/config` (Connect answers 201).
    Create(Config),
    /// `PUT /connectors/<name>/config` (Connect answers 200).
    Update(Config),
    /// `POST /connectors` with `initial_state: STOPPED`: exists, runs no task until resumed.
    CreateStopped(Config),
    /// Wait for `from` to be STOPPED, then copy its source offsets to this (STOPPED)
    /// connector: `GET /connectors/<from>/offsets`, `PATCH /connectors/<name>/offsets`.
    CarryOffsets { from: String },
    /// `DELETE /connectors/<name>` (404 = already done).
    Delete,
    /// `PUT /connectors/<name>/pause` (202; idempotent).
    Pause,
    /// `PUT /connectors/<name>/stop` (204; idempotent; keeps offsets, drops task configs).
    Stop,
    /// `PUT /connectors/<name>/resume` (202; PAUSED or STOPPED → RUNNING).
    Resume,
    /// `POST /connectors/<name>/restart?includeTasks=…&onlyFailed=…` (202).
    Restart {
        include_tasks: bool,
        only_failed: bool,
    },
}

impl Action {
    pub fn symbol(&self) -> char {
        match self {
            Action::Create(_) => '+',
            Action::Update(_) => '~',
            Action::CreateStopped(_) => '+',
            Action::CarryOffsets { .. } => '^',
            Action::Delete => '-',
            Action::Pause => '=',
            Action::Stop => '#',
            Action::Resume => '>',
            Action::Restart { .. } => '*',
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Create(_) => "create",
            Action::Update(_) => "update",
            Action::CreateStopped(_) => "create-stopped",
            Action::CarryOffsets { .. } => "carry-offsets",
            Action::Delete => "delete",
            Action::Pause => "pause",
            Action::Stop => "stop",
            Action::Resume => "resume",
            Action::Restart { .. } => "restart",
        }
    }

    /// The config a create or update PUTs (and so is validated first); `None` otherwise.
    pub fn config(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            Action::Create(c) | Action::Update(c) | Action::CreateStopped(c) => Some(&c.0),
            _ => None,
        }
    }

    /// True for the steps that PUT a config (and so are validated first).
    pub fn writes_config(&self) -> bool {
        self.config().is_some()
    }
}

/// Why a step exists. For people only; apply never looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// Desired, and Connect does not list it.
    NotInConnect,
    /// Desired, listed, and the stored config differs.
    ConfigDrift,
    /// Owned by this application and no longer desired (source relation removed, option off).
    NotDesired,
    /// The operator paused it (`pause` action) and Connect reports another state.
    OperatorPaused,
    /// The operator stopped it (`stop` action) and Connect reports another state.
    OperatorStopped,
    /// The operator ran the `resume` action and Connect reports it PAUSED or STOPPED.
    OperatorResumed,
    /// The operator ran the `restart` action.
    OperatorRestart,
    /// It (or a task) is FAILED and the auto-restart backoff allows a restart now.
    AutoRestart,
    /// `connect-client` was integrated again: the relation id in our names changed, so the
    /// connector moves to its new name with its source offsets.
    Renamed,
    /// Ours under an earlier `connect-client` relation id (the peer data's ledger proves it):
    /// stopped so its offsets can be carried, then deleted.
    StaleRelation,
}

impl Reason {
    /// Stable snake_case name (action output, logs, tests).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotInConnect => "not_in_connect",
            Reason::ConfigDrift => "config_drift",
            Reason::NotDesired => "not_desired",
            Reason::OperatorPaused => "operator_paused",
            Reason::OperatorStopped => "operator_stopped",
            Reason::OperatorResumed => "operator_resumed",
            Reason::OperatorRestart => "operator_restart",
            Reason::AutoRestart => "auto_restart",
            Reason::Renamed => "renamed",
            Reason::StaleRelation => "stale_relation",
        }
    }
}

/// Why nothing is planned at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HoldReason {
    /// A relation is missing or its data is incomplete.
    InputsIncomplete,
    /// Config or relation data is invalid (the detail names the option).
    InvalidInput,
    /// Connect could not be read, so Actual is unknown.
    ConnectUnavailable,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::InputsIncomplete => "inputs_incomplete",
            HoldReason::InvalidInput => "invalid_input",
            HoldReason::ConnectUnavailable => "connect_unavailable",
        }
    }
}

/// One changed key of an update; values already masked for sensitive keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    pub key: String,
    /// `None` = key not stored in Connect.
    pub before: Option<String>,
    /// `None` = key removed by the update.
    pub after: Option<String>,
}

/// One step of a plan. `Debug`/`Display` never show secret values.
#[derive(Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    /// Parsed from the name; `None` for an owned name of an unknown kind.
    pub kind: Option<ConnectorKind>,
    pub action: Action,
    pub reason: Reason,
    /// For updates: the changed keys, sorted (masked values).
    pub changes: Vec<KeyChange>,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Step")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("action", &self.action)
            .field("reason", &self.reason)
            .field("changes", &self.changes)
            .finish()
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} ({})",
            self.action.symbol(),
            self.action.as_str(),
            self.name,
            self.reason.as_str()
        )?;
        for c in &self.changes {
            let show = |v: &Option<String>| {
                v.as_ref()
                    .map_or("(unset)".to_string(), |v| format!("{v:?}"))
            };
            write!(
                f,
                "\n    {}: {} -> {}",
                c.key,
                show(&c.before),
                show(&c.after)
            )?;
        }
        if let Action::CarryOffsets { from } = &self.action {
            write!(f, "\n    offsets from {from}")?;
        }
        if let Action::Restart {
            include_tasks,
            only_failed,
        } = self.action
        {
            write!(
                f,
                "\n    includeTasks={include_tasks} onlyFailed={only_failed}"
            )?;
        }
        Ok(())
    }
}

/// The ordered steps, or a hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Set by [`Plan::hold`]: nothing is changed, and this says why.
    pub hold: Option<(HoldReason, String)>,
}

impl Plan {
    /// A plan that changes nothing because desired could not be computed. `detail` must be
    /// operator-facing and secret-free (e.g. a `MirrorError`'s Display).
    pub fn hold(reason: HoldReason, detail: impl Into<String>) -> Plan {
        Plan {
            steps: Vec::new(),
            hold: Some((reason, detail.into())),
        }
    }

    /// No steps (converged, or held).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((reason, detail)) = &self.hold {
            return write!(f, "hold ({}): {detail}", reason.as_str());
        }
        if self.steps.is_empty() {
            return f.write_str("no changes: Kafka Connect matches the desired connectors");
        }
        for (i, s) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// Compute the steps that take `actual` to `desired` for connectors `owner` owns.
///
/// `desired` must be the complete set for this application (see the module doc).
pub fn plan(desired: &[DesiredConnector], actual: &Actual, owner: &Owner) -> Plan {
    plan_with(desired, actual, owner, &Requests::default())
}

/// [`plan`], plus the state steps `requests` call for, after the creates and updates and
/// before the deletes:
/// * an intent whose state Connect does not report → Pause / Stop (also right after a create);
/// * a resume of a connector reported PAUSED or STOPPED, without an intent → Resume;
/// * a restart of a connector Connect lists, without an intent → Restart. With `only_failed`
///   the step exists only when the connector or a task is FAILED.
pub fn plan_with(
    desired: &[DesiredConnector],
    actual: &Actual,
    owner: &Owner,
    reqs: &Requests,
) -> Plan {
    let mut upserts = Vec::new();
    for d in desired {
        debug_assert!(
            owner.owns(&d.name),
            "desired name {} lacks our suffix",
            d.name
        );
        if !owner.owns(&d.name) {
            continue; // never touch what we cannot prove is ours
        }
        match actual.connectors.get(&d.name) {
            None => upserts.push(Step {
                name: d.name.clone(),
                kind: Some(d.kind),
                action: Action::Create(Config(d.config.clone())),
                reason: Reason::NotInConnect,
                changes: Vec::new(),
            }),
            Some(a) => {
                let changes = diff(&a.config, &d.config);
                if !changes.is_empty() {
                    upserts.push(Step {
                        name: d.name.clone(),
                        kind: Some(d.kind),
                        action: Action::Update(Config(d.config.clone())),
                        reason: Reason::ConfigDrift,
                        changes,
                    });
                }
            }
        }
    }
    upserts.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));

    let mut deletes: Vec<Step> = actual
        .connectors
        .keys()
        .filter(|name| owner.owns(name) && !desired.iter().any(|d| &d.name == *name))
        .map(|name| Step {
            name: name.clone(),
            kind: ConnectorKind::from_name(name),
            action: Action::Delete,
            reason: Reason::NotDesired,
            changes: Vec::new(),
        })
        .collect();
    in_delete_order(&mut deletes);
    let states = requests::state_steps(desired, actual, owner, reqs);
    upserts.extend(states);
    upserts.extend(deletes);
    Plan {
        steps: upserts,
        hold: None,
    }
}

/// Reverse dependency order: unknown kinds and heartbeats first, sources last.
fn in_delete_order(deletes: &mut [Step]) {
    deletes.sort_by(|a, b| {
        let rank = |k: Option<ConnectorKind>| k.map_or(0, |k| 3 - k as u8);
        (rank(a.kind), &a.name).cmp(&(rank(b.kind), &b.name))
    });
}

/// Changed keys between the stored config (minus `name`) and the desired one, masked.
fn diff(stored: &BTreeMap<String, String>, desired: &BTreeMap<String, String>) -> Vec<KeyChange> {
    let mut keys: Vec<&String> = stored
        .keys()
        .filter(|k| k.as_str() != "name")
        .chain(desired.keys())
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let before = stored.get(k).filter(|_| k != "name");
            let after = desired.get(k);
            let same = match (before, after) {
                (Some(b), Some(a)) => crate::mirror::same_value(k, b, a),
                (b, a) => b == a,
            };
            (!same).then(|| KeyChange {
                key: k.clone(),
                before: before.map(|v| display_value(k, v).to_string()),
                after: after.map(|v| display_value(k, v).to_string()),
            })
        })
        .collect()
}

/// What a fully successful apply does to Connect, as a pure function on `Actual` (the model
/// the tests use): PUT stores the config plus `name`; DELETE removes.
#[cfg(test)]
pub fn apply_to(plan: &Plan, actual: &mut Actual) {
    for step in &plan.steps {
        match &step.action {
            Action::Create(c) | Action::Update(c) => {
                let mut config = c.0.clone();
                config.insert("name".into(), step.name.clone());
                let entry = actual.connectors.entry(step.name.clone()).or_default();
                entry.config = config;
            }
            Action::CreateStopped(c) => {
                let mut config = c.0.clone();
                config.insert("name".into(), step.name.clone());
                let entry = actual.connectors.entry(step.name.clone()).or_default();
                entry.config = config;
                entry.state = Some(RunState::Stopped);
                entry.tasks.clear();
            }
            Action::CarryOffsets { .. } => {}
            Action::Delete => {
                actual.connectors.remove(&step.name);
            }
            Action::Pause | Action::Stop | Action::Resume => {
                let Some(c) = actual.connectors.get_mut(&step.name) else {
                    continue;
                };
                let state = match step.action {
                    Action::Pause => RunState::Paused,
                    Action::Stop => RunState::Stopped,
                    _ => RunState::Running,
                };
                if step.action == Action::Stop {
                    c.tasks.clear();
                }
                if c.state != Some(RunState::Failed) || step.action == Action::Stop {
                    for t in &mut c.tasks {
                        t.state = state.clone();
                    }
                    c.state = Some(state);
                }
            }
            Action::Restart {
                include_tasks,
                only_failed,
            } => {
                let Some(c) = actual.connectors.get_mut(&step.name) else {
                    continue;
                };
                if !*only_failed || c.state == Some(RunState::Failed) {
                    c.state = Some(RunState::Running);
                    c.trace = None;
                }
                if *include_tasks {
                    for t in c.tasks.iter_mut() {
                        if !*only_failed || t.state == RunState::Failed {
                            t.state = RunState::Running;
                            t.trace = None;
                        }
                    }
                }
            }
        }
    }
}

mod carry;
mod requests;
pub use carry::plan_carrying;
pub use requests::{Intent, Requests, RestartRequest};

#[cfg(test)]
mod tests;
