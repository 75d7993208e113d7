//! Connectors under an earlier `connect-client` relation id ("stale"): when the relation is
//! integrated again the relation id in our names changes (identity.rs), so the whole set gets
//! new names. Left alone, the old set would keep replicating next to the new one, and the new
//! source connector would start from `source.consumer.auto.offset.reset` — every record copied
//! again. The ledger of our relation ids (peer data) proves the old names are ours.
//!
//! For each desired source connector `new` whose predecessor `old` (same name, stale suffix)
//! must hand over its position:
//! 1. `old` is stopped (its tasks commit their last offsets), or created STOPPED when Charmed
//!    Kafka Connect already deleted it (offsets outlive a connector in Connect's offsets topic,
//!    so a STOPPED connector under the old name reads them back);
//! 2. `new` is created STOPPED (KIP-980), `old`'s offsets are copied to it (KIP-875), and it is
//!    resumed unless the operator's intent holds it;
//! 3. every stale connector is deleted, heartbeat → checkpoint → source, last.
//!
//! Each step is idempotent and `old` goes last, so a hook killed anywhere leaves a state the
//! next plan continues from: `new` STOPPED with `old` still there means "carry not finished".
//! Checkpoint and heartbeat offsets are not carried: MirrorMaker never reads them
//! (kafka-connect.md §4.12). Pure.

use super::{
    in_delete_order, plan_with, Action, Actual, Config, Plan, Reason, Requests, RunState, Step,
};
use crate::mirror::{ConnectorKind, DesiredConnector, Owner};

/// [`plan_with`] plus the hand-over from the `stale` owners (newest first) to `owner`.
pub fn plan_carrying(
    desired: &[DesiredConnector],
    actual: &Actual,
    owner: &Owner,
    stale: &[Owner],
    reqs: &Requests,
) -> Plan {
    let mut plan = plan_with(desired, actual, owner, reqs);
    if stale.is_empty() {
        return plan;
    }
    let mut carry = Vec::new();
    let mut temporary = Vec::new();
    for d in desired.iter().filter(|d| d.kind == ConnectorKind::Source) {
        let Some((old, exists)) = predecessor(&d.name, actual, owner, stale) else {
            continue;
        };
        let new = actual.connectors.get(&d.name);
        // A new source that exists is unfinished only while its predecessor is still listed
        // (the predecessor goes last). Its reported state alone cannot tell: a resume is
        // asynchronous, so a just-resumed connector still reads STOPPED for a while.
        let awaiting = exists
            && new.is_some_and(|a| a.state == Some(RunState::Stopped))
            && !reqs.intent.contains_key(&d.name);
        if new.is_some() && !awaiting {
            continue; // already replicating under the new name: only the deletes remain
        }
        let step = |name: &str, action, reason| Step {
            name: name.to_string(),
            kind: Some(ConnectorKind::Source),
            action,
            reason,
            changes: Vec::new(),
        };
        let old_state = actual.connectors.get(&old).and_then(|a| a.state.as_ref());
        if !exists {
            carry.push(step(
                &old,
                Action::CreateStopped(Config(d.config.clone())),
                Reason::StaleRelation,
            ));
            temporary.push(old.clone());
        } else if old_state != Some(&RunState::Stopped) {
            carry.push(step(&old, Action::Stop, Reason::StaleRelation));
        }
        if new.is_none() {
            carry.push(step(
                &d.name,
                Action::CreateStopped(Config(d.config.clone())),
                Reason::Renamed,
            ));
        }
        carry.push(step(
            &d.name,
            Action::CarryOffsets { from: old },
            Reason::Renamed,
        ));
        if !reqs.intent.contains_key(&d.name) {
            carry.push(step(&d.name, Action::Resume, Reason::Renamed));
        }
    }
    let carried: Vec<&str> = carry
        .iter()
        .filter(|s| s.reason == Reason::Renamed)
        .map(|s| s.name.as_str())
        .collect();
    // The carry creates those itself (stopped); plan_with's plain create would start them.
    plan.steps
        .retain(|s| !(matches!(s.action, Action::Create(_)) && carried.contains(&s.name.as_str())));
    let deletes = stale_deletes(actual, stale, &temporary);
    carry.append(&mut plan.steps);
    carry.extend(deletes);
    plan.steps = carry;
    plan
}

/// The stale name `new` hands over from: the newest stale one Connect lists, else the newest
/// stale name (to be created STOPPED to read its offsets back). `None` without stale owners.
fn predecessor(
    new: &str,
    actual: &Actual,
    owner: &Owner,
    stale: &[Owner],
) -> Option<(String, bool)> {
    let names: Vec<String> = stale.iter().filter_map(|s| owner.renamed(new, s)).collect();
    if let Some(listed) = names.iter().find(|n| actual.connectors.contains_key(*n)) {
        return Some((listed.clone(), true));
    }
    names.into_iter().next().map(|n| (n, false))
}

/// Deletes of every stale connector (listed or created by this plan), heartbeat → checkpoint
/// → source (unknown kinds first).
fn stale_deletes(actual: &Actual, stale: &[Owner], temporary: &[String]) -> Vec<Step> {
    let mut names: Vec<&String> = actual
        .connectors
        .keys()
        .filter(|n| stale.iter().any(|s| s.owns(n)))
        .chain(temporary.iter())
        .collect();
    names.sort();
    names.dedup();
    let mut steps: Vec<Step> = names
        .into_iter()
        .map(|name| Step {
            name: name.clone(),
            kind: ConnectorKind::from_name(name),
            action: Action::Delete,
            reason: Reason::StaleRelation,
            changes: Vec::new(),
        })
        .collect();
    in_delete_order(&mut steps);
    steps
}

#[cfg(test)]
mod tests;
