//! Tier 1: the DR rules on plain values.
#![allow(clippy::type_complexity)] // table rows are tuples on purpose

use super::records::{self, encode, Checkpoint};
use super::*;
use proptest::prelude::*;
use serde_json::json;

fn tp(t: &str, p: i32) -> Tp {
    Tp::new(t, p)
}

fn naming(policy: ReplicationPolicy) -> Naming {
    Naming {
        source: "kafka-a".into(),
        policy,
        separator: ".".into(),
    }
}

/// Connect's offsets are read for our source cluster only, odd shapes skipped; lag is
/// end − (stored + 1), never negative, heartbeats left out, partitions without an end left out.
#[test]
fn lag_from_connect_offsets() {
    let raw = vec![
        (
            json!({"cluster": "kafka-a", "topic": "orders", "partition": 0}),
            json!({"offset": 12}),
        ),
        (
            json!({"cluster": "kafka-a", "topic": "orders", "partition": 1}),
            json!({"offset": 4}),
        ),
        (
            json!({"cluster": "kafka-a", "topic": "orders", "partition": 2}),
            json!({"offset": 9}),
        ),
        (
            json!({"cluster": "kafka-a", "topic": "heartbeats", "partition": 0}),
            json!({"offset": 100}),
        ),
        (
            json!({"cluster": "kafka-z", "topic": "orders", "partition": 0}),
            json!({"offset": 1}),
        ),
        (
            json!({"cluster": "kafka-a", "topic": "gone", "partition": 0}),
            json!({"offset": 1}),
        ),
        (
            json!({"cluster": "kafka-a", "topic": 7}),
            json!({"offset": 1}),
        ),
    ];
    let pos = mirror_positions(&raw, "kafka-a");
    assert_eq!(pos.len(), 5);
    let ends = BTreeMap::from([
        (tp("orders", 0), 16),
        (tp("orders", 1), 5),
        (tp("orders", 2), 3), // read before MirrorMaker's last commit: never negative
        (tp("heartbeats", 0), 900),
    ]);
    let rows = lag(&pos, &ends);
    let behind: Vec<(i32, i64)> = rows.iter().map(|r| (r.partition, r.behind)).collect();
    assert_eq!(behind, vec![(0, 3), (1, 0), (2, 0)]);
    assert_eq!(
        totals(&rows),
        vec![TopicLag {
            topic: "orders".into(),
            partitions: 3,
            behind: 3
        }]
    );
}

/// Remote names follow the policy; a group row is translated only when the checkpoint
/// translates exactly the current commit; stale and untranslated otherwise; partitions
/// MirrorMaker does not replicate are not rows.
#[test]
fn group_rows_by_policy_and_checkpoint() {
    let cp = |t: &str, p, up, down| Checkpoint {
        group: "g1".into(),
        topic: t.into(),
        partition: p,
        upstream: up,
        downstream: down,
    };
    let replicated = BTreeMap::from([
        (tp("orders", 0), 10),
        (tp("orders", 1), 10),
        (tp("orders", 2), 10),
    ]);
    let committed = BTreeMap::from([(
        "g1".to_string(),
        BTreeMap::from([
            (tp("orders", 0), 4),
            (tp("orders", 1), 7),
            (tp("orders", 2), 2),
            (tp("other", 0), 1),
        ]),
    )]);
    for (policy, remote) in [
        (ReplicationPolicy::Default, "kafka-a.orders"),
        (ReplicationPolicy::Identity, "orders"),
    ] {
        let cps = latest_checkpoints([
            cp(remote, 0, 3, 1),
            cp(remote, 0, 4, 1),
            cp(remote, 1, 5, 5),
        ]);
        let target = BTreeMap::from([("g1".to_string(), BTreeMap::from([(tp(remote, 0), 1)]))]);
        let rows = group_rows(&naming(policy), &committed, &cps, &target, &replicated);
        let got: Vec<(i32, &str, Option<i64>, GroupStatus, Option<i64>)> = rows
            .iter()
            .map(|r| {
                (
                    r.partition,
                    r.target_topic.as_str(),
                    r.resume,
                    r.status,
                    r.target_committed,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (0, remote, Some(1), GroupStatus::Translated, Some(1)),
                (1, remote, Some(5), GroupStatus::Stale, None),
                (2, remote, None, GroupStatus::Untranslated, None),
            ],
            "{policy:?}"
        );
    }
}

/// Each readiness rule on its own, with a stable name; notes do not block.
#[test]
fn readiness_rules() {
    let t = Thresholds {
        max_lag: 100,
        max_heartbeat_age: 60,
    };
    let running = |n: &str| ConnectorRun {
        name: n.into(),
        state: Some(RunState::Running),
        tasks: vec![(0, RunState::Running)],
    };
    let fresh: HeartbeatAge = Some(("kafka-a.heartbeats".into(), Some(3)));
    let row = |status, of| GroupRow {
        group: "g".into(),
        topic: "t".into(),
        partition: 0,
        target_topic: "kafka-a.t".into(),
        committed: 5,
        resume: Some(5),
        checkpoint_of: of,
        target_committed: None,
        status,
    };
    let ok_rows = [row(GroupStatus::Translated, Some(5))];
    let names = |r: Vec<Reason>| r.iter().map(|r| (r.name(), r.blocks())).collect::<Vec<_>>();
    assert_eq!(
        names(readiness(&[running("s")], &[], &fresh, &ok_rows, t)),
        vec![]
    );
    let cases: Vec<(
        Vec<ConnectorRun>,
        Vec<TopicLag>,
        HeartbeatAge,
        Vec<GroupRow>,
        Vec<(&str, bool)>,
    )> = vec![
        (
            vec![ConnectorRun {
                name: "s".into(),
                state: Some(RunState::Paused),
                tasks: vec![(0, RunState::Paused)],
            }],
            vec![],
            fresh.clone(),
            vec![],
            vec![("connector_not_running", true), ("task_not_running", true)],
        ),
        (
            vec![ConnectorRun {
                name: "s".into(),
                state: Some(RunState::Running),
                tasks: vec![],
            }],
            vec![],
            fresh.clone(),
            vec![],
            vec![("no_tasks", true)],
        ),
        (
            vec![],
            vec![],
            Some(("h".into(), None)),
            vec![],
            vec![("no_heartbeat", true)],
        ),
        (
            vec![],
            vec![],
            Some(("h".into(), Some(61))),
            vec![],
            vec![("heartbeat_old", true)],
        ),
        (
            vec![],
            vec![],
            None,
            vec![],
            vec![("heartbeats_off", false)],
        ),
        (
            vec![],
            vec![
                TopicLag {
                    topic: "t".into(),
                    partitions: 1,
                    behind: 101,
                },
                TopicLag {
                    topic: "u".into(),
                    partitions: 1,
                    behind: 100,
                },
            ],
            fresh.clone(),
            vec![],
            vec![("lag_over_threshold", true)],
        ),
        (
            vec![],
            vec![],
            fresh.clone(),
            vec![
                row(GroupStatus::Stale, Some(4)),
                row(GroupStatus::Untranslated, None),
            ],
            vec![("group_stale", true), ("group_untranslated", true)],
        ),
    ];
    for (conns, lags, hb, rows, want) in cases {
        assert_eq!(names(readiness(&conns, &lags, &hb, &rows, t)), want);
    }
}

/// Each format decodes what MirrorMaker writes (bytes built by hand, as the Java schemas
/// lay them out) and refuses short input, trailing bytes and other versions.
#[test]
fn record_formats() {
    let (k, v) = encode::heartbeat("kafka-a", "kafka-b", 1_700_000_000_000);
    assert_eq!(k, b"\x00\x07kafka-a\x00\x07kafka-b".to_vec());
    assert_eq!(
        records::heartbeat(&k, &v).map(|h| h.timestamp_ms),
        Some(1_700_000_000_000)
    );
    let (k, v) = encode::checkpoint("g1", "kafka-a.orders", 0, 4, 1);
    assert_eq!(
        records::checkpoint(&k, &v).map(|c| (c.upstream, c.downstream)),
        Some((4, 1))
    );
    let (k, v) = encode::offset_sync("orders", 2, 139, 139);
    assert_eq!(
        records::offset_sync(&k, &v).map(|s| (s.topic, s.partition)),
        Some(("orders".into(), 2))
    );

    let mut long = v.clone();
    long.push(0);
    assert_eq!(records::offset_sync(&k, &long), None, "trailing bytes");
    assert_eq!(records::offset_sync(&k, &v[..15]), None, "short");
    let (k, mut v) = encode::heartbeat("a", "b", 1);
    v[1] = 1;
    assert_eq!(records::heartbeat(&k, &v), None, "version 1");
}

proptest! {
    /// Arbitrary bytes never panic a decoder.
    #[test]
    fn decoders_never_panic(k in proptest::collection::vec(any::<u8>(), 0..64), v in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = records::heartbeat(&k, &v);
        let _ = records::checkpoint(&k, &v);
        let _ = records::offset_sync(&k, &v);
    }
}
