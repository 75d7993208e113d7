//! Tier 2: the replication-loop guard (issue 15) through the real driver, with an in-memory
//! Juju, Kafka Connect and Kafka (every cluster). Under `replication-policy=identity` a source
//! whose connectors are about to be created is checked against MirrorMaker's heartbeats and
//! our other sources' topics; one found looping is held (nothing created, status blocked).

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::charm::clock::RealWait;
use mirrormaker_integrator::dr::records::encode;
use mirrormaker_integrator::juju::memory::State;
use mirrormaker_integrator::juju::{Event, StatusKind};
use mirrormaker_integrator::kafka::memory::MemoryKafka;
use mirrormaker_integrator::kafka::{KafkaApi, KafkaFailure, Tp};
use mirrormaker_integrator::mirror::Cluster;
use std::collections::BTreeMap;

const LOOP: &str = "loop: kafka-b already replicates into kafka-a; with replication-policy=identity kafka-a -> kafka-b would loop forever";

/// The in-memory clusters by alias, and Kafka Connect.
struct Bed {
    connect: FakeConnect,
    kafka: BTreeMap<&'static str, MemoryKafka>,
}

impl Bed {
    /// kafka-a with `orders.eu`, kafka-b empty, kafka-c with `orders.us`.
    fn new() -> Bed {
        let kafka: BTreeMap<&str, MemoryKafka> = ["kafka-a", "kafka-b", "kafka-c"]
            .into_iter()
            .map(|a| (a, MemoryKafka::default()))
            .collect();
        kafka["kafka-a"].topic("orders.eu", 2);
        kafka["kafka-c"].topic("orders.us", 1);
        Bed {
            connect: FakeConnect::default(),
            kafka,
        }
    }

    /// A heartbeat `from -> to`, `age_s` old at [`T0`], in `topic` on cluster `on`.
    fn heartbeat(&self, on: &str, topic: &str, from: &str, to: &str, age_s: i64) {
        let ms = (i64::try_from(T0).unwrap() - age_s) * 1000;
        let (k, v) = encode::heartbeat(from, to, ms);
        self.kafka[on].append(&Tp::new(topic, 0), ms, k, v);
    }
}

/// One hook at `now` with the clusters of `bed` behind the Kafka factory.
fn hook_at(state: State, event: &Event, bed: &Bed, now: u64) -> State {
    run_io(state, event, bed, now, false)
}

/// A hook or action with the clusters of `bed` (`panic_on_kafka`: any Kafka read fails the
/// test).
fn run_io(state: State, event: &Event, bed: &Bed, now: u64, panic_on_kafka: bool) -> State {
    let kafka = bed.kafka.clone();
    let factory = move |c: &Cluster| -> Result<Box<dyn KafkaApi>, KafkaFailure> {
        assert!(!panic_on_kafka, "no Kafka read expected");
        Ok(Box::new(kafka[c.alias.as_str()].clone()))
    };
    run_with(state, event, &bed.connect, &factory, &RealWait::new(), now)
}

fn hook(state: State, bed: &Bed) -> State {
    hook_at(state, &day2_support::hook("config-changed", None), bed, T0)
}

/// The fixture world (kafka-a → kafka-b) with `replication-policy=identity`.
fn identity_world() -> State {
    let mut s = world();
    s.config
        .insert("replication-policy".into(), "identity".into());
    s
}

fn status(s: &State) -> (StatusKind, String) {
    let st = s.unit_status.clone().expect("a status");
    assert_eq!(
        s.app_status.as_ref(),
        Some(&st),
        "app and unit agree (leader)"
    );
    (st.kind, st.message)
}

fn puts(connect: &FakeConnect) -> Vec<String> {
    connect
        .writes()
        .into_iter()
        .filter(|w| w.starts_with("PUT "))
        .collect()
}

/// kafka-b replicates into kafka-a (a fresh `kafka-b.heartbeats` on kafka-a): identity
/// kafka-a → kafka-b is refused with the loop named, and Kafka Connect gets no write at all;
/// the whole story (evidence, remedy) is the status detail (debug log; dr::loops tests).
#[test]
fn identity_with_fresh_reverse_heartbeats_blocks_and_writes_nothing() {
    let bed = Bed::new();
    bed.heartbeat("kafka-a", "kafka-b.heartbeats", "kafka-b", "kafka-a", 3);
    let out = hook(identity_world(), &bed);
    assert_eq!(status(&out), (StatusKind::Blocked, LOOP.to_string()));
    assert!(LOOP.chars().count() <= 120);
    assert_eq!(bed.connect.writes(), Vec::<String>::new());
    // A later hook still holds it while the evidence is fresh.
    let out = hook_at(
        out,
        &day2_support::hook("update-status", None),
        &bed,
        T0 + 30,
    );
    assert_eq!(status(&out).0, StatusKind::Blocked);
    assert_eq!(bed.connect.writes(), Vec::<String>::new());
}

/// The same heartbeats topic, its newest record older than the max age (10 × the heartbeat
/// interval, at least 60 s): the integrator that wrote it is gone, so the connectors are
/// created — a failback is not blocked by stale topics. A heartbeat key (X, kafka-a) in
/// kafka-a's own `heartbeats` that is fresh counts as evidence too.
#[test]
fn stale_evidence_is_ignored_and_local_heartbeats_count() {
    let bed = Bed::new();
    bed.heartbeat("kafka-a", "kafka-b.heartbeats", "kafka-b", "kafka-a", 61);
    let out = hook(identity_world(), &bed);
    assert_eq!(puts(&bed.connect).len(), 3, "{:?}", bed.connect.writes());
    assert_ne!(status(&out).0, StatusKind::Blocked);

    let bed = Bed::new();
    bed.heartbeat("kafka-a", "heartbeats", "kafka-b", "kafka-a", 2);
    let out = hook(identity_world(), &bed);
    assert_eq!(status(&out), (StatusKind::Blocked, LOOP.to_string()));
    assert_eq!(bed.connect.writes(), Vec::<String>::new());
}

/// The default policy has no guard (remote topics are prefixed, MirrorMaker skips cycles):
/// with the same fresh evidence everything is created, and Kafka is never read.
#[test]
fn default_policy_creates_without_reading_kafka() {
    let bed = Bed::new();
    bed.heartbeat("kafka-a", "kafka-b.heartbeats", "kafka-b", "kafka-a", 3);
    for k in bed.kafka.values() {
        k.0.borrow_mut().down = true; // any read would fail the guard
    }
    let out = hook(world(), &bed);
    assert_eq!(puts(&bed.connect).len(), 3);
    assert_ne!(status(&out).0, StatusKind::Blocked);
}

/// Kafka unreachable while the guard must run: the source is held with a waiting status
/// naming the Kafka error; nothing is created. Once Kafka answers, the next hook creates.
#[test]
fn kafka_unreachable_holds_with_waiting() {
    let bed = Bed::new();
    bed.kafka["kafka-a"].0.borrow_mut().down = true;
    let out = hook(identity_world(), &bed);
    let (kind, message) = status(&out);
    assert_eq!(kind, StatusKind::Waiting);
    assert!(
        message.starts_with(
            "kafka-a held: the loop check cannot read Kafka: memory (127.0.0.1:9093): connect"
        ),
        "{message}"
    );
    assert_eq!(bed.connect.writes(), Vec::<String>::new());
    bed.kafka["kafka-a"].0.borrow_mut().down = false;
    hook(out, &bed);
    assert_eq!(puts(&bed.connect).len(), 3);
}

/// Connectors that already run are never stopped, deleted or re-checked by the guard: fresh
/// loop evidence appearing later (and Kafka down) changes nothing — no write, no block.
#[test]
fn running_connectors_are_left_alone() {
    let bed = Bed::new();
    let s = hook(identity_world(), &bed);
    all_running(&bed.connect);
    bed.connect.take_writes();
    bed.heartbeat("kafka-a", "kafka-b.heartbeats", "kafka-b", "kafka-a", 1);
    bed.kafka["kafka-a"].0.borrow_mut().down = true;
    let out = hook_at(s, &day2_support::hook("update-status", None), &bed, T0 + 5);
    assert_eq!(bed.connect.writes(), Vec::<String>::new());
    let (kind, message) = status(&out);
    assert_eq!(kind, StatusKind::Active, "{message}");
}

/// Fan-in under identity among our own sources never reaches the guard: the option check
/// already refuses identity with more than one source (whatever their topics), so nothing is
/// created for either and Kafka is not read. (The guard's topic-level fan-in rule is tested in
/// dr::loops; it would apply if that static rule were relaxed.)
#[test]
fn fan_in_under_identity_is_refused_before_the_guard() {
    let bed = Bed::new();
    for k in bed.kafka.values() {
        k.0.borrow_mut().down = true;
    }
    let out = hook(with_kafka_c(identity_world()), &bed);
    let (kind, message) = status(&out);
    assert_eq!(kind, StatusKind::Blocked);
    assert!(
        message.starts_with("invalid config 'replication-policy': 'identity' keeps topic names"),
        "{message}"
    );
    assert_eq!(bed.connect.writes(), Vec::<String>::new());
}

/// `s` with kafka-c related on `source` too (its own user and CA secrets).
fn with_kafka_c(mut s: State) -> State {
    s.relations
        .push(kafka_relation("source", 6, "kafka-c", "kc"));
    s.secrets.insert(
        "secret:kc-user".into(),
        secret(&[("username", "relation-6"), ("password", "pw-kafka-secret")]),
    );
    s.secrets
        .insert("secret:kc-tls".into(), secret(&[("tls-ca", PEM.as_str())]));
    s
}

/// An action at `now` with the clusters of `bed` (`panic_on_kafka`: any Kafka read fails
/// the test).
fn act_at(
    state: State,
    name: &str,
    params: serde_json::Value,
    bed: &Bed,
    now: u64,
    panic_on_kafka: bool,
) -> State {
    run_io(
        with_params(state, params),
        &action(name),
        bed,
        now,
        panic_on_kafka,
    )
}

/// A converged identity pair whose source connector the operator stopped (as `failover`
/// does), at T0.
fn stopped_identity_pair(bed: &Bed) -> State {
    let s = hook(identity_world(), bed);
    all_running(&bed.connect);
    let s = hook(s, bed);
    let s = act_at(
        s,
        "stop",
        serde_json::json!({"connector": "source/kafka-a"}),
        bed,
        T0,
        false,
    );
    assert_eq!(s.action_failed, None);
    bed.connect.take_writes();
    s
}

/// Resuming is checked too: after a failback the reverse direction kafka-b → kafka-a runs
/// (fresh `kafka-b.heartbeats` on kafka-a), so `resume` of kafka-a → kafka-b under identity
/// is refused naming the loop, nothing is written and the stop intent stays. Once that
/// direction is stopped and its heartbeats age out, the same `resume` goes through.
#[test]
fn resume_under_identity_is_refused_while_the_other_direction_runs() {
    let bed = Bed::new();
    let s = stopped_identity_pair(&bed);
    bed.heartbeat("kafka-a", "kafka-b.heartbeats", "kafka-b", "kafka-a", 3);
    let out = act_at(s.clone(), "resume", serde_json::json!({}), &bed, T0, false);
    let failed = out.action_failed.clone().unwrap_or_default();
    assert!(
        failed.contains(LOOP) && failed.contains("nothing resumed"),
        "{failed}"
    );
    assert_eq!(bed.connect.take_writes(), Vec::<String>::new());
    assert!(peer_bag(&out)["operator-intent"].contains("stopped"));

    let later = act_at(out, "resume", serde_json::json!({}), &bed, T0 + 3600, false);
    assert_eq!(later.action_failed, None);
    let w = bed.connect.take_writes();
    assert!(
        w.iter()
            .any(|x| x.starts_with("RESUME ") && x.contains("_source_")),
        "{w:?}"
    );
}

/// With the default policy a resume never reads Kafka (the factory would fail the test).
#[test]
fn resume_under_default_policy_reads_no_kafka() {
    let bed = Bed::new();
    let s = hook(world(), &bed);
    all_running(&bed.connect);
    let s = act_at(
        s,
        "stop",
        serde_json::json!({"connector": "source/kafka-a"}),
        &bed,
        T0,
        true,
    );
    bed.heartbeat("kafka-a", "kafka-b.heartbeats", "kafka-b", "kafka-a", 3);
    bed.connect.take_writes();
    let out = act_at(s, "resume", serde_json::json!({}), &bed, T0, true);
    assert_eq!(out.action_failed, None);
    assert!(bed
        .connect
        .take_writes()
        .iter()
        .any(|x| x.starts_with("RESUME ")));
}

/// The refusal says what to do next for its cause: a loop names the other direction and how
/// long its heartbeats take to age out; and the whole action refuses, so a checkpoint
/// connector stopped with the source (as `failover` leaves them) is not resumed either.
#[test]
fn resume_loop_refusal_names_the_wait_and_keeps_every_selected_connector() {
    let bed = Bed::new();
    let s = stopped_identity_pair(&bed);
    let json = serde_json::json!({"connector": "checkpoint"});
    let s = act_at(s, "stop", json, &bed, T0, false);
    bed.connect.take_writes();
    bed.heartbeat("kafka-a", "kafka-b.heartbeats", "kafka-b", "kafka-a", 3);
    let out = act_at(s, "resume", serde_json::json!({}), &bed, T0, false);
    assert_eq!(
        out.action_failed.as_deref().unwrap_or_default(),
        format!(
            "resume: nothing resumed, the intent is kept: {LOOP} (stop the other direction \
             first; its heartbeats age out after 60 s)"
        )
    );
    assert_eq!(bed.connect.writes(), Vec::<String>::new());
    let intent = &peer_bag(&out)["operator-intent"];
    assert!(
        intent.contains("_source_") && intent.contains("_checkpoint_"),
        "{intent}"
    );
}

/// Kafka unreachable when a resume must be checked: refused naming the Kafka error, with
/// the advice to retry — not to stop a direction that may not exist — nothing written, the
/// intent kept (the check is never skipped).
#[test]
fn resume_under_identity_with_kafka_down_is_refused_naming_kafka() {
    let bed = Bed::new();
    let s = stopped_identity_pair(&bed);
    bed.kafka["kafka-a"].0.borrow_mut().down = true;
    let out = act_at(s, "resume", serde_json::json!({}), &bed, T0, false);
    let failed = out.action_failed.clone().unwrap_or_default();
    assert!(
        failed.starts_with(
            "resume: nothing resumed, the intent is kept: kafka-a: the loop check cannot read \
             Kafka: memory (127.0.0.1:9093): connect"
        ) && failed.ends_with("(run resume again once Kafka answers)"),
        "{failed}"
    );
    assert_eq!(bed.connect.writes(), Vec::<String>::new());
    assert!(peer_bag(&out).contains_key("operator-intent"));
}

/// Stale evidence at the moment of the resume (61 s, past the 60 s max age) does not refuse
/// it: a failback's old direction, stopped a minute ago, does not block the resume.
#[test]
fn resume_under_identity_with_stale_evidence_goes_through() {
    let bed = Bed::new();
    let s = stopped_identity_pair(&bed);
    bed.heartbeat("kafka-a", "kafka-b.heartbeats", "kafka-b", "kafka-a", 61);
    let out = act_at(s, "resume", serde_json::json!({}), &bed, T0, false);
    assert_eq!(out.action_failed, None);
    assert_eq!(
        bed.connect.writes(),
        vec![format!("RESUME {}", name("source", "kafka-a"))]
    );
    assert!(!peer_bag(&out).contains_key("operator-intent"));
}
