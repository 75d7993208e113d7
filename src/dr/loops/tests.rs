use super::*;
use crate::mirror::javaregex::{check_list, matcher};

const NOW: i64 = 1_795_626_000_000;
const MAX: u64 = 60;

fn hb(source: &str, target: &str, age_s: i64) -> Heartbeat {
    Heartbeat {
        source: source.into(),
        target: target.into(),
        timestamp_ms: NOW - age_s * 1000,
    }
}

fn topics(records: &[(&str, Vec<Heartbeat>)]) -> BTreeMap<String, Vec<Heartbeat>> {
    records
        .iter()
        .map(|(t, r)| (t.to_string(), r.clone()))
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

// proves remote heartbeats names are peeled into their alias chain as MirrorClient.allSources
// does, with the configured separator, and that nothing else is taken for one
#[test]
fn chains_of_heartbeats_topics() {
    let v = |a: &[&str]| Some(a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    for (topic, sep, want) in [
        ("kafka-a.heartbeats", ".", v(&["kafka-a"])),
        (
            "kafka-b.kafka-a.heartbeats",
            ".",
            v(&["kafka-b", "kafka-a"]),
        ),
        ("kafka-a_heartbeats", "_", v(&["kafka-a"])),
        ("kafka-a.heartbeats", "_", None),
        ("heartbeats", ".", None),
        ("myheartbeats", ".", None),
        (".heartbeats", ".", None),
        ("orders", ".", None),
    ] {
        assert_eq!(chain(topic, sep), want, "{topic} with '{sep}'");
    }
    let all: Vec<String> = ["heartbeats", "orders", "kafka-a.heartbeats", "x.internal"]
        .map(String::from)
        .to_vec();
    assert_eq!(
        heartbeats_topics(&all, "."),
        vec!["heartbeats".to_string(), "kafka-a.heartbeats".to_string()]
    );
    assert_eq!(max_age_s(5), 60);
    assert_eq!(max_age_s(30), 300);
}

// proves only fresh evidence counts: a fresh chain names every alias in it, a stale one
// (topics outlive removed integrators) nothing; a local `heartbeats` record counts only when
// keyed (X, this cluster) and fresh
#[test]
fn upstreams_count_only_fresh_evidence() {
    let seen = topics(&[
        (
            "kafka-c.kafka-b.heartbeats",
            vec![hb("kafka-c", "kafka-b", 3)],
        ),
        ("kafka-d.heartbeats", vec![hb("kafka-d", "kafka-x", 61)]),
        (
            "heartbeats",
            vec![
                hb("kafka-e", "kafka-a", 10),
                hb("kafka-a", "kafka-f", 1),
                hb("kafka-g", "kafka-a", 600),
            ],
        ),
    ]);
    let up = upstreams("kafka-a", ".", &seen, NOW, MAX);
    assert_eq!(
        up.keys().cloned().collect::<BTreeSet<_>>(),
        set(&["kafka-b", "kafka-c", "kafka-e"])
    );
    assert_eq!(
        up["kafka-b"],
        Upstream {
            topic: "kafka-c.kafka-b.heartbeats".into(),
            age_s: 3
        }
    );
    assert_eq!(up["kafka-e"].topic, "heartbeats");
    // the same topics an hour later: nothing is fresh any more
    assert!(upstreams("kafka-a", ".", &seen, NOW + 3_600_000, MAX).is_empty());
    // an empty heartbeats topic proves nothing
    let empty = topics(&[("kafka-b.heartbeats", vec![])]);
    assert!(upstreams("kafka-a", ".", &empty, NOW, MAX).is_empty());
}

struct Case {
    what: &'static str,
    policy: ReplicationPolicy,
    upstreams: Vec<(&'static str, u64)>,
    replicated: Vec<(&'static str, Vec<&'static str>)>,
    want: Option<&'static str>,
}

// proves the guard's verdicts: identity + target a fresh upstream of source → cycle; another
// upstream → no block; default policy never blocks; two of our sources sharing a topic name → fan-in naming topic and both; disjoint
// topics → no block
#[test]
fn loop_guard_table() {
    use ReplicationPolicy::{Default as Dflt, Identity};
    let cases = [
        Case {
            what: "kafka-b replicates into kafka-a (fresh)",
            policy: Identity,
            upstreams: vec![("kafka-b", 4)],
            replicated: vec![("kafka-a", vec!["orders"])],
            want: Some("loop: kafka-b already replicates into kafka-a; with replication-policy=identity kafka-a -> kafka-b would loop forever"),
        },
        Case {
            what: "another cluster replicates into kafka-a: no cycle through kafka-b",
            policy: Identity,
            upstreams: vec![("kafka-c", 4)],
            replicated: vec![("kafka-a", vec!["orders"])],
            want: None,
        },
        Case {
            what: "default policy: cycles are safe",
            policy: Dflt,
            upstreams: vec![("kafka-b", 1)],
            replicated: vec![("kafka-a", vec!["orders"]), ("kafka-c", vec!["orders"])],
            want: None,
        },
        Case {
            what: "fan-in on one topic name",
            policy: Identity,
            upstreams: vec![],
            replicated: vec![
                ("kafka-a", vec!["orders", "pay", "users"]),
                ("kafka-c", vec!["audit", "pay", "users"]),
            ],
            want: Some("fan-in: kafka-a and kafka-c would both write 'pay' (+1 more) into kafka-b (replication-policy=identity)"),
        },
        Case {
            what: "fan-in with disjoint topics",
            policy: Identity,
            upstreams: vec![],
            replicated: vec![("kafka-a", vec!["orders"]), ("kafka-c", vec!["audit"])],
            want: None,
        },
    ];
    for c in cases {
        let ups: BTreeMap<String, Upstream> = c
            .upstreams
            .iter()
            .map(|(a, age)| {
                let topic = format!("{a}.heartbeats");
                (a.to_string(), Upstream { topic, age_s: *age })
            })
            .collect();
        let replicated: BTreeMap<String, BTreeSet<String>> = c
            .replicated
            .iter()
            .map(|(a, t)| (a.to_string(), set(t)))
            .collect();
        let got = loop_guard(&Question {
            policy: c.policy,
            source: "kafka-a",
            target: "kafka-b",
            upstreams_of_source: &ups,
            replicated: &replicated,
        });
        assert_eq!(
            got.as_ref().map(LoopBlock::message).as_deref(),
            c.want,
            "{}",
            c.what
        );
        if let Some(b) = got {
            assert!(b.message().chars().count() <= 120, "{}", c.what);
            assert!(b.detail().starts_with(&b.message()) && b.detail().contains("Fix:"));
            if let LoopBlock::Cycle { .. } = b {
                let evidence = "Evidence: topic kafka-b.heartbeats on kafka-a (heartbeat";
                assert!(b.detail().contains(evidence), "{}", b.detail());
            }
        }
    }
}

// proves the replicated set is what MirrorMaker's identity source connector would write:
// topics/topics-exclude with whole-name matching, internal topics and heartbeats left out
#[test]
fn replicated_topics_follow_the_filters() {
    let include = matcher(&check_list("topics", "orders.*, pay", false).unwrap()).unwrap();
    let exclude = matcher(
        &check_list(
            "topics-exclude",
            crate::mirror::config::defaults::TOPICS_EXCLUDE,
            true,
        )
        .unwrap(),
    )
    .unwrap();
    let on_source: Vec<String> = [
        "orders",
        "orders.eu",
        "orders.replica",
        "pay",
        "payments",
        "orders-heartbeats",
        "orders.internal",
        "__consumer_offsets",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(
        replicated_topics(&on_source, &include, &exclude),
        set(&["orders", "orders.eu", "pay"])
    );
}
