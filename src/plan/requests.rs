//! What is asked on top of the desired configs — the operator's standing intent (pause,
//! stop), one-shot resumes and restarts — and the state steps they call for. Pure.

use super::{Action, Actual, KeyChange, Owner, Reason, RunState, Step};
use crate::mirror::DesiredConnector;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A target state the operator asked for (`pause`/`stop` actions). Reconcile keeps it until
/// the `resume` action clears it; it never resumes a connector by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intent {
    Paused,
    Stopped,
}

impl Intent {
    /// The Connect state that satisfies the intent.
    pub fn state(self) -> RunState {
        match self {
            Intent::Paused => RunState::Paused,
            Intent::Stopped => RunState::Stopped,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Paused => "paused",
            Intent::Stopped => "stopped",
        }
    }
}

/// How to restart one connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartRequest {
    pub include_tasks: bool,
    pub only_failed: bool,
    /// [`Reason::OperatorRestart`] or [`Reason::AutoRestart`].
    pub reason: Reason,
}

/// What is asked on top of the desired configs, by connector name: the operator's standing
/// intent, and one-shot resumes and restarts (from actions and the auto-restart backoff).
/// Names that are not desired and owned are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requests {
    pub intent: BTreeMap<String, Intent>,
    pub resume: BTreeSet<String>,
    pub restart: BTreeMap<String, RestartRequest>,
}

/// The Pause/Stop/Resume/Restart steps `requests` call for, in dependency order (source →
/// checkpoint → heartbeat), for desired connectors `owner` owns (see [`super::plan_with`]).
pub(super) fn state_steps(
    desired: &[DesiredConnector],
    actual: &Actual,
    owner: &Owner,
    requests: &Requests,
) -> Vec<Step> {
    let mut states = Vec::new();
    let mut ordered: Vec<&DesiredConnector> =
        desired.iter().filter(|d| owner.owns(&d.name)).collect();
    ordered.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    for d in ordered {
        let listed = actual.connectors.get(&d.name);
        let state = listed.and_then(|a| a.state.as_ref());
        let step = |action, reason, change: Option<(&str, &str)>| Step {
            name: d.name.clone(),
            kind: Some(d.kind),
            action,
            reason,
            changes: change
                .map(|(before, after)| {
                    vec![KeyChange {
                        key: "state".into(),
                        before: Some(before.to_string()),
                        after: Some(after.to_string()),
                    }]
                })
                .unwrap_or_default(),
        };
        if let Some(intent) = requests.intent.get(&d.name) {
            if state != Some(&intent.state()) {
                let (action, reason) = match intent {
                    Intent::Paused => (Action::Pause, Reason::OperatorPaused),
                    Intent::Stopped => (Action::Stop, Reason::OperatorStopped),
                };
                states.push(step(
                    action,
                    reason,
                    Some((
                        state.map_or("(none)", RunState::as_str),
                        intent.state().as_str(),
                    )),
                ));
            }
            continue;
        }
        if let Some(s @ (RunState::Paused | RunState::Stopped)) =
            state.filter(|_| requests.resume.contains(&d.name))
        {
            states.push(step(
                Action::Resume,
                Reason::OperatorResumed,
                Some((s.as_str(), "RUNNING")),
            ));
        }
        if let (Some(r), Some(a)) = (requests.restart.get(&d.name), listed) {
            if !r.only_failed || a.any_failed() {
                states.push(step(
                    Action::Restart {
                        include_tasks: r.include_tasks,
                        only_failed: r.only_failed,
                    },
                    r.reason,
                    None,
                ));
            }
        }
    }
    states
}
