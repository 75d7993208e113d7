//! What this proves: with the REAL bed (two Kafka 4.2 KRaft clusters on SASL_SSL +
//! SCRAM-SHA-512 with ACLs on, and a Kafka Connect 3.9 worker running MirrorMaker 2), a
//! MirrorSourceConnector created by hand over Connect's REST API — HTTPS verified against the
//! Connect CA, basic auth as a user added through `kafka-bed provision-connect` — with the
//! configuration of kafka-connect.md §6.1 (aliases kafka-a/kafka-b, ByteArray converters,
//! producer.override.* to kafka-b, inline PEM truststores, MM2 users created through
//! `kafka-bed provision-kafka`) replicates 10 000 keyed records with headers from kafka-a
//! to `kafka-a.<topic>` on kafka-b exactly: same key, value, headers and partition, in order,
//! nothing missing, nothing extra. It also checks that TLS verification is real (the wrong CA
//! is refused) and that basic auth rejects an unknown password.
//!
//! Needs the jars: run `harness/kafka-bed/fetch.sh` first; without them this test FAILS.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kafka_bed::rest::ConnectClient;
use kafka_bed::tool::{compare_records, jaas, sample_records};
use kafka_bed::Bed;
use serde_json::json;

const RECORDS: usize = 10_000;
const TOPIC: &str = "orders.events";

fn run_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::env::temp_dir().join(format!("kafka-bed-{name}-{}-{nanos}", std::process::id()))
}

/// Runs the kafka-bed binary as juju-sim would (external program, exit 0 = done).
fn kafka_bed(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_kafka-bed"))
        .args(args)
        .output()
        .expect("run kafka-bed");
    assert!(
        out.status.success(),
        "kafka-bed {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn source_connector_config(bed: &Bed, src_pw: &str, tgt_pw: &str) -> serde_json::Value {
    let a = &bed.state.clusters["kafka-a"];
    let b = &bed.state.clusters["kafka-b"];
    let a_jaas = jaas("relation-5", src_pw);
    let b_jaas = jaas("relation-6", tgt_pw);
    json!({
        "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
        "tasks.max": "4",
        "source.cluster.alias": "kafka-a",
        "target.cluster.alias": "kafka-b",
        "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
        "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
        "header.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",

        "source.cluster.bootstrap.servers": a.bootstrap,
        "source.cluster.security.protocol": "SASL_SSL",
        "source.cluster.sasl.mechanism": "SCRAM-SHA-512",
        "source.cluster.sasl.jaas.config": a_jaas,
        "source.cluster.ssl.truststore.type": "PEM",
        "source.cluster.ssl.truststore.certificates": a.ca_pem,

        "target.cluster.bootstrap.servers": b.bootstrap,
        "target.cluster.security.protocol": "SASL_SSL",
        "target.cluster.sasl.mechanism": "SCRAM-SHA-512",
        "target.cluster.sasl.jaas.config": b_jaas,
        "target.cluster.ssl.truststore.type": "PEM",
        "target.cluster.ssl.truststore.certificates": b.ca_pem,

        "producer.override.bootstrap.servers": b.bootstrap,
        "producer.override.security.protocol": "SASL_SSL",
        "producer.override.sasl.mechanism": "SCRAM-SHA-512",
        "producer.override.sasl.jaas.config": b_jaas,
        "producer.override.ssl.truststore.type": "PEM",
        "producer.override.ssl.truststore.certificates": b.ca_pem,

        "replication.policy.class": "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
        "replication.policy.separator": ".",
        "topics": "orders\\..*",
        "topics.exclude": ".*[\\-\\.]internal, .*\\.replica, __.*",
        "replication.factor": "-1",
        "offset-syncs.topic.location": "target",
        "offset-syncs.topic.replication.factor": "-1",
        "refresh.topics.interval.seconds": "60",
        "sync.topic.configs.enabled": "true",
        "sync.topic.configs.interval.seconds": "60",
        "sync.topic.acls.enabled": "true",
        "sync.topic.acls.interval.seconds": "60"
    })
}

#[test]
fn mirror_source_connector_replicates_10k_records_exactly() {
    let t0 = Instant::now();
    if let Err(e) = kafka_bed::check_jars() {
        panic!("{e}");
    }
    let dir = run_dir("mirror-source");
    let bed = Bed::start(&dir).unwrap_or_else(|e| panic!("bed did not start: {e}"));
    eprintln!(
        "bed up in {:.1}s (run dir {}), RSS {} MiB",
        bed.startup.as_secs_f64(),
        dir.display(),
        bed.rss_kib() / 1024
    );

    // Peak RSS of the bed's JVMs while the test runs.
    let peak = AtomicU64::new(bed.rss_kib());
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                peak.fetch_max(bed.rss_kib(), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(250));
            }
        });
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(&bed)));
        done.store(true, Ordering::SeqCst);
        if let Err(p) = result {
            eprintln!(
                "FAILED; logs: {}/{{kafka-a,kafka-b}}/server.log, {}/connect/connect.log",
                dir.display(),
                dir.display()
            );
            std::panic::resume_unwind(p);
        }
    });
    eprintln!(
        "peak bed RSS (sum of JVMs, VmRSS): {} MiB; test wall time {:.1}s",
        peak.load(Ordering::SeqCst) / 1024,
        t0.elapsed().as_secs_f64()
    );
    drop(bed);
    let _ = std::fs::remove_dir_all(&dir);
}

fn scenario(bed: &Bed) {
    let dir = bed.run_dir().display().to_string();
    let d = dir.as_str();

    // Users as the Charmed providers would create them, through the external-program contract.
    let (src_pw, tgt_pw, rest_pw) = ("src-Secret-5", "tgt-Secret-6", "rest-Secret-7");
    kafka_bed(&[
        "provision-kafka",
        "--dir",
        d,
        "--cluster",
        "kafka-a",
        "--user",
        "relation-5",
        "--password",
        src_pw,
        "--roles",
        "admin",
        "--topic",
        "__mirrormaker-user",
    ]);
    kafka_bed(&[
        "provision-kafka",
        "--dir",
        d,
        "--cluster",
        "kafka-b",
        "--user",
        "relation-6",
        "--password",
        tgt_pw,
        "--roles",
        "admin",
        "--topic",
        "__mirrormaker-user",
    ]);
    let t = Instant::now();
    kafka_bed(&[
        "provision-connect",
        "--dir",
        d,
        "--user",
        "relation-7",
        "--password",
        rest_pw,
    ]);
    eprintln!(
        "provision-connect (incl. worker restart) {:.1}s",
        t.elapsed().as_secs_f64()
    );

    let c = &bed.state.connect;
    let rest = ConnectClient::new(&c.url, &c.ca_pem, "relation-7", rest_pw).unwrap();
    // TLS is verified: kafka-a's CA does not vouch for the Connect listener.
    let wrong_ca = &bed.state.clusters["kafka-a"].ca_pem;
    let bad = ConnectClient::new(&c.url, wrong_ca, "relation-7", rest_pw).unwrap();
    assert!(bad.get("/").is_err(), "a wrong CA must be refused");
    let bad_pw = ConnectClient::new(&c.url, &c.ca_pem, "relation-7", "nope").unwrap();
    assert_eq!(bad_pw.get("/connectors").unwrap().status, 401);

    // Source data: produced by the MM2 source user over SASL_SSL.
    let a = bed.kafka("kafka-a").unwrap();
    a.create_topic(TOPIC, 3, 1, &[]).unwrap();
    let produced = a
        .as_user("relation-5", src_pw)
        .unwrap()
        .produce(TOPIC, &sample_records(RECORDS, "mm2"))
        .unwrap();
    let parts: std::collections::BTreeSet<_> = produced.iter().map(|r| r.partition).collect();
    assert_eq!(parts.len(), 3, "records should spread over 3 partitions");

    let name = "mirrormaker-kafka-a-to-kafka-b-source";
    let t = Instant::now();
    let resp = rest
        .put(
            &format!("/connectors/{name}/config"),
            &source_connector_config(bed, src_pw, tgt_pw),
        )
        .unwrap();
    assert!(
        resp.status == 201 || resp.status == 200,
        "PUT config: {} {}",
        resp.status,
        resp.body
    );

    let b = bed.kafka("kafka-b").unwrap();
    let remote = format!("kafka-a.{TOPIC}");
    let got = b
        .as_user("relation-6", tgt_pw)
        .unwrap()
        .consume(&remote, RECORDS, Duration::from_secs(240))
        .unwrap();
    eprintln!(
        "replicated {} records in {:.1}s after connector creation",
        got.len(),
        t.elapsed().as_secs_f64()
    );
    if let Err(e) = compare_records(&produced, &got) {
        let status = rest.get(&format!("/connectors/{name}/status")).ok();
        panic!(
            "replica differs: {e}\nconnector status: {:?}",
            status.map(|s| s.body)
        );
    }
    assert_eq!(b.partitions(&remote).unwrap(), 3);

    let status = rest.get(&format!("/connectors/{name}/status")).unwrap();
    assert_eq!(
        status.body["connector"]["state"], "RUNNING",
        "{}",
        status.body
    );
    let _ = Path::new(d);
}
