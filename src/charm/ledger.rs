//! The ledger of our `connect-client` relation ids (peer app data, `connect-relations`).
//!
//! A connector name carries the relation id (`…_r<id>_<model uuid>`, identity.rs), so the
//! model uuid alone does not prove a name is ours: another application of this model may run
//! connectors on the same Connect. Relation ids are never reused within a model, so a name
//! with our model uuid and an id from this ledger is ours. With it, the set left under an
//! earlier id after `connect-client` is integrated again is handed over and deleted
//! (plan/carry.rs) instead of replicating next to the new one.
//!
//! The current id is recorded before anything is created under it (a hook killed after a
//! create must not leave a name the ledger cannot prove); earlier ids are dropped once the
//! hand-over is finished.

use super::observe::Snapshot;
use super::peer;
use crate::juju::{HookTools, ToolError};
use crate::mirror::Owner;
use crate::plan::{Plan, Reason};

/// The current `connect-client` relation id, when that relation is there.
pub fn current(s: &Snapshot) -> Option<u64> {
    s.connect.as_ref().map(|c| c.rel.id)
}

/// Leader, in a hook: records the current relation id in the peer data if it is new (one
/// write per `connect-client` relation), and in `s` so the pass sees it.
pub fn record(tools: &dyn HookTools, s: &mut Snapshot) -> Result<(), ToolError> {
    let Some(rid) = current(s) else {
        return Ok(());
    };
    let Some(p) = s.peer.as_mut().filter(|_| s.leader) else {
        return Ok(());
    };
    if p.state.connect_relations.contains(&rid) {
        return Ok(());
    }
    let mut next = p.state.clone();
    next.connect_relations.insert(rid);
    peer::save(tools, &p.rel, &p.state, &next)?;
    p.state = next;
    Ok(())
}

/// Owners of the ledger's earlier relation ids, newest first (a name under the newest one is
/// the latest position).
pub fn stale_owners(s: &Snapshot) -> Vec<Owner> {
    let Some(p) = &s.peer else {
        return Vec::new();
    };
    let now = current(s);
    p.state
        .connect_relations
        .iter()
        .rev()
        .filter(|id| Some(**id) != now)
        .filter_map(|id| Owner::new(*id, &s.model_uuid).ok())
        .collect()
}

/// True when `plan` (made from what Connect holds after a pass) has nothing left to hand over
/// from earlier relation ids.
pub fn handed_over(plan: &Plan) -> bool {
    !plan
        .steps
        .iter()
        .any(|st| matches!(st.reason, Reason::Renamed | Reason::StaleRelation))
}

/// Keeps only the current relation id.
pub fn forget_stale(state: &mut peer::PeerState, current: u64) {
    state.connect_relations.retain(|id| *id == current);
}
