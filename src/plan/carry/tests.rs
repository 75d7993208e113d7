//! Table tests of the hand-over from stale relation ids (carry.rs).

use super::super::{apply_to, Intent};
use super::*;
use crate::mirror::connector_name;
use crate::plan::ActualConnector;
use std::collections::BTreeMap;

const UUID: &str = "0123abcd-4567-89ef-0123-456789abcdef";
const HEX: &str = "0123abcd456789ef0123456789abcdef";

fn owner(rid: u64) -> Owner {
    Owner::new(rid, UUID).unwrap()
}

fn name(kind: ConnectorKind, rid: u64) -> String {
    connector_name(kind, "a", rid, HEX)
}

fn desired(rid: u64) -> Vec<DesiredConnector> {
    ConnectorKind::ALL
        .into_iter()
        .map(|kind| DesiredConnector {
            name: name(kind, rid),
            kind,
            source_alias: "a".into(),
            config: BTreeMap::from([("tasks.max".to_string(), "1".to_string())]),
        })
        .collect()
}

fn listed(names: &[(String, &str)]) -> Actual {
    let mut a = Actual::default();
    for (n, state) in names {
        let c = ActualConnector {
            config: BTreeMap::from([
                ("tasks.max".to_string(), "1".to_string()),
                ("name".to_string(), n.clone()),
            ]),
            state: Some(RunState::parse(state)),
            ..Default::default()
        };
        a.connectors.insert(n.clone(), c);
    }
    a
}

fn lines(p: &Plan) -> Vec<String> {
    p.steps
        .iter()
        .map(|s| format!("{} {}", s.action.as_str(), s.name))
        .collect()
}

use ConnectorKind::{Checkpoint, Heartbeat, Source};

// Proves the old set still running under r5 hands its source offsets to the new r9 name in
// the order that copies nothing twice (stop old, create new stopped, carry, resume), creates
// the other two new ones, and deletes the whole old set last, heartbeat first; and that the
// plan applied then re-planned is empty.
#[test]
fn running_old_set_is_carried_then_deleted() {
    let mut actual = listed(&[
        (name(Source, 5), "RUNNING"),
        (name(Checkpoint, 5), "RUNNING"),
        (name(Heartbeat, 5), "RUNNING"),
    ]);
    let p = plan_carrying(
        &desired(9),
        &actual,
        &owner(9),
        &[owner(5)],
        &Requests::default(),
    );
    assert_eq!(
        lines(&p),
        [
            format!("stop {}", name(Source, 5)),
            format!("create-stopped {}", name(Source, 9)),
            format!("carry-offsets {}", name(Source, 9)),
            format!("resume {}", name(Source, 9)),
            format!("create {}", name(Checkpoint, 9)),
            format!("create {}", name(Heartbeat, 9)),
            format!("delete {}", name(Heartbeat, 5)),
            format!("delete {}", name(Checkpoint, 5)),
            format!("delete {}", name(Source, 5)),
        ]
    );
    assert_eq!(
        p.steps[2].action,
        Action::CarryOffsets {
            from: name(Source, 5)
        }
    );
    apply_to(&p, &mut actual);
    for c in actual.connectors.values_mut() {
        c.state = Some(RunState::Running);
    }
    let again = plan_carrying(
        &desired(9),
        &actual,
        &owner(9),
        &[owner(5)],
        &Requests::default(),
    );
    assert!(again.is_empty(), "{again}");
}

// Proves that when Charmed Kafka Connect already deleted the old set, the old source name
// is re-created STOPPED (its offsets are still in Connect's offsets topic), read, then deleted.
#[test]
fn deleted_old_set_is_read_back_through_a_stopped_connector() {
    let p = plan_carrying(
        &desired(9),
        &Actual::default(),
        &owner(9),
        &[owner(5)],
        &Requests::default(),
    );
    assert_eq!(
        lines(&p)[..4],
        [
            format!("create-stopped {}", name(Source, 5)),
            format!("create-stopped {}", name(Source, 9)),
            format!("carry-offsets {}", name(Source, 9)),
            format!("resume {}", name(Source, 9)),
        ]
    );
    assert_eq!(
        lines(&p).last().unwrap(),
        &format!("delete {}", name(Source, 5))
    );
}

// Proves a hook killed after the new source was created STOPPED (old one still listed) is
// finished by the next plan without creating anything twice, and that a new source already
// RUNNING only gets the stale set deleted.
#[test]
fn half_done_carry_continues_and_finished_one_only_deletes() {
    let half = listed(&[(name(Source, 5), "STOPPED"), (name(Source, 9), "STOPPED")]);
    let p = plan_carrying(
        &desired(9),
        &half,
        &owner(9),
        &[owner(5)],
        &Requests::default(),
    );
    assert_eq!(
        lines(&p),
        [
            format!("carry-offsets {}", name(Source, 9)),
            format!("resume {}", name(Source, 9)),
            format!("create {}", name(Checkpoint, 9)),
            format!("create {}", name(Heartbeat, 9)),
            format!("delete {}", name(Source, 5)),
        ]
    );
    let done = listed(&[(name(Source, 5), "STOPPED"), (name(Source, 9), "RUNNING")]);
    let p = plan_carrying(
        &desired(9),
        &done,
        &owner(9),
        &[owner(5)],
        &Requests::default(),
    );
    assert_eq!(
        lines(&p),
        [
            format!("create {}", name(Checkpoint, 9)),
            format!("create {}", name(Heartbeat, 9)),
            format!("delete {}", name(Source, 5)),
        ]
    );
}

// Proves an operator's stop on the new name is kept (no resume, and a STOPPED new source is
// not mistaken for an unfinished carry), and that without stale owners nothing changes.
#[test]
fn intent_is_kept_and_no_ledger_means_plain_plan() {
    let mut reqs = Requests::default();
    reqs.intent.insert(name(Source, 9), Intent::Stopped);
    let p = plan_carrying(
        &desired(9),
        &Actual::default(),
        &owner(9),
        &[owner(5)],
        &reqs,
    );
    assert!(!lines(&p).contains(&format!("resume {}", name(Source, 9))));
    let stopped = listed(&[(name(Source, 9), "STOPPED")]);
    let p = plan_carrying(&desired(9), &stopped, &owner(9), &[owner(5)], &reqs);
    assert!(!p.steps.iter().any(|s| s.reason == Reason::Renamed), "{p}");
    let plain = plan_carrying(
        &desired(9),
        &Actual::default(),
        &owner(9),
        &[],
        &Requests::default(),
    );
    assert_eq!(
        plain,
        plan_with(
            &desired(9),
            &Actual::default(),
            &owner(9),
            &Requests::default()
        )
    );
}

// Proves a connector under a relation id the ledger does not hold is never touched (no
// ownership proof), even with our model uuid in its name.
#[test]
fn unproven_relation_ids_are_left_alone() {
    let foreign = listed(&[(name(Source, 6), "RUNNING")]);
    let p = plan_carrying(
        &desired(9),
        &foreign,
        &owner(9),
        &[owner(5)],
        &Requests::default(),
    );
    assert!(!p.steps.iter().any(|s| s.name == name(Source, 6)), "{p}");
}

// Proves a new source still reported STOPPED right after the hand-over resumed it (resume is
// asynchronous) is not handed over a second time once the old one is gone: no temporary
// connector, no second carry.
#[test]
fn just_resumed_new_source_is_not_carried_again() {
    let lagging = listed(&[(name(Source, 9), "STOPPED")]);
    let p = plan_carrying(
        &desired(9),
        &lagging,
        &owner(9),
        &[owner(5)],
        &Requests::default(),
    );
    assert!(
        !p.steps
            .iter()
            .any(|s| matches!(s.reason, Reason::Renamed | Reason::StaleRelation)),
        "{p}"
    );
}
