//! What this proves: against the REAL bed, the test helpers and provisioning backends do what
//! later tests rely on — topics (create, list, describe/alter config), consumer-group offsets
//! (commit, read), ACLs (list, remove, add) with the authorizer really enforcing them, the
//! `producer`/`consumer`/`admin` roles of `provision-kafka`, an idempotent
//! `provision-connect` (no restart when nothing changed), `backend-files` for juju-sim, and
//! that the worker's JsonConverter (as in Charmed Kafka Connect) really corrupts records when
//! an MM2 connector config forgets the ByteArray converters — so the charm's tests can catch it;
//! `consume-group` resuming a group from its committed offsets; and Connect's request log
//! counting exactly the requests Connect received.
//!
//! Needs the jars: run `harness/kafka-bed/fetch.sh` first; without them this test FAILS.

use std::process::Command;
use std::time::Duration;

use kafka_bed::tool::{sample_records, Acl, AclFilter};
use kafka_bed::Bed;

fn kafka_bed(args: &[&str]) -> String {
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
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn helpers_and_provisioning_work_against_real_kafka() {
    if let Err(e) = kafka_bed::check_jars() {
        panic!("{e}");
    }
    let dir = std::env::temp_dir().join(format!("kafka-bed-helpers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let bed = Bed::start(&dir).unwrap_or_else(|e| panic!("bed did not start: {e}"));
    let d = bed.run_dir().display().to_string();
    let a = bed.kafka("kafka-a").unwrap();

    // Topics and configs.
    a.create_topic("orders.t1", 2, 1, &[("cleanup.policy", "delete")])
        .unwrap();
    assert!(a
        .list_topics(false)
        .unwrap()
        .contains(&"orders.t1".to_string()));
    a.alter_topic_config("orders.t1", &[("retention.ms", "123456")], &[])
        .unwrap();
    let cfg = a.describe_topic_config("orders.t1").unwrap();
    assert_eq!(
        cfg["retention.ms"],
        (Some("123456".into()), "DYNAMIC_TOPIC_CONFIG".into())
    );
    assert_eq!(a.partitions("orders.t1").unwrap(), 2);

    // Group offsets.
    a.commit_offsets("g1", &[("orders.t1", 0, 5), ("orders.t1", 1, 7)])
        .unwrap();
    let offs = a.group_offsets("g1").unwrap();
    assert_eq!(offs[&("orders.t1".to_string(), 0)], 5);
    assert_eq!(offs[&("orders.t1".to_string(), 1)], 7);

    // producer role: may write orders.t1 over SASL_SSL; after its ACLs are removed it may not.
    let out = kafka_bed(&[
        "provision-kafka",
        "--dir",
        &d,
        "--cluster",
        "kafka-a",
        "--user",
        "relation-8",
        "--password",
        "pw8",
        "--roles",
        "producer",
        "--topic",
        "orders.t1",
    ]);
    assert!(out.contains("WRITE"), "{out}");
    let p = a.as_user("relation-8", "pw8").unwrap();
    p.produce("orders.t1", &sample_records(10, "p")).unwrap();
    assert_eq!(a.acl_list(Some("User:relation-8")).unwrap().len(), 3);
    let removed = a
        .acl_remove(&AclFilter {
            principal: Some("User:relation-8".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(removed.len(), 3);
    let err = p.produce("orders.t1", &sample_records(1, "p")).unwrap_err();
    assert!(err.0.contains("Authorization"), "{err}");
    a.acl_add(&Acl {
        principal: "User:relation-8".into(),
        resource_type: "TOPIC".into(),
        resource_name: "orders.t1".into(),
        pattern: "LITERAL".into(),
        operation: "WRITE".into(),
        permission: "ALLOW".into(),
    })
    .unwrap();
    p.produce("orders.t1", &sample_records(1, "p")).unwrap();

    // consumer role: may read orders.t1 (and groups relation-9-*), may not write it.
    kafka_bed(&[
        "provision-kafka",
        "--dir",
        &d,
        "--cluster",
        "kafka-a",
        "--user",
        "relation-9",
        "--password",
        "pw9",
        "--roles",
        "consumer",
        "--topic",
        "orders.t1",
    ]);
    let c = a.as_user("relation-9", "pw9").unwrap();
    let all = c.consume("orders.t1", 11, Duration::from_secs(60)).unwrap();
    assert_eq!(all.len(), 11);
    assert!(c.produce("orders.t1", &sample_records(1, "c")).is_err());
    let acls = a.acl_list(Some("User:relation-9")).unwrap();
    assert!(acls.iter().any(|x| x.resource_type == "GROUP"
        && x.resource_name == "relation-9-"
        && x.pattern == "PREFIXED"));

    // consume-group resumes a group from its committed offsets (here 1 and 0), reads to the
    // end, and commits there; a group without committed offsets is refused, never moved.
    a.commit_offsets("g2", &[("orders.t1", 0, 1), ("orders.t1", 1, 0)])
        .unwrap();
    let read = a
        .consume_group(
            "g2",
            "orders.t1",
            &Default::default(),
            Duration::from_secs(60),
        )
        .unwrap();
    assert!(read.complete);
    assert_eq!(read.start, [(0, 1), (1, 0)].into_iter().collect());
    let first_of_p0 = all.iter().position(|r| r.partition == Some(0)).unwrap();
    let mut want = all.clone();
    want.remove(first_of_p0);
    let got: Vec<_> = read.records.iter().map(|(_, r)| r.clone()).collect();
    kafka_bed::tool::compare_records(&want, &got).unwrap();
    assert_eq!(read.records[0].0, 1, "partition 0 resumed at offset 1");
    let ends = a.group_offsets("g2").unwrap();
    for p in [0, 1] {
        let n = all.iter().filter(|r| r.partition == Some(p)).count() as i64;
        assert_eq!(ends[&("orders.t1".to_string(), p)], n);
    }
    let err = a
        .consume_group(
            "g-new",
            "orders.t1",
            &Default::default(),
            Duration::from_secs(30),
        )
        .unwrap_err();
    assert!(err.0.contains("NoOffsetForPartition"), "{err}");

    // provision-connect is idempotent: same credentials twice → one restart only.
    kafka_bed(&[
        "provision-connect",
        "--dir",
        &d,
        "--user",
        "relation-7",
        "--password",
        "r7",
    ]);
    kafka_bed(&[
        "provision-connect",
        "--dir",
        &d,
        "--user",
        "relation-7",
        "--password",
        "r7",
    ]);
    let restarts = std::fs::read_to_string(bed.state.connect.dir.join("restarts.log")).unwrap();
    assert_eq!(restarts.lines().count(), 1, "{restarts}");

    // A MirrorSourceConnector WITHOUT ByteArray converters: the worker's JsonConverter wraps
    // keys/values as {"schema":…,"payload":<base64>} on kafka-b.
    kafka_bed(&[
        "provision-kafka",
        "--dir",
        &d,
        "--cluster",
        "kafka-a",
        "--user",
        "relation-5",
        "--password",
        "pw5",
        "--roles",
        "admin",
    ]);
    kafka_bed(&[
        "provision-kafka",
        "--dir",
        &d,
        "--cluster",
        "kafka-b",
        "--user",
        "relation-6",
        "--password",
        "pw6",
        "--roles",
        "admin",
    ]);
    a.create_topic("orders.json", 1, 1, &[]).unwrap();
    let sent = a.produce("orders.json", &sample_records(3, "j")).unwrap();
    let mut cfg = serde_json::json!({
        "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
        "tasks.max": "1",
        "source.cluster.alias": "kafka-a",
        "target.cluster.alias": "kafka-b",
        "topics": "orders\\.json",
        "replication.factor": "-1",
        "offset-syncs.topic.location": "target",
        "offset-syncs.topic.replication.factor": "-1",
    });
    for (prefix, cluster, user, pw) in [
        ("source.cluster.", "kafka-a", "relation-5", "pw5"),
        ("target.cluster.", "kafka-b", "relation-6", "pw6"),
        ("producer.override.", "kafka-b", "relation-6", "pw6"),
    ] {
        let c = &bed.state.clusters[cluster];
        for (k, v) in [
            ("bootstrap.servers", c.bootstrap.clone()),
            ("security.protocol", "SASL_SSL".into()),
            ("sasl.mechanism", "SCRAM-SHA-512".into()),
            ("sasl.jaas.config", kafka_bed::tool::jaas(user, pw)),
            ("ssl.truststore.type", "PEM".into()),
            ("ssl.truststore.certificates", c.ca_pem.clone()),
        ] {
            cfg[format!("{prefix}{k}")] = v.into();
        }
    }
    let rest = bed.connect_admin().unwrap();
    // Connect's request log holds exactly what it received since a mark: one validation of
    // the MirrorSourceConnector class, one config PUT of the connector, each with its status.
    let mark = bed.connect_requests_mark().unwrap();
    let class = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
    let resp = rest
        .put(&format!("/connector-plugins/{class}/config/validate"), &cfg)
        .unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body);
    let resp = rest.put("/connectors/no-converters/config", &cfg).unwrap();
    assert_eq!(resp.status, 201, "{}", resp.body);
    let seen = bed.connect_requests_since(&mark).unwrap();
    let t = kafka_bed::requests::tally(&seen);
    assert_eq!(
        t.validate,
        [(class.to_string(), vec![200])].into_iter().collect(),
        "{seen:#?}"
    );
    assert_eq!(
        t.config_put,
        [("no-converters".to_string(), vec![201])]
            .into_iter()
            .collect(),
        "{seen:#?}"
    );
    assert_eq!(seen.iter().filter(|r| r.is_write()).count(), 2, "{seen:#?}");
    let got = bed
        .kafka("kafka-b")
        .unwrap()
        .consume("kafka-a.orders.json", 3, Duration::from_secs(120))
        .unwrap();
    assert_eq!(got.len(), 3);
    assert_ne!(
        got[0].key, sent[0].key,
        "JsonConverter should have rewritten the key"
    );
    let key = String::from_utf8_lossy(got[0].key.as_deref().unwrap()).into_owned();
    assert!(key.contains("\"payload\""), "{key}");

    // backend-files for juju-sim.
    let out_dir = dir.join("backends");
    kafka_bed(&[
        "backend-files",
        "--dir",
        &d,
        "--out",
        &out_dir.display().to_string(),
    ]);
    let ka: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("kafka-a.json")).unwrap())
            .unwrap();
    assert_eq!(ka["endpoints"], bed.state.clusters["kafka-a"].bootstrap);
    assert_eq!(ka["tls"], true);
    assert_eq!(ka["provision"][1], "provision-kafka");
    assert_eq!(ka["provision"][5], "kafka-a");
    let kc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("kafka-connect.json")).unwrap())
            .unwrap();
    assert_eq!(kc["endpoints"], bed.state.connect.url);
    assert_eq!(kc["admin_user"], "admin");
    assert!(kc["tls_ca"].as_str().unwrap().contains("BEGIN CERTIFICATE"));

    drop(bed);
    let _ = std::fs::remove_dir_all(&dir);
}
