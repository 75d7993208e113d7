//! Every choice a pass makes around the plan, as a value (design.md §2): which connectors the
//! planner may touch (those of an incomplete source are held), the operator's intent and
//! one-shot requests, the auto-restart verdicts, and what the peer data becomes.
//!
//! Pure: plain values in, a [`Decision`] out; the driver reads Connect before and applies the
//! plan after.

use super::heal::{self, Health, Record, Verdict};
use super::peer::{PeerState, Since};
use super::workload_status;
use super::Pass;
use crate::mirror::AutoRestart;
use crate::mirror::DesiredConnector;
use crate::plan::{Actual, ActualConnector, Reason, Requests, RestartRequest};
use std::collections::{BTreeMap, BTreeSet};

/// What a decision is made from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub desired: &'a [DesiredConnector],
    /// Connectors of sources whose relation is there but incomplete: never planned.
    pub held: &'a [String],
    /// Our connectors as Connect reports them.
    pub actual: &'a Actual,
    /// The peer app data as the pass found it (none before Juju creates the peer relation).
    pub peer: Option<&'a PeerState>,
    pub pass: &'a Pass,
    pub leader: bool,
    pub now: u64,
    pub policy: AutoRestart,
}

/// The choices of one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// `actual` without the held connectors: what the planner may change.
    pub plannable: Actual,
    /// The operator's intent (from the peer data, desired connectors only), the pass's
    /// one-shot requests and the restarts the backoff calls for now.
    pub requests: Requests,
    /// The peer data to save, when the pass writes and the peer relation exists.
    pub peer: Option<PeerState>,
    /// The auto-restart verdict of each desired connector that is not fine.
    pub verdicts: BTreeMap<String, Verdict>,
    /// Since when each connector has been in its waiting condition (for the status).
    pub since: BTreeMap<String, Since>,
}

pub fn decide(i: &Inputs<'_>) -> Decision {
    let desired_names: BTreeSet<&str> = i.desired.iter().map(|d| d.name.as_str()).collect();
    let mut plannable = i.actual.clone();
    plannable.connectors.retain(|n, _| !i.held.contains(n));

    let mut requests = i.pass.requests.clone();
    requests.intent = i.peer.map(|p| p.intent.clone()).unwrap_or_default();
    requests
        .intent
        .retain(|n, _| desired_names.contains(n.as_str()));

    let mut next = i.peer.cloned();
    let mut verdicts = BTreeMap::new();
    if let Some(p) = next.as_mut() {
        for d in i.desired {
            match plannable.connectors.get(&d.name) {
                Some(a) => {
                    if let Some(v) = heal_one(i, p, &mut requests, d, a) {
                        verdicts.insert(d.name.clone(), v);
                    }
                }
                None if i.pass.write => track_absent(p, d, i.now),
                None => {}
            }
        }
        if i.pass.write {
            p.retain_connectors(|n| desired_names.contains(n) || i.held.iter().any(|h| h == n));
        }
    }
    let since = next.as_ref().map(|p| p.since.clone()).unwrap_or_default();
    Decision {
        plannable,
        requests,
        peer: next.filter(|_| i.pass.write),
        verdicts,
        since,
    }
}

/// The auto-restart bookkeeping of one desired connector that Connect lists: tracks its
/// waiting condition, and decides whether the backoff restarts it now. A connector the
/// operator holds is never auto-restarted; a restart by hand starts the count again.
fn heal_one(
    i: &Inputs<'_>,
    p: &mut PeerState,
    requests: &mut Requests,
    d: &DesiredConnector,
    a: &ActualConnector,
) -> Option<Verdict> {
    if i.pass.write {
        track_condition(p, d, a, i.now);
    }
    if requests.intent.contains_key(&d.name) {
        return None;
    }
    if requests.restart.contains_key(&d.name) {
        if i.pass.write {
            p.restarts.remove(&d.name);
        }
        return None;
    }
    let record = p.restarts.get(&d.name).cloned().unwrap_or_default();
    let (verdict, next) = heal::step(&record, Health::of(a), i.now, i.policy);
    let heal_now = i.leader && (i.pass.write || i.pass.dry_run);
    if heal_now && matches!(verdict, Verdict::RestartNow { .. }) {
        requests.restart.insert(
            d.name.clone(),
            RestartRequest {
                include_tasks: true,
                only_failed: true,
                reason: Reason::AutoRestart,
            },
        );
    }
    if i.pass.write {
        if next == Record::default() {
            p.restarts.remove(&d.name);
        } else {
            p.restarts.insert(d.name.clone(), next);
        }
    }
    (verdict != Verdict::Fine).then_some(verdict)
}

/// Since when a desired connector has been missing from Connect's list: the status can then
/// bound how long "written, not listed" is believed (`workload_status::ABSENT_LIMIT`).
fn track_absent(p: &mut PeerState, d: &DesiredConnector, now: u64) {
    if p.since.get(&d.name).map(|x| x.what.as_str()) != Some(workload_status::ABSENT) {
        let what = workload_status::ABSENT.to_string();
        p.since.insert(d.name.clone(), Since { what, at: now });
    }
}

/// Keeps the start time of the waiting condition a connector is in.
fn track_condition(p: &mut PeerState, d: &DesiredConnector, a: &ActualConnector, now: u64) {
    match workload_status::condition(d, a) {
        None => {
            p.since.remove(&d.name);
        }
        Some(what) => {
            if p.since.get(&d.name).map(|x| &x.what) != Some(&what) {
                p.since.insert(d.name.clone(), Since { what, at: now });
            }
        }
    }
}

#[cfg(test)]
mod tests;
