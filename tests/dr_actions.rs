//! Tier 2: the `lag` and `failover-check` actions through the real driver, with an
//! in-memory Juju, Kafka Connect and Kafka (both clusters).

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::charm::clock::Wait;
use mirrormaker_integrator::connect::{ConnectorOffsets, PartitionOffset};
use mirrormaker_integrator::dr::records::encode;
use mirrormaker_integrator::juju::memory::State;
use mirrormaker_integrator::kafka::memory::MemoryKafka;
use mirrormaker_integrator::kafka::{KafkaApi, KafkaFailure, Tp};
use mirrormaker_integrator::mirror::Cluster;
use serde_json::{json, Value};
use std::cell::Cell;
use std::time::Duration;

struct Bed {
    connect: FakeConnect,
    a: MemoryKafka,
    b: MemoryKafka,
}

/// Time for `failover`'s polls: each sleep moves it and lets the test change the world.
struct FakeWait {
    t: Cell<Duration>,
    on_sleep: Box<dyn Fn(u32)>,
    sleeps: Cell<u32>,
}

impl FakeWait {
    fn new(on_sleep: impl Fn(u32) + 'static) -> FakeWait {
        FakeWait {
            t: Cell::new(Duration::ZERO),
            on_sleep: Box::new(on_sleep),
            sleeps: Cell::new(0),
        }
    }
}

impl Wait for FakeWait {
    fn elapsed(&self) -> Duration {
        self.t.get()
    }
    fn sleep(&self, d: Duration) {
        self.t.set(self.t.get() + d);
        self.sleeps.set(self.sleeps.get() + 1);
        (self.on_sleep)(self.sleeps.get());
    }
}

/// Runs action `name` with the in-memory Kafka clusters behind the factory.
fn act(state: State, name: &str, params: Value, bed: &Bed, now: u64) -> State {
    act_waiting(state, name, params, bed, now, &FakeWait::new(|_| {}))
}

/// [`act`] with a waiter that drives the world between `failover`'s polls.
fn act_waiting(
    state: State,
    name: &str,
    params: Value,
    bed: &Bed,
    now: u64,
    wait: &FakeWait,
) -> State {
    let (a, b) = (bed.a.clone(), bed.b.clone());
    let kafka = move |c: &Cluster| -> Result<Box<dyn KafkaApi>, KafkaFailure> {
        Ok(Box::new(if c.alias == "kafka-a" {
            a.clone()
        } else {
            b.clone()
        }))
    };
    run_with(
        with_params(state, params),
        &action(name),
        &bed.connect,
        &kafka,
        wait,
        now,
    )
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

const SYNCS: &str = "mm2-offset-syncs.kafka-a.internal";

fn sync(bed: &Bed, p: i32, up: i64, down: i64) {
    let (k, v) = encode::offset_sync("orders.eu", p, up, down);
    bed.b.append(&Tp::new(SYNCS, 0), 0, k, v);
}

/// The fixture with MirrorMaker's offset syncs so far: [0] synced at 0 and 12, [1] at 4.
fn failover_bed() -> (State, Bed) {
    let (state, bed) = bed();
    sync(&bed, 0, 0, 0);
    sync(&bed, 0, 12, 12);
    sync(&bed, 1, 4, 4);
    (state, bed)
}

/// MirrorMaker catches up: [0] replicated to its end (15), the final sync for it written, and
/// g1's offset committed on the target (sync-group-offsets).
fn catch_up(bed: &Bed) {
    let pos = |p: i32, o: i64| mirrormaker_integrator::connect::PartitionOffset {
        partition: json!({"cluster": "kafka-a", "topic": "orders.eu", "partition": p}),
        offset: json!({"offset": o}),
    };
    bed.connect.0.borrow_mut().source_offsets.insert(
        name("source", "kafka-a"),
        ConnectorOffsets {
            offsets: vec![pos(0, 15), pos(1, 4)],
        },
    );
    sync(bed, 0, 15, 15);
    bed.b
        .commit("g1", "Empty", &[(Tp::new("kafka-a.orders.eu", 0), 1)]);
}

fn writes(bed: &Bed) -> Vec<String> {
    bed.connect.take_writes()
}

/// The dry run (the default) changes nothing and says what it would wait for, what it would
/// stop and where g1 resumes (1) with the records it re-reads (about 3: no sync at its commit).
#[test]
fn failover_dry_run_changes_nothing() {
    let (state, bed) = failover_bed();
    let out = act(state.clone(), "failover", json!({}), &bed, T0);
    assert_eq!(out.action_failed, None);
    let text = output(&out);
    assert!(text.contains("dry run: nothing changed"), "{text}");
    assert!(
        text.contains("orders.eu[0]: 3 records not replicated yet"),
        "{text}"
    );
    assert!(
        text.contains(&name("source", "kafka-a")) && text.contains(&name("checkpoint", "kafka-a"))
    );
    assert!(!text.contains(&name("heartbeat", "kafka-a")), "{text}");
    assert_eq!(out.action_results["stopped"], "false");
    assert_eq!(writes(&bed), Vec::<String>::new());
    let json = act(state, "failover", json!({"format": "json"}), &bed, T0);
    let v: Value = serde_json::from_str(&output(&json)).unwrap();
    let g = &v["sources"][0]["groups"][0];
    assert_eq!(
        (g["resume"].as_i64(), g["re_read"].as_i64()),
        (Some(1), Some(3))
    );
    assert_eq!(g["exact"], false);
    assert_eq!(v["pending"][0]["reason"], "records_behind");
}

/// Not a dry run: the action waits while MirrorMaker catches up (the world moves between
/// polls), then stops exactly the source and checkpoint connectors through the operator's
/// intent, reports where g1 resumes, and the intent holds across the next hook; a second run
/// says it is already done; `resume` undoes it.
#[test]
fn failover_waits_then_stops_source_and_checkpoint() {
    let (state, bed) = failover_bed();
    writes(&bed);
    let b2 = Bed {
        connect: bed.connect.clone(),
        a: bed.a.clone(),
        b: bed.b.clone(),
    };
    let wait = FakeWait::new(move |n| {
        if n == 2 {
            catch_up(&b2);
        }
    });
    let out = act_waiting(
        state,
        "failover",
        json!({"dry-run": false, "format": "json"}),
        &bed,
        T0,
        &wait,
    );
    assert_eq!(out.action_failed, None, "{}", output(&out));
    let v: Value = serde_json::from_str(&output(&out)).unwrap();
    assert_eq!(v["stopped"], true);
    assert_eq!(v["pending"], json!([]));
    // Looks at 0 s and 2 s find it behind; MirrorMaker catches up before the look at 4 s,
    // whose source ends equal those of the look before (producers stopped): done then.
    assert_eq!(v["waited_s"], 4.0);
    assert_eq!(v["sources"][0]["groups"][0]["resume"], 1);
    assert_eq!(
        writes(&bed),
        vec![
            format!("STOP {}", name("source", "kafka-a")),
            format!("STOP {}", name("checkpoint", "kafka-a")),
        ]
    );
    let intent = peer_bag(&out)["operator-intent"].clone();
    assert!(
        intent.contains(&name("source", "kafka-a")) && intent.contains("stopped"),
        "{intent}"
    );
    assert!(!intent.contains(&name("heartbeat", "kafka-a")), "{intent}");

    // The next hook keeps them stopped (writes nothing); a second failover is a no-op report.
    let after = run_at(out, &hook("update-status", None), &bed.connect, T0 + 60);
    assert_eq!(writes(&bed), Vec::<String>::new());
    let again = act(
        after.clone(),
        "failover",
        json!({"dry-run": false}),
        &bed,
        T0 + 61,
    );
    assert!(
        output(&again).contains("already failed over"),
        "{}",
        output(&again)
    );
    assert_eq!(writes(&bed), Vec::<String>::new());
    let resumed = run_action(after, "resume", json!({}), &bed.connect, T0 + 62);
    assert_eq!(resumed.action_failed, None);
    let w = writes(&bed);
    assert!(
        w.contains(&format!("RESUME {}", name("source", "kafka-a"))),
        "{w:?}"
    );
}

/// When the target never catches up the action fails at its timeout naming what is missing
/// and stops nothing; with force=true it stops anyway and says it was forced.
#[test]
fn failover_timeout_stops_nothing_unless_forced() {
    let (state, bed) = failover_bed();
    writes(&bed);
    let out = act(
        state.clone(),
        "failover",
        json!({"dry-run": false, "timeout": 10}),
        &bed,
        T0,
    );
    let failed = out.action_failed.clone().unwrap_or_default();
    assert!(
        failed.contains("nothing stopped: after 10 s the target still lacks"),
        "{failed}"
    );
    assert!(failed.contains("3 records not replicated yet"), "{failed}");
    assert_eq!(writes(&bed), Vec::<String>::new());
    let forced = act(
        state,
        "failover",
        json!({"dry-run": false, "timeout": 4, "force": true}),
        &bed,
        T0,
    );
    assert_eq!(forced.action_failed, None);
    assert!(
        output(&forced).contains("forced after 4 s"),
        "{}",
        output(&forced)
    );
    assert_eq!(writes(&bed).len(), 2);
}

/// Producers still writing to the source: the failover waits and then fails saying so.
#[test]
fn failover_refuses_while_the_source_is_written() {
    let (state, bed) = failover_bed();
    catch_up(&bed);
    writes(&bed);
    let a = bed.a.clone();
    let wait = FakeWait::new(move |_| a.produce(&Tp::new("orders.eu", 1), 1));
    let out = act_waiting(
        state,
        "failover",
        json!({"dry-run": false, "timeout": 8}),
        &bed,
        T0,
        &wait,
    );
    let failed = out.action_failed.unwrap_or_default();
    assert!(failed.contains("still being written"), "{failed}");
    assert_eq!(writes(&bed), Vec::<String>::new());
}

/// Stopping connectors is the leader's job; a follower may only look (dry run).
#[test]
fn failover_for_real_is_leader_only() {
    let (mut state, bed) = failover_bed();
    state.leader = false;
    let out = act(
        state.clone(),
        "failover",
        json!({"dry-run": false}),
        &bed,
        T0,
    );
    assert!(out
        .action_failed
        .unwrap_or_default()
        .contains("leader only"));
    let dry = act(state, "failover", json!({}), &bed, T0);
    assert_eq!(dry.action_failed, None);
}

/// A connector that does not run cannot deliver the last records: refused unless forced.
#[test]
fn failover_refuses_a_failed_connector() {
    let (state, bed) = failover_bed();
    catch_up(&bed);
    bed.connect
        .0
        .borrow_mut()
        .actual
        .connectors
        .get_mut(&name("source", "kafka-a"))
        .unwrap()
        .state = Some("FAILED".into());
    writes(&bed);
    let out = act(state, "failover", json!({"dry-run": false}), &bed, T0);
    let failed = out.action_failed.unwrap_or_default();
    assert!(
        failed.contains("not every connector runs") && failed.contains("FAILED"),
        "{failed}"
    );
    assert_eq!(writes(&bed), Vec::<String>::new());
}

/// Groups MirrorMaker does not translate (`groups-exclude`, by default console consumers
/// among others) are not listed and never make `failover-check` unready; excluding a group by
/// option takes it out too.
#[test]
fn excluded_groups_are_left_out() {
    let (state, bed) = bed();
    bed.a.commit(
        "console-consumer-4711",
        "Empty",
        &[(Tp::new("orders.eu", 0), 2)],
    );
    let out = act(
        state.clone(),
        "failover-check",
        json!({"format": "json"}),
        &bed,
        T0,
    );
    let v: Value = serde_json::from_str(&output(&out)).unwrap();
    assert_eq!(v["ready"], true, "{v}");
    let groups: Vec<&str> = v["sources"][0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["g1"]);

    let mut state = state;
    state
        .config
        .insert("groups-exclude".into(), json!("g1, console-consumer-.*"));
    let out = act(state, "lag", json!({"format": "json"}), &bed, T0);
    let v: Value = serde_json::from_str(&output(&out)).unwrap();
    assert_eq!(v["sources"][0]["groups"], json!([]), "{v}");
}

/// A transaction's commit marker takes an offset but holds no record: MirrorMaker never
/// replicates it, so it is not a record behind (else a transactional topic would never reach
/// lag 0 and a failover would wait forever). A real record after it still counts.
#[test]
fn transaction_markers_are_not_records_behind() {
    let (state, bed) = bed();
    let p1 = Tp::new("orders.eu", 1);
    bed.a.marker(&p1);
    let behind = |bed: &Bed| -> i64 {
        let out = act(state.clone(), "lag", json!({"format": "json"}), bed, T0);
        let v: Value = serde_json::from_str(&output(&out)).unwrap();
        v["sources"][0]["partitions"][1]["behind"].as_i64().unwrap()
    };
    assert_eq!(behind(&bed), 0);
    bed.a.produce(&p1, 2);
    bed.a.marker(&p1);
    assert_eq!(behind(&bed), 2);
}
