//! The mission, end to end: the packed charm under the Juju emulator (juju-sim), related to
//! simulated Charmed Kafka and Charmed Kafka Connect apps whose backends provision real users on
//! real Kafka 4.2 brokers and a real Kafka Connect 3.9 worker (harness/kafka-bed). Records,
//! consumer-group offsets, topic configs and heartbeats must really arrive on kafka-b.
//!
//! One scenario, one bed (starting the bed is the expensive part); each step says what it
//! proves. Logs stay under target/e2e/<test>-<pid>/ for a failed run.

mod common;

use common::e2e::{connector_config, connectors, wait_for, Sim, Stage, LIMIT};
use kafka_bed::tool::{compare_records, sample_records, Record};
use std::collections::BTreeMap;
use std::time::Instant;

const APP: &str = "mirrormaker";
const LEADER: &str = "mirrormaker/0";

/// One `update-status` tick, then the app status if it is `want`.
fn tick_until(sim: &Sim, want: &str, contains: &str) -> Result<(String, String), String> {
    sim.run(&["update-status"]);
    let st = sim.app_status(APP);
    if st.0 == want && st.1.contains(contains) {
        Ok(st)
    } else {
        Err(format!("{}: {}", st.0, st.1))
    }
}

/// The charm's own log lines of applied steps since `from` (it logs one per PUT/DELETE).
fn applied_since(sim: &Sim, from: usize) -> Vec<String> {
    sim.debug_log()
        .into_iter()
        .skip(from)
        .filter(|l| {
            l.starts_with(LEADER)
                && (l.contains(" create mirror_")
                    || l.contains(" update mirror_")
                    || l.contains(" delete mirror_"))
        })
        .collect()
}

#[test]
fn replication_end_to_end() {
    let stage = Stage::start("replication_end_to_end");
    let (bed, sim) = (&stage.bed, &stage.sim);
    let backend = |name: &str| stage.backend(name);

    let a = bed.kafka("kafka-a").unwrap();
    let b = bed.kafka("kafka-b").unwrap();
    a.create_topic("orders.eu", 3, 1, &[]).unwrap();
    a.create_topic("orders.us", 2, 1, &[]).unwrap();
    a.create_topic("payments", 1, 1, &[]).unwrap();

    // Step 0 — a lone charm is blocked naming every missing relation (unit and app).
    let missing_all = "missing relation(s): source, target, connect-client (juju integrate)";
    assert_eq!(sim.app_status(APP), ("blocked".into(), missing_all.into()));
    assert_eq!(
        sim.unit_status(LEADER),
        ("blocked".into(), missing_all.into())
    );

    // Short MirrorMaker intervals so the test waits seconds, not minutes (operator options).
    sim.run(&[
        "config",
        APP,
        "topics=orders\\..*",
        "refresh-topics-interval=5",
        "sync-topic-configs-interval=5",
        "refresh-groups-interval=5",
        "emit-checkpoints-interval=5",
        "sync-group-offsets-interval=5",
        "emit-heartbeats-interval=1",
    ]);
    sim.run(&["integrate", "mirrormaker:source", "kafka-a"]);
    assert_eq!(
        sim.app_status(APP),
        (
            "blocked".into(),
            "missing relation(s): target, connect-client (juju integrate)".into()
        )
    );
    sim.run(&["integrate", "mirrormaker:target", "kafka-b"]);
    // Kafka Connect serves https and, as the real Charmed Kafka Connect, sends no CA on a new
    // relation: the CA comes over certificate_transfer (tests/e2e_tls.rs covers its absence).
    sim.run(&[
        "integrate",
        "mirrormaker:receive-ca-cert",
        "tls:send-ca-cert",
    ]);

    // Step 1 — records produced on kafka-a to two matching topics arrive on kafka-b with keys,
    // values, headers and partitions identical; a non-matching topic is not replicated.
    let hooks_before = sim.hook_count();
    let t0 = Instant::now();
    sim.run(&["integrate", "mirrormaker:connect-client", "kafka-connect"]);
    let eu: Vec<Record> = a.produce("orders.eu", &sample_records(6000, "eu")).unwrap();
    let us: Vec<Record> = a.produce("orders.us", &sample_records(4000, "us")).unwrap();
    a.produce("payments", &sample_records(50, "pay")).unwrap();

    let active = wait_for("app active", LIMIT, || {
        tick_until(sim, "active", "replicating kafka-a -> kafka-b")
    });
    assert_eq!(active.1, "replicating kafka-a -> kafka-b (3 connectors)");
    assert_eq!(sim.unit_status(LEADER).0, "active");
    let got_eu = b.consume("kafka-a.orders.eu", eu.len(), LIMIT).unwrap();
    let flowing = t0.elapsed();
    let hooks = sim.hook_count() - hooks_before;
    eprintln!("FIGURE: from connect-client integrated to 6000 records read on kafka-b: {flowing:?}, {hooks} hooks");
    compare_records(&eu, &got_eu).expect("orders.eu replicated exactly");
    compare_records(
        &us,
        &b.consume("kafka-a.orders.us", us.len(), LIMIT).unwrap(),
    )
    .expect("orders.us replicated exactly");
    let topics_b = b.list_topics(false).unwrap();
    assert!(
        !topics_b.iter().any(|t| t.contains("payments")),
        "payments must not be replicated: {topics_b:?}"
    );

    // Step 2 — a group that consumed half of orders.eu on kafka-a gets translated offsets on
    // kafka-b; a consumer there resumes without skipping a record and re-reads at most the
    // overlap MirrorMaker allows (the gap to its last offset sync).
    let mut per_part: BTreeMap<i32, i64> = BTreeMap::new();
    for r in &eu {
        *per_part.entry(r.partition.unwrap()).or_default() += 1;
    }
    let committed: Vec<(&str, i32, i64)> = per_part
        .iter()
        .map(|(p, n)| ("orders.eu", *p, n / 2))
        .collect();
    a.commit_offsets("billing", &committed).unwrap();
    let translated = wait_for(
        "translated offsets of group billing on kafka-b",
        LIMIT,
        || {
            let offs = b.group_offsets("billing").map_err(|e| e.to_string())?;
            let mine: BTreeMap<i32, i64> = offs
                .iter()
                .filter(|((t, _), _)| t == "kafka-a.orders.eu")
                .map(|((_, p), o)| (*p, *o))
                .collect();
            if mine.len() == per_part.len() {
                Ok(mine)
            } else {
                Err(format!("{offs:?}"))
            }
        },
    );
    for (topic, p, upstream) in &committed {
        let down = translated[p];
        eprintln!("FIGURE: {topic}[{p}] committed {upstream} on kafka-a, translated {down} on kafka-b, overlap {}", upstream - down);
        assert!(
            down <= *upstream,
            "translated offset {down} skips records (committed {upstream})"
        );
        assert!(down > 0, "no translation for partition {p}");
        // Offsets on kafka-b equal those on kafka-a here (same partitions, no gaps), so the
        // re-read count is upstream - down; MirrorMaker emits a sync at least every
        // offset.lag.max (100) records and keeps older syncs at growing gaps (OffsetSyncStore),
        // so the overlap is bounded by the distance to the partition's end.
        assert!(
            upstream - down <= per_part[p] - upstream + 100,
            "overlap too large on partition {p}"
        );
    }

    // Step 3 — a topic config change on kafka-a appears on kafka-b; heartbeats go where §6.3
    // says: `heartbeats` on kafka-a (reverse), replicated to kafka-b as `kafka-a.heartbeats`.
    a.alter_topic_config("orders.eu", &[("retention.ms", "3600000")], &[])
        .unwrap();
    wait_for("retention.ms synced to kafka-b", LIMIT, || {
        let cfg = b
            .describe_topic_config("kafka-a.orders.eu")
            .map_err(|e| e.to_string())?;
        match cfg.get("retention.ms") {
            Some((Some(v), _)) if v == "3600000" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    wait_for("heartbeats on both clusters", LIMIT, || {
        let ta = a.list_topics(false).map_err(|e| e.to_string())?;
        let tb = b.list_topics(false).map_err(|e| e.to_string())?;
        if ta.contains(&"heartbeats".to_string()) && tb.contains(&"kafka-a.heartbeats".to_string())
        {
            Ok(())
        } else {
            Err(format!("a: {ta:?} b: {tb:?}"))
        }
    });
    assert!(!b
        .consume("kafka-a.heartbeats", 1, LIMIT)
        .unwrap()
        .is_empty());

    // Step 4 — a topics change PUTs exactly the connectors that use `topics` (source and
    // checkpoint), once each; the heartbeat connector is not touched.
    let names = connectors(bed);
    let source = names
        .iter()
        .find(|n| n.starts_with("mirror_source_kafka-a_"))
        .unwrap()
        .clone();
    let heartbeat = names
        .iter()
        .find(|n| n.starts_with("mirror_heartbeat_kafka-a_"))
        .unwrap()
        .clone();
    let log_mark = sim.debug_log().len();
    sim.run(&["config", APP, "topics=orders\\..*,invoices"]);
    let applied = applied_since(sim, log_mark);
    assert_eq!(applied.len(), 2, "{applied:#?}");
    assert!(
        applied
            .iter()
            .any(|l| l.contains(&format!("update {source}"))),
        "{applied:#?}"
    );
    assert!(
        applied
            .iter()
            .any(|l| l.contains("update mirror_checkpoint_kafka-a_")),
        "{applied:#?}"
    );
    assert!(
        !applied.iter().any(|l| l.contains(&heartbeat)),
        "{applied:#?}"
    );
    assert_eq!(
        connector_config(bed, &source)["topics"],
        "orders\\..*,invoices"
    );

    // An invalid regex blocks naming the option and leaves the running connectors untouched.
    let before = connector_config(bed, &source);
    let log_mark = sim.debug_log().len();
    sim.run(&["config", APP, "topics=orders\\..*,[a"]);
    let (st, msg) = sim.app_status(APP);
    assert_eq!(st, "blocked");
    assert!(msg.starts_with("invalid config 'topics'"), "{msg}");
    assert_eq!(sim.unit_status(LEADER).0, "blocked");
    assert!(applied_since(sim, log_mark).is_empty());
    assert_eq!(connector_config(bed, &source), before);
    sim.run(&["config", APP, "topics=orders\\..*,invoices"]);
    wait_for("active again", LIMIT, || {
        tick_until(sim, "active", "(3 connectors)")
    });

    // Step 5 — fan-in: a second source app gets its own three connectors; removing its relation
    // deletes exactly those; a connector created by hand on the same Connect is never touched.
    // (kafka-c is a second Charmed Kafka app backed by the same physical cluster as kafka-a:
    // the bed runs two clusters to fit this machine; aliases and connectors are distinct.)
    let admin = bed.connect_admin().unwrap();
    let by_hand = serde_json::json!({
        "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
        "source.cluster.alias": "by-hand",
        "enabled": "false",
        "tasks.max": "1"
    });
    let r = admin.put("/connectors/by-hand/config", &by_hand).unwrap();
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    sim.run(&[
        "deploy",
        "--sim",
        "kafka",
        "kafka-c",
        "--backend",
        &backend("kafka-a"),
    ]);
    sim.run(&["integrate", "mirrormaker:source", "kafka-c"]);
    wait_for("fan-in active", LIMIT, || {
        tick_until(
            sim,
            "active",
            "replicating kafka-a -> kafka-b, kafka-c -> kafka-b (6 connectors)",
        )
    });
    assert_eq!(
        connectors(bed)
            .iter()
            .filter(|n| n.contains("_kafka-c_"))
            .count(),
        3
    );
    b.consume("kafka-c.orders.us", us.len(), LIMIT).unwrap();

    let rel_id = {
        let s = sim.status();
        let rels = s["relations"].as_array().cloned().unwrap_or_default();
        rels.iter()
            .find(|r| {
                r["endpoints"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e == "kafka-c:kafka-client")
            })
            .map(|r| r["id"].to_string())
            .expect("kafka-c relation")
    };
    sim.run(&["remove-relation", &rel_id]);
    let after = connectors(bed);
    assert!(!after.iter().any(|n| n.contains("_kafka-c_")), "{after:?}");
    assert_eq!(
        after.iter().filter(|n| n.contains("_kafka-a_")).count(),
        3,
        "{after:?}"
    );
    assert!(after.contains(&"by-hand".to_string()), "{after:?}");
    wait_for("back to one source", LIMIT, || {
        tick_until(
            sim,
            "active",
            "replicating kafka-a -> kafka-b (3 connectors)",
        )
    });

    // Step 5b — removing the connect-client relation: Charmed Kafka Connect deletes our
    // connectors (suffix `_r<id>_<model uuid>`) and the charm does not re-create them.
    let connect_rel = {
        let s = sim.status();
        s["relations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["endpoints"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e == "mirrormaker:connect-client")
            })
            .map(|r| r["id"].to_string())
            .expect("connect-client relation")
    };
    sim.run(&["remove-relation", &connect_rel]);
    sim.run(&["update-status"]);
    let left = connectors(bed);
    assert_eq!(
        left,
        vec!["by-hand".to_string()],
        "orphaned connectors: {left:?}"
    );
    assert_eq!(
        sim.app_status(APP),
        (
            "blocked".into(),
            "missing relation(s): connect-client (juju integrate)".into()
        )
    );

    // Step 6 — no password (every "password" field of every secret in the model) reached a
    // status, the debug log or the status action's output.
    let dump: serde_json::Value = serde_json::from_str(&sim.run(&["dump"])).unwrap();
    let mut passwords = Vec::new();
    collect_passwords(&dump, &mut passwords);
    assert!(
        passwords.len() >= 3,
        "expected the Kafka and Connect passwords in the model"
    );
    let mut shown = sim.debug_log().join("\n");
    shown.push_str(&sim.run(&["status", "--format", "json"]));
    shown.push_str(&sim.run(&["run", LEADER, "status", "format=json"]));
    for p in &passwords {
        assert!(
            !shown.contains(p.as_str()),
            "a password leaked into statuses, logs or action output"
        );
    }

    stage.passed();
}

/// Every string value under a key named `password`, anywhere in `v`.
fn collect_passwords(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match v.as_str() {
                    Some(p) if k == "password" && p.len() >= 8 => out.push(p.to_string()),
                    _ => collect_passwords(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_passwords(v, out)),
        _ => {}
    }
}
