//! Kafka Connect over HTTPS as it really is, end to end: the simulated Charmed Kafka Connect,
//! like the real one, sends no `secret-tls` on a relation created after TLS is on (it writes
//! it only when its endpoint set changes), so the charm must get the CA that signed Connect's
//! certificate from a `certificate_transfer` relation. Then a Charmed Kafka 3 source (v0
//! `KafkaProvides`, which never sends its CA) joins; its CA comes from the same relation. The
//! engines are real (harness/kafka-bed). Logs stay under target/e2e/<test>-<pid>/ for a
//! failed run.

mod common;

use common::e2e::{connect_get, connector_config, connectors, wait_for, Sim, Stage, LIMIT};
use kafka_bed::tool::{compare_records, sample_records};
use serde_json::Value;
use std::time::Instant;

const APP: &str = "mirrormaker";
const REMEDY: &str = "Kafka Connect serves https with an unknown CA: \
                      juju integrate mirrormaker:receive-ca-cert <tls provider>";

/// One `update-status` tick, then the app status if it is `want` with exactly `message`
/// (or containing it when `exact` is false).
fn tick_until(sim: &Sim, want: &str, message: &str, exact: bool) -> Result<(), String> {
    sim.run(&["update-status"]);
    let (st, msg) = sim.app_status(APP);
    if st == want && (msg == message || (!exact && msg.contains(message))) {
        Ok(())
    } else {
        Err(format!("{st}: {msg}"))
    }
}

/// The relation between `mirrormaker:<endpoint>` and `provider` in juju-sim's dump
/// (`endpoints` [{app, endpoint}], `app_data` {app: bag}, `id`).
fn relation(sim: &Sim, endpoint: &str, provider: &str) -> Value {
    let dump: Value = serde_json::from_str(&sim.run(&["dump"])).unwrap();
    let is_ours = |r: &&Value| {
        let eps = r["endpoints"].as_array().cloned().unwrap_or_default();
        eps.iter()
            .any(|e| e["app"] == APP && e["endpoint"] == endpoint)
            && eps.iter().any(|e| e["app"] == provider)
    };
    match &dump["relations"] {
        Value::Object(m) => m.values().find(is_ours).cloned(),
        Value::Array(a) => a.iter().find(is_ours).cloned(),
        _ => None,
    }
    .unwrap_or_else(|| panic!("no {endpoint} relation with {provider}"))
}

/// The provider's app databag of that relation.
fn provider_bag(sim: &Sim, endpoint: &str, provider: &str) -> serde_json::Map<String, Value> {
    relation(sim, endpoint, provider)["app_data"][provider]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

/// The id of that relation.
fn relation_id(sim: &Sim, endpoint: &str, provider: &str) -> String {
    relation(sim, endpoint, provider)["id"].to_string()
}

/// RUNNING connectors of ours and their tasks, as Connect reports them.
fn running(stage: &Stage) -> Vec<String> {
    connectors(&stage.bed)
        .into_iter()
        .filter(|n| n.starts_with("mirror_"))
        .filter(|n| {
            let st: Value = connect_get(&stage.bed, &format!("/connectors/{n}/status"));
            st["connector"]["state"] == "RUNNING"
                && st["tasks"]
                    .as_array()
                    .is_some_and(|t| t.iter().all(|t| t["state"] == "RUNNING"))
        })
        .collect()
}

/// Points the simulated TLS provider `tls` at these CAs (juju-sim's `set-backend`).
fn publish_cas(stage: &Stage, cas: &[&str]) {
    let file = stage.dir.join("cas.json");
    std::fs::write(
        &file,
        serde_json::json!({ "certificates": cas }).to_string(),
    )
    .unwrap();
    stage
        .sim
        .run(&["set-backend", "tls", file.to_str().unwrap()]);
}

#[test]
fn connect_ca_over_certificate_transfer() {
    // kafka-a (Kafka 4 flavour) and kafka-a3 (Charmed Kafka 3 flavour) both front the bed's
    // kafka-a cluster: fan-in of two aliases, so the Kafka 3 step runs on the same bed.
    let stage = Stage::start("e2e_tls");
    let (bed, sim) = (&stage.bed, &stage.sim);
    let kafka_a_backend = stage.backend("kafka-a");
    sim.run(&[
        "deploy",
        "--sim",
        "kafka",
        "kafka-a3",
        "--flavour",
        "kafka3",
        "--backend",
        &kafka_a_backend,
    ]);
    let connect_ca = bed.state.connect.ca_pem.clone();
    let kafka_a_ca = bed.state.clusters["kafka-a"].ca_pem.clone();
    let a = bed.kafka("kafka-a").unwrap();
    let b = bed.kafka("kafka-b").unwrap();
    a.create_topic("orders.tls", 2, 1, &[]).unwrap();

    // Step 1 — https Kafka Connect whose provider sends no CA: the charm does not wait for
    // `tls-ca` forever, it says what to do, and nothing is created on Connect.
    stage.integrate_kafka_and_connect("orders\\..*");
    wait_for("the remedy in the status", LIMIT, || {
        tick_until(sim, "waiting", REMEDY, true)
    });
    let connect_bag = provider_bag(sim, "connect-client", "kafka-connect");
    assert!(
        connect_bag.contains_key("secret-user") && !connect_bag.contains_key("secret-tls"),
        "the Connect provider must answer without secret-tls on a new relation: {connect_bag:?}"
    );
    let endpoints = connect_bag["endpoints"].as_str().unwrap();
    assert!(endpoints.starts_with("https://"), "{endpoints}");
    assert!(connectors(bed).iter().all(|n| !n.starts_with("mirror_")));

    // Step 2 — the CA relation (the provider publishes Connect's CA): active, and records
    // produced on kafka-a arrive on kafka-b.
    publish_cas(&stage, &[&connect_ca]);
    let (hooks, t0) = (sim.hook_count(), Instant::now());
    sim.run(&[
        "integrate",
        "mirrormaker:receive-ca-cert",
        "tls:send-ca-cert",
    ]);
    wait_for("active once the CA is trusted", LIMIT, || {
        tick_until(
            sim,
            "active",
            "replicating kafka-a -> kafka-b (3 connectors)",
            true,
        )
    });
    eprintln!(
        "FIGURE: receive-ca-cert integrated -> active in {:?}, {} hooks",
        t0.elapsed(),
        sim.hook_count() - hooks
    );
    let sent = a
        .produce("orders.tls", &sample_records(500, "tls"))
        .unwrap();
    let got = b.consume("kafka-a.orders.tls", sent.len(), LIMIT).unwrap();
    compare_records(&sent, &got).expect("orders.tls replicated exactly");

    // Step 3 — a Charmed Kafka 3 source (v0 KafkaProvides: no `version`, "enabled" instead of
    // its CA) joins once the CA bundle also holds kafka-a's CA: its connectors trust the bundle
    // for that cluster, run, and its records arrive; kafka-a's set runs on untouched. (Without
    // any CA it is held with the remedy: tests/connect_trust.rs.)
    publish_cas(&stage, &[&connect_ca, &kafka_a_ca]);
    sim.run(&["integrate", "mirrormaker:source", "kafka-a3"]);
    let source3 = provider_bag(sim, "source", "kafka-a3");
    assert!(
        !source3.contains_key("version") && source3.contains_key("secret-tls"),
        "kafka-a3 must answer as Charmed Kafka 3: {source3:?}"
    );
    wait_for("both sources active", LIMIT, || {
        tick_until(
            sim,
            "active",
            "replicating kafka-a -> kafka-b, kafka-a3 -> kafka-b (6 connectors)",
            true,
        )
    });
    let got3 = b.consume("kafka-a3.orders.tls", sent.len(), LIMIT).unwrap();
    compare_records(&sent, &got3).expect("the Kafka 3 source replicated exactly");

    // Step 3b — kafka-a rotates our user's password (a new secret revision → secret-changed):
    // the connectors move to the new password, and the records produced across the rotation
    // all arrive, none twice.
    let source = connectors(bed)
        .into_iter()
        .find(|n| n.starts_with("mirror_source_kafka-a_"))
        .unwrap();
    let jaas = |bed: &kafka_bed::Bed| {
        connector_config(bed, &source)
            .get("source.cluster.sasl.jaas.config")
            .cloned()
            .unwrap_or_default()
    };
    let old_jaas = jaas(bed);
    let rotated_at = Instant::now();
    sim.run(&[
        "rotate-credentials",
        "kafka-a",
        &relation_id(sim, "source", "kafka-a"),
    ]);
    let mut sent = sent;
    sent.extend(
        a.produce("orders.tls", &sample_records(100, "rotation"))
            .unwrap(),
    );
    wait_for("connectors on the new password", LIMIT, || {
        tick_until(
            sim,
            "active",
            "replicating kafka-a -> kafka-b, kafka-a3 -> kafka-b (6 connectors)",
            true,
        )?;
        (jaas(bed) != old_jaas)
            .then_some(())
            .ok_or_else(|| "the source connector still has the old password".to_string())
    });
    let got = b.consume("kafka-a.orders.tls", sent.len(), LIMIT).unwrap();
    compare_records(&sent, &got).expect("nothing lost or doubled across the rotation");
    eprintln!(
        "FIGURE: kafka-a password rotated: {:?} until active on the new password with every record of the rotation on kafka-b",
        rotated_at.elapsed()
    );
    let got3 = b.consume("kafka-a3.orders.tls", sent.len(), LIMIT).unwrap();
    compare_records(&sent, &got3).expect("the other source unaffected");

    // Step 4 — the target relation removed: every connector of ours is deleted (one rule for
    // relations that leave) and the status says so; records produced meanwhile wait on
    // kafka-a. Integrated again, the same names come back, MirrorMaker resumes from the
    // offsets Connect kept under them: every record arrives, none twice.
    let before = running(&stage);
    assert_eq!(before.len(), 6, "{before:?}");
    sim.run(&["remove-relation", "mirrormaker:target", "kafka-b"]);
    let gone = Instant::now();
    // The -broken hook deleted them and said so (the next hook's status is the plain hold).
    let (st, msg) = sim.app_status(APP);
    assert_eq!(
        (st.as_str(), msg.as_str()),
        (
            "blocked",
            "missing relation(s): target (juju integrate); removed 6 connector(s), offsets kept for a re-integration"
        )
    );
    let ours: Vec<String> = connectors(bed)
        .into_iter()
        .filter(|n| n.starts_with("mirror_"))
        .collect();
    assert!(ours.is_empty(), "left behind: {ours:?}");
    let mut expected = sent.clone();
    expected.extend(
        a.produce("orders.tls", &sample_records(100, "gap"))
            .unwrap(),
    );
    let hooks = sim.hook_count();
    sim.run(&["integrate", "mirrormaker:target", "kafka-b"]);
    wait_for("active again", LIMIT, || {
        tick_until(
            sim,
            "active",
            "replicating kafka-a -> kafka-b, kafka-a3 -> kafka-b (6 connectors)",
            true,
        )
    });
    for topic in ["kafka-a.orders.tls", "kafka-a3.orders.tls"] {
        let all = b.consume(topic, expected.len(), LIMIT).unwrap();
        compare_records(&expected, &all).expect("resumed by name: nothing lost, nothing twice");
    }
    eprintln!(
        "FIGURE: target removed and integrated again: {:?} without replication, {} hooks to come back, 0 lost, 0 duplicated of {} records",
        gone.elapsed(),
        sim.hook_count() - hooks,
        expected.len()
    );
    let again = running(&stage);
    assert_eq!(again, before, "the same names came back");

    // Step 5 — the CA relation removed: waiting with the remedy again, and the running
    // connectors untouched — replication goes on (Kafka Connect copies, not the charm).
    sim.run(&[
        "remove-relation",
        "mirrormaker:receive-ca-cert",
        "tls:send-ca-cert",
    ]);
    wait_for("the remedy again", LIMIT, || {
        tick_until(sim, "waiting", REMEDY, true)
    });
    assert_eq!(running(&stage), before);
    let more = a
        .produce("orders.tls", &sample_records(200, "after"))
        .unwrap();
    expected.extend(more);
    for topic in ["kafka-a.orders.tls", "kafka-a3.orders.tls"] {
        let all = b.consume(topic, expected.len(), LIMIT).unwrap();
        compare_records(&expected, &all).expect("replication continued without the CA relation");
    }

    stage.passed();
}
