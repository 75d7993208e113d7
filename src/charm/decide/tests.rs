//! `decide` on plain values: no Juju, no Connect.

use super::*;
use crate::charm::heal::Record;
use crate::mirror::ConnectorKind;
use crate::plan::{Intent, TaskState};

const NOW: u64 = 1_000_000;

fn desired(name: &str) -> DesiredConnector {
    DesiredConnector {
        name: name.into(),
        kind: ConnectorKind::Source,
        source_alias: "kafka-a".into(),
        config: BTreeMap::new(),
    }
}

fn connector(state: &str, task: &str) -> ActualConnector {
    ActualConnector {
        state: Some(state.into()),
        tasks: vec![TaskState {
            id: 0,
            state: task.into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn actual(items: &[(&str, ActualConnector)]) -> Actual {
    Actual {
        connectors: items
            .iter()
            .map(|(n, c)| (n.to_string(), c.clone()))
            .collect(),
    }
}

fn hook(leader: bool) -> Pass {
    Pass::hook(leader)
}

struct Case {
    what: &'static str,
    pass: Pass,
    leader: bool,
    peer: Option<PeerState>,
    actual: Actual,
    held: Vec<String>,
    /// Expected: names restarted by the backoff, intents kept, verdict of "a".
    restarts: Vec<&'static str>,
    intents: Vec<&'static str>,
    verdict_a: Option<Verdict>,
    /// Expected: peer data returned (only writing passes).
    saves_peer: bool,
}

fn base(what: &'static str) -> Case {
    Case {
        what,
        pass: hook(true),
        leader: true,
        peer: Some(PeerState::default()),
        actual: actual(&[("a", connector("RUNNING", "RUNNING"))]),
        held: Vec::new(),
        restarts: Vec::new(),
        intents: Vec::new(),
        verdict_a: None,
        saves_peer: true,
    }
}

fn peer_with(f: impl FnOnce(&mut PeerState)) -> Option<PeerState> {
    let mut p = PeerState::default();
    f(&mut p);
    Some(p)
}

// Proves each choice decide makes, one row each: the first FAILED observation restarts at
// once on the leader's hook and on the plan action (dry run), never on a follower or the
// status action; an operator's intent keeps the backoff away and is dropped for connectors
// no longer desired; a restart by hand starts the count again; a gave-up record blocks; held
// connectors are not plannable; without a peer relation nothing is remembered.
#[test]
fn decisions() {
    let failed = || actual(&[("a", connector("RUNNING", "FAILED"))]);
    let cases = vec![
        base("running: nothing to do, peer saved with the time"),
        Case {
            actual: failed(),
            restarts: vec!["a"],
            verdict_a: Some(Verdict::RestartNow { n: 1 }),
            ..base("leader hook: first failure restarts now")
        },
        Case {
            actual: failed(),
            pass: Pass {
                dry_run: true,
                ..Pass::default()
            },
            restarts: vec!["a"],
            verdict_a: Some(Verdict::RestartNow { n: 1 }),
            saves_peer: false,
            ..base("plan action (dry run) shows the restart, saves nothing")
        },
        Case {
            actual: failed(),
            pass: hook(false),
            leader: false,
            verdict_a: Some(Verdict::RestartNow { n: 1 }),
            saves_peer: false,
            ..base("follower: same verdict, no restart, saves nothing")
        },
        Case {
            actual: failed(),
            pass: Pass::read_only(),
            verdict_a: Some(Verdict::RestartNow { n: 1 }),
            saves_peer: false,
            ..base("status action on the leader: verdict only")
        },
        Case {
            actual: failed(),
            peer: peer_with(|p| {
                p.intent.insert("a".into(), Intent::Paused);
                p.intent.insert("gone".into(), Intent::Stopped);
            }),
            intents: vec!["a"],
            ..base("intent: never auto-restarted; intents of undesired names dropped")
        },
        Case {
            actual: failed(),
            pass: Pass {
                write: true,
                requests: Requests {
                    restart: [(
                        "a".to_string(),
                        RestartRequest {
                            include_tasks: true,
                            only_failed: false,
                            reason: Reason::OperatorRestart,
                        },
                    )]
                    .into(),
                    ..Requests::default()
                },
                ..Pass::default()
            },
            peer: peer_with(|p| {
                p.restarts.insert(
                    "a".into(),
                    Record {
                        restarts: 10,
                        last_restart: Some(NOW - 60),
                        healthy_since: None,
                    },
                );
            }),
            restarts: vec!["a"],
            ..base("restart by hand: kept as asked, the count starts again")
        },
        Case {
            actual: failed(),
            peer: peer_with(|p| {
                p.restarts.insert(
                    "a".into(),
                    Record {
                        restarts: 10,
                        last_restart: Some(NOW - 7200),
                        healthy_since: None,
                    },
                );
            }),
            verdict_a: Some(Verdict::GaveUp { restarts: 10 }),
            ..base("max restarts used: gave up, no restart")
        },
        Case {
            actual: failed(),
            held: vec!["a".into()],
            ..base("held connector: not plannable, not healed")
        },
        Case {
            actual: failed(),
            peer: None,
            saves_peer: false,
            ..base("no peer relation: nothing healed or saved")
        },
    ];
    for c in cases {
        let d = decide(&Inputs {
            desired: &[desired("a")],
            held: &c.held,
            actual: &c.actual,
            peer: c.peer.as_ref(),
            pass: &c.pass,
            leader: c.leader,
            now: NOW,
            policy: AutoRestart::default(),
        });
        let restarted: Vec<&str> = d.requests.restart.keys().map(String::as_str).collect();
        assert_eq!(restarted, c.restarts, "{}", c.what);
        let intents: Vec<&str> = d.requests.intent.keys().map(String::as_str).collect();
        assert_eq!(intents, c.intents, "{}", c.what);
        assert_eq!(d.verdicts.get("a").copied(), c.verdict_a, "{}", c.what);
        assert_eq!(d.peer.is_some(), c.saves_peer, "{}", c.what);
        assert_eq!(
            d.plannable.connectors.contains_key("a"),
            c.held.is_empty(),
            "{}",
            c.what
        );
    }
}

// Proves what a writing pass remembers: the restart it issues (count 1, at now), the start of
// a waiting condition (kept, not reset, while the condition lasts), the time of the pass; and
// that the records of connectors no longer desired are dropped while held ones are kept.
#[test]
fn peer_data_after_a_writing_pass() {
    let before = peer_with(|p| {
        p.restarts.insert("gone".into(), Record::default());
        p.since.insert(
            "held".into(),
            Since {
                what: "UNASSIGNED".into(),
                at: 5,
            },
        );
        p.since.insert(
            "b".into(),
            Since {
                what: "UNASSIGNED".into(),
                at: 7,
            },
        );
    })
    .unwrap();
    let actual = actual(&[
        ("a", connector("RUNNING", "FAILED")),
        ("b", connector("UNASSIGNED", "UNASSIGNED")),
    ]);
    let held = vec!["held".to_string()];
    let d = decide(&Inputs {
        desired: &[desired("a"), desired("b")],
        held: &held,
        actual: &actual,
        peer: Some(&before),
        pass: &hook(true),
        leader: true,
        now: NOW,
        policy: AutoRestart::default(),
    });
    let after = d.peer.expect("a writing pass returns the peer data");
    assert_eq!(
        after.restarts.get("a"),
        Some(&Record {
            restarts: 1,
            last_restart: Some(NOW),
            healthy_since: None
        })
    );
    assert!(!after.restarts.contains_key("gone"));
    assert_eq!(after.since["b"].at, 7, "the condition's start is kept");
    assert_eq!(after.since["held"].at, 5, "held connectors keep their data");
    assert_eq!(
        after.last_change, None,
        "set by the driver only when it changed Connect"
    );
    assert_eq!(d.since, after.since);
}

// Proves a desired connector Connect does not list is recorded as absent from the first
// writing pass on (the start is kept, not moved, by later passes), and forgotten once listed.
#[test]
fn absent_connector_is_timed_from_its_first_pass() {
    let want = [desired("a")];
    let run = |peer: Option<&PeerState>, actual: &Actual, now: u64| {
        decide(&Inputs {
            desired: &want,
            held: &[],
            actual,
            peer,
            pass: &hook(true),
            leader: true,
            now,
            policy: AutoRestart::default(),
        })
        .peer
        .unwrap()
    };
    let first = run(Some(&PeerState::default()), &Actual::default(), NOW);
    assert_eq!(first.since["a"].what, workload_status::ABSENT);
    let later = run(Some(&first), &Actual::default(), NOW + 60);
    assert_eq!(later.since["a"].at, NOW);
    let listed = run(
        Some(&later),
        &actual(&[("a", connector("RUNNING", "RUNNING"))]),
        NOW + 90,
    );
    assert!(!listed.since.contains_key("a"));
}
