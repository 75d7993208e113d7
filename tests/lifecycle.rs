//! One rule for relations that leave (in-process, tier 2): a `source` takes its own connectors
//! with it, `target` takes all of ours; Kafka Connect keeps their offsets under the names, so
//! integrating again re-creates the same names and resumes. Nothing else is touched.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::juju::memory::State;
use mirrormaker_integrator::juju::StatusKind;
use mirrormaker_integrator::plan::ActualConnector;

/// The world without the relation of `endpoint`, and that relation's broken hook.
fn without(s: &State, endpoint: &str) -> (State, mirrormaker_integrator::juju::Event) {
    let mut s = s.clone();
    let gone = s
        .relations
        .iter()
        .position(|r| r.endpoint == endpoint)
        .unwrap();
    let r = s.relations.remove(gone);
    let hook = hook(
        &format!("{endpoint}-relation-broken"),
        Some((endpoint, r.id, &r.remote_app)),
    );
    (s, hook)
}

fn add_foreign(connect: &FakeConnect) {
    connect.0.borrow_mut().actual.connectors.insert(
        "by-hand".into(),
        ActualConnector {
            state: Some("RUNNING".into()),
            ..Default::default()
        },
    );
}

fn deletes_in_dependency_order() -> Vec<String> {
    ["heartbeat", "checkpoint", "source"]
        .iter()
        .map(|k| format!("DELETE {}", name(k, "kafka-a")))
        .collect()
}

// Proves removing `target` deletes every connector of ours in dependency order (heartbeat,
// checkpoint, source), leaves a foreign one alone, and says so in the status.
#[test]
fn target_gone_takes_all_of_ours() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    add_foreign(&connect);
    let (s, broken) = without(&s, "target");
    let out = run(s, &broken, &connect);
    assert_eq!(connect.take_writes(), deletes_in_dependency_order());
    assert_eq!(
        connect
            .0
            .borrow()
            .actual
            .connectors
            .keys()
            .collect::<Vec<_>>(),
        vec!["by-hand"]
    );
    let st = out.unit_status.unwrap();
    assert_eq!(
        (st.kind, st.message.as_str()),
        (
            StatusKind::Blocked,
            "missing relation(s): target (juju integrate); removed 3 connector(s), offsets kept for a re-integration"
        )
    );
}

// Proves removing the only `source` follows the same rule as removing one of several (its
// set goes), and integrating it again re-creates the very same names (so Connect's offsets
// under them resume, nothing is copied twice).
#[test]
fn only_source_gone_then_back_resumes_by_name() {
    let connect = FakeConnect::default();
    let before = converged(&connect);
    let (s, broken) = without(&before, "source");
    let out = run(s, &broken, &connect);
    assert_eq!(connect.take_writes(), deletes_in_dependency_order());
    assert_eq!(out.unit_status.unwrap().kind, StatusKind::Blocked);
    let back = run(
        before,
        &hook("source-relation-changed", Some(("source", 3, "kafka-a"))),
        &connect,
    );
    assert_eq!(
        connect.take_writes(),
        ["source", "checkpoint", "heartbeat"]
            .iter()
            .map(|k| format!("PUT {}", name(k, "kafka-a")))
            .collect::<Vec<_>>()
    );
    assert_eq!(back.unit_status.unwrap().kind, StatusKind::Waiting);
}

// Proves a follower never deletes: it says the leader will.
#[test]
fn follower_leaves_the_teardown_to_the_leader() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    s.leader = false;
    let (s, broken) = without(&s, "target");
    let out = run(s, &broken, &connect);
    assert!(connect.writes().is_empty());
    assert_eq!(
        out.unit_status.unwrap().message,
        "missing relation(s): target (juju integrate); the leader removes 3 connector(s)"
    );
}

// Proves a relation that is still there but incomplete (a half-written or revoked answer) is
// never a reason to delete: the target's secret vanishing holds everything as it is.
#[test]
fn incomplete_target_holds_instead() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    s.secrets.remove("secret:b-user");
    let out = run(
        s,
        &hook("target-relation-changed", Some(("target", 4, "kafka-b"))),
        &connect,
    );
    assert!(connect.writes().is_empty());
    assert_eq!(out.unit_status.unwrap().kind, StatusKind::Waiting);
    assert_eq!(connect.0.borrow().actual.connectors.len(), 3);
}
