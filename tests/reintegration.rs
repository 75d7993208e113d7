//! `connect-client` integrated again, and Kafka Connect deleting our connectors when one of
//! our units departs (in-process, tier 2). A new relation id means new connector names: the
//! old set is ours by the peer data's ledger, hands its source offsets to the new names
//! (KIP-875) and is deleted, so no set replicates twice and nothing is copied again.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::juju::memory::{Relation, State};
use mirrormaker_integrator::juju::StatusKind;

fn renamed(kind: &str, rid: u64) -> String {
    format!("mirror_{kind}_kafka-a_r{rid}_{UUID_HEX}")
}

/// The world with the connect-client relation replaced by relation `rid` (same provider).
fn reintegrated(s: &State, rid: u64) -> State {
    let mut s = s.clone();
    let old = s
        .relations
        .iter()
        .position(|r| r.endpoint == "connect-client")
        .unwrap();
    let r: Relation = s.relations.remove(old);
    s.relations.push(Relation {
        id: rid,
        local_app: Default::default(),
        local_unit: Default::default(),
        ..r
    });
    s
}

/// The new relation's provider has answered.
fn answered(rid: u64) -> mirrormaker_integrator::juju::Event {
    hook(
        "connect-client-relation-changed",
        Some(("connect-client", rid, "kafka-connect")),
    )
}

fn ledger(s: &State) -> Option<String> {
    peer_bag(s).get("connect-relations").cloned()
}

// Proves the ledger is written once, by the leader, before anything is created under a
// relation id, and not again by steady hooks.
#[test]
fn ledger_records_our_relation_id_once() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    assert_eq!(ledger(&s).as_deref(), Some("[5]"));
    let mut s = s;
    s.calls.clear();
    let s = run(s, &hook("update-status", None), &connect);
    assert!(
        !s.calls.iter().any(|c| c.starts_with("relation-set")),
        "{:?}",
        s.calls
    );
}

// Proves an old set still running under r5 (the provider did not clean up) is handed over:
// stopped, its offsets copied to the new source created STOPPED, the new source resumed, the
// other two created, the old three deleted last — and the ledger forgets r5.
#[test]
fn old_set_still_running_is_handed_over_and_deleted() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    connect
        .0
        .borrow_mut()
        .offsets
        .insert(renamed("source", 5), 4711);
    let s = reintegrated(&s, 9);
    let s = run(s, &answered(9), &connect);
    assert_eq!(
        connect.take_writes(),
        [
            format!("STOP {}", renamed("source", 5)),
            format!("CREATE-STOPPED {}", renamed("source", 9)),
            format!("CARRY {} -> {}", renamed("source", 5), renamed("source", 9)),
            format!("RESUME {}", renamed("source", 9)),
            format!("PUT {}", renamed("checkpoint", 9)),
            format!("PUT {}", renamed("heartbeat", 9)),
            format!("DELETE {}", renamed("heartbeat", 5)),
            format!("DELETE {}", renamed("checkpoint", 5)),
            format!("DELETE {}", renamed("source", 5)),
        ]
    );
    assert_eq!(
        connect.0.borrow().offsets.get(&renamed("source", 9)),
        Some(&4711)
    );
    assert_eq!(ledger(&s).as_deref(), Some("[9]"));
    all_running(&connect);
    let s = run(s, &hook("update-status", None), &connect);
    assert!(connect.take_writes().is_empty());
    assert_eq!(s.unit_status.unwrap().kind, StatusKind::Active);
}

// Proves that when Charmed Kafka Connect already deleted the old set (its clean-up on
// departure), the offsets still kept under the old source name are read back through a
// connector created STOPPED under that name, carried, and that temporary one deleted.
#[test]
fn deleted_old_set_offsets_are_still_carried() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    {
        let mut c = connect.0.borrow_mut();
        c.offsets.insert(renamed("source", 5), 99);
        c.actual.connectors.clear();
    }
    let s = reintegrated(&s, 9);
    let s = run(s, &answered(9), &connect);
    let writes = connect.take_writes();
    assert_eq!(
        writes[..4],
        [
            format!("CREATE-STOPPED {}", renamed("source", 5)),
            format!("CREATE-STOPPED {}", renamed("source", 9)),
            format!("CARRY {} -> {}", renamed("source", 5), renamed("source", 9)),
            format!("RESUME {}", renamed("source", 9)),
        ]
    );
    assert_eq!(
        writes.last().unwrap(),
        &format!("DELETE {}", renamed("source", 5))
    );
    assert_eq!(
        connect.0.borrow().offsets.get(&renamed("source", 9)),
        Some(&99)
    );
    assert_eq!(ledger(&s).as_deref(), Some("[9]"));
}

// Proves a follower plans the hand-over but never writes (and says the leader will).
#[test]
fn follower_leaves_the_hand_over_to_the_leader() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let (mut follower, _) = leader_moves(&s);
    follower = reintegrated(&follower, 9);
    follower.calls.clear();
    let out = run(follower, &answered(9), &connect);
    assert!(connect.take_writes().is_empty());
    assert!(!out.calls.iter().any(|c| c.starts_with("relation-set")));
}

// Proves that after Kafka Connect deleted our connectors because one of our units departed,
// the leader's peer-relation-departed re-creates the very same names (so the offsets Connect
// kept under them resume; nothing copied twice).
#[test]
fn unit_departure_clean_up_is_undone_by_the_leader_with_the_same_names() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let before: Vec<String> = connect
        .0
        .borrow()
        .actual
        .connectors
        .keys()
        .cloned()
        .collect();
    connect.0.borrow_mut().actual.connectors.clear();
    let mut departed = hook("peer-relation-departed", Some(("peer", 1, "mirrormaker")));
    departed.unit = "mirrormaker/0".into();
    let _ = run(s, &departed, &connect);
    let after: Vec<String> = connect
        .0
        .borrow()
        .actual
        .connectors
        .keys()
        .cloned()
        .collect();
    assert_eq!(before, after);
    assert_eq!(connect.take_writes().len(), 3);
}
