//! Several units of ours (in-process, tier 2): only the leader writes, whatever order the
//! units run the same hooks in; a follower's status follows the leader's once the leader's
//! change wakes it; a leader change in the middle of a rollout finishes it without doing
//! anything twice.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::juju::memory::State;
use mirrormaker_integrator::juju::StatusKind;

/// Unit `n` of a world with three units; unit 0 leads.
fn unit(n: u32) -> State {
    let mut s = world();
    s.unit = format!("mirrormaker/{n}");
    s.leader = n == 0;
    s
}

fn relation_sets(s: &State) -> usize {
    s.calls
        .iter()
        .filter(|c| c.starts_with("relation-set"))
        .count()
}

// Proves three units running config-changed on a fresh model, followers first, create each
// connector exactly once (the leader's), the followers write no relation data and no
// Connect call, and their status first waits for the connectors, then — woken
// by the leader's peer data change — follows the leader's.
#[test]
fn three_units_racing_write_once_and_agree() {
    let connect = FakeConnect::default();
    let f1 = run(unit(1), &hook("config-changed", None), &connect);
    let f2 = run(unit(2), &hook("config-changed", None), &connect);
    for f in [&f1, &f2] {
        assert_eq!(relation_sets(f), 0);
        let st = f.unit_status.clone().unwrap();
        assert_eq!(st.kind, StatusKind::Waiting, "{st}");
    }
    assert!(connect.writes().is_empty());
    let leader = run(unit(0), &hook("config-changed", None), &connect);
    assert_eq!(
        connect.take_writes().len(),
        3,
        "each connector created once"
    );
    all_running(&connect);
    let leader = run(leader, &hook("update-status", None), &connect);
    let changed = hook("peer-relation-changed", Some(("peer", 1, "mirrormaker")));
    for mut f in [f1, f2] {
        share_peer(&leader, &mut f);
        f.calls.clear();
        let f = run(f, &changed, &connect);
        assert_eq!(relation_sets(&f), 0);
        assert_eq!(
            f.unit_status, leader.unit_status,
            "the follower follows the leader"
        );
        assert_eq!(f.unit_status.as_ref().unwrap().kind, StatusKind::Active);
    }
    assert!(connect.writes().is_empty());
}

// Proves a leader that dies after the first of three creates leaves a state the next leader
// finishes on leader-elected: the two missing connectors created, the first not again.
#[test]
fn leader_change_mid_rollout_finishes_without_repeats() {
    let connect = FakeConnect::default();
    connect.0.borrow_mut().writes_left = Some(1);
    let old = run(unit(0), &hook("config-changed", None), &connect);
    assert_eq!(connect.take_writes().len(), 1);
    assert_ne!(old.unit_status.as_ref().unwrap().kind, StatusKind::Active);
    connect.0.borrow_mut().writes_left = None;
    let (_, mut new) = leader_moves(&old);
    share_peer(&old, &mut new);
    let _ = run(new, &hook("leader-elected", None), &connect);
    let writes = connect.take_writes();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert_eq!(connect.0.borrow().actual.connectors.len(), 3);
}
