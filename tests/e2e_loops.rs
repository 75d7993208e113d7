//! Replication loops on the real bed (issue 15): two integrators of the packed charm under
//! juju-sim, `ab` (kafka-a → kafka-b) and `ba` (kafka-b → kafka-a), on real Kafka and Kafka
//! Connect. With `replication-policy=identity` the second direction is refused (blocked,
//! the loop named, none of its connectors in Connect) and records go A → B exactly once and
//! never come back; with the default policy both directions run and no record loops (remote
//! topics are prefixed, MirrorMaker skips a topic whose alias chain holds its target).

mod common;

use common::e2e::{connectors, wait_for, Sim, Stage, LIMIT};
use kafka_bed::tool::sample_records;
use std::time::{Duration, Instant};

/// Configures integrator `app` (short MirrorMaker intervals, as the Stage does) and relates it
/// `source` → `target` through the bed's Kafka Connect and CA provider.
fn integrate(sim: &Sim, app: &str, source: &str, target: &str, policy: &str, topics: &str) {
    sim.config_fast(
        app,
        &[
            &format!("topics={topics}"),
            &format!("replication-policy={policy}"),
        ],
    );
    sim.run(&["integrate", &format!("{app}:source"), source]);
    sim.run(&["integrate", &format!("{app}:target"), target]);
    sim.run(&[
        "integrate",
        &format!("{app}:connect-client"),
        "kafka-connect",
    ]);
    sim.run(&[
        "integrate",
        &format!("{app}:receive-ca-cert"),
        "tls:send-ca-cert",
    ]);
}

/// Ticks until `app` is in `state`; returns its message.
fn wait_status(sim: &Sim, app: &str, state: &str) -> String {
    wait_for(&format!("{app} {state}"), LIMIT, || {
        sim.tick();
        let (st, msg) = sim.app_status(app);
        if st == state {
            Ok(msg)
        } else {
            Err(format!("{st}: {msg}"))
        }
    })
}

/// Every record of `topic` on `cluster` now (reads each partition to its end).
fn count(stage: &Stage, cluster: &str, topic: &str) -> usize {
    let k = stage.bed.kafka(cluster).unwrap();
    k.consume(topic, 0, LIMIT).unwrap().len()
}

/// Waits until `topic` on `cluster` holds at least `n` records; returns how many it holds.
fn wait_count(stage: &Stage, cluster: &str, topic: &str, n: usize) -> usize {
    wait_for(
        &format!("{n} records in {topic} on {cluster}"),
        LIMIT,
        || {
            let got = count(stage, cluster, topic);
            if got >= n {
                Ok(got)
            } else {
                Err(format!("{got}"))
            }
        },
    )
}

/// Lets MirrorMaker run several topic-refresh intervals (5 s here) with hooks ticking, so
/// that a loop, if there were one, would have copied records back by the end.
fn settle(sim: &Sim) {
    let until = Instant::now() + Duration::from_secs(25);
    while Instant::now() < until {
        sim.tick();
        std::thread::sleep(Duration::from_secs(5));
    }
}

#[test]
fn identity_reverse_direction_is_blocked() {
    let stage = Stage::start("loops_identity");
    let sim = &stage.sim;
    sim.deploy_charm("ab");
    sim.deploy_charm("ba");
    let a = stage.bed.kafka("kafka-a").unwrap();
    a.create_topic("orders", 3, 1, &[]).unwrap();
    integrate(sim, "ab", "kafka-a", "kafka-b", "identity", "orders");
    a.produce("orders", &sample_records(40, "first")).unwrap();
    wait_status(sim, "ab", "active");
    assert_eq!(wait_count(&stage, "kafka-b", "orders", 40), 40);
    // ab's heartbeats (reverse: written into kafka-a) arrive on kafka-b as kafka-a.heartbeats:
    // the evidence that kafka-a replicates into kafka-b.
    wait_count(&stage, "kafka-b", "kafka-a.heartbeats", 1);

    let t = Instant::now();
    integrate(sim, "ba", "kafka-b", "kafka-a", "identity", "orders");
    let message = wait_status(sim, "ba", "blocked");
    eprintln!(
        "FIGURE: ba (identity, kafka-b -> kafka-a) blocked {:?} after its first integrate: {message}",
        t.elapsed()
    );
    assert_eq!(
        message,
        "loop: kafka-a already replicates into kafka-b; with replication-policy=identity \
         kafka-b -> kafka-a would loop forever"
    );
    let all = connectors(&stage.bed);
    assert!(
        !all.iter().any(|n| n.contains("_kafka-b_r")),
        "none of ba's connectors may exist: {all:?}"
    );
    assert_eq!(all.iter().filter(|n| n.contains("_kafka-a_r")).count(), 3);

    // Records keep going A -> B exactly once; nothing comes back to kafka-a.
    a.produce("orders", &sample_records(25, "second")).unwrap();
    wait_count(&stage, "kafka-b", "orders", 65);
    settle(sim);
    let (on_a, on_b) = (
        count(&stage, "kafka-a", "orders"),
        count(&stage, "kafka-b", "orders"),
    );
    eprintln!("FIGURE: identity, ab running and ba blocked: orders on kafka-a {on_a}, on kafka-b {on_b} (65 produced on kafka-a)");
    assert_eq!((on_a, on_b), (65, 65));
    assert_eq!(sim.app_status("ba").0, "blocked");
    assert_eq!(sim.app_status("ab").0, "active");
    assert!(
        connectors(&stage.bed)
            .iter()
            .all(|n| !n.contains("_kafka-b_r")),
        "ba still created nothing"
    );
    sim.assert_no_canary();
    stage.passed();
}

#[test]
fn default_policy_both_directions_run_without_loop() {
    let stage = Stage::start("loops_default");
    let sim = &stage.sim;
    sim.deploy_charm("ab");
    sim.deploy_charm("ba");
    let (a, b) = (
        stage.bed.kafka("kafka-a").unwrap(),
        stage.bed.kafka("kafka-b").unwrap(),
    );
    a.create_topic("orders", 3, 1, &[]).unwrap();
    b.create_topic("orders", 2, 1, &[]).unwrap();
    // `.*orders` also matches the remote `kafka-b.orders` on kafka-a (and `kafka-a.orders` on
    // kafka-b): only MirrorMaker's cycle check keeps them from going back.
    let t = Instant::now();
    integrate(sim, "ab", "kafka-a", "kafka-b", "default", ".*orders");
    integrate(sim, "ba", "kafka-b", "kafka-a", "default", ".*orders");
    let (n, m) = (30, 17);
    a.produce("orders", &sample_records(n, "from-a")).unwrap();
    b.produce("orders", &sample_records(m, "from-b")).unwrap();
    wait_status(sim, "ab", "active");
    wait_status(sim, "ba", "active");
    eprintln!(
        "FIGURE: default policy, ab and ba both active {:?} after the first integrate",
        t.elapsed()
    );
    wait_count(&stage, "kafka-b", "kafka-a.orders", n);
    wait_count(&stage, "kafka-a", "kafka-b.orders", m);
    settle(sim);
    let counts = [
        count(&stage, "kafka-a", "orders"),
        count(&stage, "kafka-b", "orders"),
        count(&stage, "kafka-b", "kafka-a.orders"),
        count(&stage, "kafka-a", "kafka-b.orders"),
    ];
    eprintln!("FIGURE: default policy both ways: kafka-a orders {}, kafka-b orders {}, kafka-b kafka-a.orders {}, kafka-a kafka-b.orders {} ({n} produced on a, {m} on b)", counts[0], counts[1], counts[2], counts[3]);
    assert_eq!(counts, [n, m, n, m]);
    for (cluster, k) in [("kafka-a", &a), ("kafka-b", &b)] {
        let topics = k.list_topics(false).unwrap();
        assert!(
            !topics
                .iter()
                .any(|t| t.contains("kafka-a.kafka-b.") || t.contains("kafka-b.kafka-a.")),
            "no topic went round the loop on {cluster}: {topics:?}"
        );
    }
    assert_eq!(sim.app_status("ab").0, "active");
    assert_eq!(sim.app_status("ba").0, "active");
    stage.passed();
}
