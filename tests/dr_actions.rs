//! Tier 2: the `lag` and `failover-check` actions through the real driver, with an
//! in-memory Juju, Kafka Connect and Kafka (both clusters).

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::charm;
use mirrormaker_integrator::connect::{ConnectorOffsets, PartitionOffset};
use mirrormaker_integrator::dr::records::encode;
use mirrormaker_integrator::juju::memory::{MemoryTools, State};
use mirrormaker_integrator::kafka::memory::MemoryKafka;
use mirrormaker_integrator::kafka::{KafkaApi, KafkaFailure, Tp};
use mirrormaker_integrator::mirror::Cluster;
use mirrormaker_integrator::relations::ConnectData;
use serde_json::{json, Value};

struct Bed {
    connect: FakeConnect,
    a: MemoryKafka,
    b: MemoryKafka,
}

/// Runs action `name` with the in-memory Kafka clusters behind the factory.
fn act(state: State, name: &str, params: Value, bed: &Bed, now: u64) -> State {
    let mut state = state;
    state.action_params = params.as_object().cloned().unwrap_or_default();
    state.action_results.clear();
    state.action_failed = None;
    let tools = MemoryTools::new(state);
    let c = bed.connect.clone();
    let connect =
        move |_: &ConnectData| -> Result<Box<dyn charm::ConnectApi>, charm::ConnectFailure> {
            Ok(Box::new(c.clone()))
        };
    let (a, b) = (bed.a.clone(), bed.b.clone());
    let kafka = move |c: &Cluster| -> Result<Box<dyn KafkaApi>, KafkaFailure> {
        Ok(Box::new(if c.alias == "kafka-a" {
            a.clone()
        } else {
            b.clone()
        }))
    };
    let mut event = action(name);
    event.unit = tools.state().unit.clone();
    charm::run_with_kafka(&event, &tools, &connect, &kafka, now).expect("action runs");
    tools.into_state()
}

/// A converged pair: MirrorMaker replicated orders.eu[0] up to 12 (end 16: 3 behind) and
/// [1] up to 4 (end 5: caught up); group g1 committed 4 on [0] and has a checkpoint for it;
/// a heartbeat 3 s old on the target.
fn bed() -> (State, Bed) {
    let connect = FakeConnect::default();
    let state = converged(&connect);
    let pos = |p: i32, o: i64| PartitionOffset {
        partition: json!({"cluster": "kafka-a", "topic": "orders.eu", "partition": p}),
        offset: json!({"offset": o}),
    };
    connect.0.borrow_mut().source_offsets.insert(
        name("source", "kafka-a"),
        ConnectorOffsets {
            offsets: vec![pos(0, 12), pos(1, 4)],
        },
    );
    let (a, b) = (MemoryKafka::default(), MemoryKafka::default());
    a.produce(&Tp::new("orders.eu", 0), 16);
    a.produce(&Tp::new("orders.eu", 1), 5);
    a.commit("g1", "Empty", &[(Tp::new("orders.eu", 0), 4)]);
    let ms = i64::try_from(T0).unwrap() * 1000;
    let (k, v) = encode::checkpoint("g1", "kafka-a.orders.eu", 0, 4, 1);
    b.append(&Tp::new("kafka-a.checkpoints.internal", 0), ms - 5000, k, v);
    let (k, v) = encode::heartbeat("kafka-b", "kafka-a", ms - 3000);
    b.append(&Tp::new("kafka-a.heartbeats", 0), ms - 3000, k, v);
    (state, Bed { connect, a, b })
}

fn output(s: &State) -> String {
    s.action_results.get("result").cloned().unwrap_or_default()
}

/// `lag` reports exactly end − (stored + 1) per partition and the group's resume offset, as
/// JSON and as a table, with no secret in either.
#[test]
fn lag_reports_records_behind_and_groups() {
    let (state, bed) = bed();
    let out = act(state.clone(), "lag", json!({"format": "json"}), &bed, T0);
    assert_eq!(out.action_failed, None);
    let v: Value = serde_json::from_str(&output(&out)).unwrap();
    let src = &v["sources"][0];
    let behind: Vec<(i64, i64)> = src["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["partition"].as_i64().unwrap(),
                p["behind"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(behind, vec![(0, 3), (1, 0)]);
    assert_eq!(src["topics"][0]["behind"], 3);
    assert_eq!(src["heartbeat_age_s"], 3);
    assert_eq!(src["groups"][0]["resume"], 1);
    assert_eq!(src["groups"][0]["status"], "translated");
    let table = output(&act(state, "lag", json!({}), &bed, T0));
    assert!(table.contains("kafka-a.orders.eu[0]"), "{table}");
    assert!(!table.contains("pw-kafka-secret") && !output(&out).contains("pw-kafka-secret"));
}

/// `failover-check` is ready on the converged pair; an old heartbeat, a lag over the bound
/// and a new commit not yet checkpointed each make it unready, named; Kafka down fails the
/// action naming the cause.
#[test]
fn failover_check_verdicts() {
    let (state, bed) = bed();
    let out = act(state.clone(), "failover-check", json!({}), &bed, T0);
    assert_eq!(
        out.action_results.get("ready").map(String::as_str),
        Some("true"),
        "{}",
        output(&out)
    );

    let out = act(
        state.clone(),
        "failover-check",
        json!({"max-lag": 2}),
        &bed,
        T0 + 120,
    );
    let text = output(&out);
    assert_eq!(
        out.action_results.get("ready").map(String::as_str),
        Some("false")
    );
    assert!(
        text.contains("(heartbeat_old)") && text.contains("(lag_over_threshold)"),
        "{text}"
    );

    bed.a.commit("g1", "Empty", &[(Tp::new("orders.eu", 0), 9)]);
    let out = act(
        state.clone(),
        "failover-check",
        json!({"format": "json"}),
        &bed,
        T0,
    );
    let v: Value = serde_json::from_str(&output(&out)).unwrap();
    assert_eq!(v["ready"], false);
    assert_eq!(v["sources"][0]["reasons"][0]["reason"], "group_stale");

    bed.b.0.borrow_mut().down = true;
    let out = act(state, "failover-check", json!({}), &bed, T0);
    let failed = out.action_failed.unwrap_or_default();
    assert!(failed.contains("connection refused"), "{failed}");
}
