//! The mission, end to end: the packed charm under the Juju emulator (juju-sim), related to
//! simulated Charmed Kafka and Charmed Kafka Connect apps whose backends provision real users on
//! real Kafka 4.2 brokers and a real Kafka Connect 3.9 worker (harness/kafka-bed). Records,
//! consumer-group offsets, topic configs and heartbeats must really arrive on kafka-b.
//!
//! One scenario, one bed (starting the bed is the expensive part); each step says what it
//! proves. Logs stay under target/e2e/<test>-<pid>/ for a failed run.

mod common;

use common::e2e::{connector_config, connectors, wait_for, Sim, Stage, LIMIT};
use kafka_bed::requests::tally;
use kafka_bed::tool::{compare_records, sample_records, Record};
use std::collections::BTreeMap;
use std::time::Instant;

const APP: &str = "mirrormaker";
const LEADER: &str = "mirrormaker/0";
const SOURCE_CLASS: &str = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
const CHECKPOINT_CLASS: &str = "org.apache.kafka.connect.mirror.MirrorCheckpointConnector";
/// The offset-sync spacing the operator asks for (extra-source-config); step 2's bound.
const OFFSET_LAG_MAX: i64 = 50;

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

    // Short MirrorMaker intervals so the test waits seconds, not minutes, and a denser
    // offset-sync spacing than MirrorMaker's default 100 (operator options).
    let lag_max = format!("extra-source-config={{\"offset.lag.max\": {OFFSET_LAG_MAX}}}");
    sim.config_fast(APP, &["topics=orders\\..*", &lag_max]);
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

    // Step 2 — group `billing` has read orders.eu on kafka-a to its end E (every record of
    // step 1) and committed there; production goes on. MirrorMaker translates the group's
    // offsets onto kafka-b, and a consumer of the group on kafka-b resumes without skipping a
    // record and re-reads at most offset.lag.max of them. Why that bound (Kafka 3.9 sources):
    // * MirrorSourceTask's OffsetSyncWriter sends an offset sync for a partition as soon as the
    //   downstream offset is offset.lag.max or more past its last sync + 1 (and keeps the latest
    //   record's sync for the next offset commit otherwise). Every record below E was
    //   replicated before the commit, so the partition's newest sync L is at most
    //   offset.lag.max records behind E − 1.
    // * OffsetSyncStore.translateDownstream uses the newest stored sync at or below the
    //   group's offset; for a group at E that is the newest sync of all, L (invariant A), and E
    //   becomes L.downstream + 1. The records L + 1 … E − 1 are read again: E − 1 − L ≤
    //   offset.lag.max of them. (A group far behind the newest sync is translated coarsely —
    //   the store keeps exponentially spaced syncs, so the error grows with the distance — which
    //   is why this group is caught up when it commits: the bound would be vacuous otherwise.)
    // * Offsets are the same on both clusters here (step 1 compared every record in order), so
    //   the overlap E − translated is counted in records. Later checkpoints never move the group
    //   back (MirrorCheckpointTask skips a downstream rewind) and sync only idle groups forward.
    let names = connectors(bed);
    let find = |prefix: &str| {
        names
            .iter()
            .find(|n| n.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}* connector in {names:?}"))
            .clone()
    };
    let (source, checkpoint, heartbeat) = (
        find("mirror_source_kafka-a_"),
        find("mirror_checkpoint_kafka-a_"),
        find("mirror_heartbeat_kafka-a_"),
    );
    let rendered = connector_config(bed, &source);
    assert_eq!(
        rendered.get("offset.lag.max").map(String::as_str),
        Some(OFFSET_LAG_MAX.to_string().as_str()),
        "the operator's offset.lag.max is in the source connector's config on Connect"
    );
    let mut upstream: BTreeMap<i32, Vec<Record>> = BTreeMap::new();
    for r in &eu {
        upstream
            .entry(r.partition.unwrap())
            .or_default()
            .push(r.clone());
    }
    let ends: BTreeMap<i32, i64> = upstream
        .iter()
        .map(|(p, rs)| (*p, rs.len() as i64))
        .collect();
    let committed: Vec<(&str, i32, i64)> =
        ends.iter().map(|(p, e)| ("orders.eu", *p, *e)).collect();
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
            if mine.len() == ends.len() {
                Ok(mine)
            } else {
                Err(format!("{offs:?}"))
            }
        },
    );
    for r in a
        .produce("orders.eu", &sample_records(2000, "eu-more"))
        .unwrap()
    {
        upstream.entry(r.partition.unwrap()).or_default().push(r);
    }
    let until: BTreeMap<i32, i64> = upstream
        .iter()
        .map(|(p, rs)| (*p, rs.len() as i64))
        .collect();
    let read = b
        .consume_group("billing", "kafka-a.orders.eu", &until, LIMIT)
        .unwrap();
    assert!(
        read.complete,
        "group billing did not reach {until:?} on kafka-b"
    );
    for (p, end) in &ends {
        let (first, start) = (translated[p], read.start[p]);
        eprintln!(
            "FIGURE: orders.eu[{p}] committed {end} on kafka-a; translated {first} on kafka-b, \
             resumed at {start}: {} records re-read (bound: offset.lag.max = {OFFSET_LAG_MAX})",
            end - start
        );
        assert!(
            first <= *end && start <= *end,
            "partition {p}: translated {first} / resumed {start} skip records (committed {end})"
        );
        assert!(
            start >= first,
            "partition {p}: the group moved back from {first} to {start}"
        );
        assert!(
            end - first <= OFFSET_LAG_MAX,
            "partition {p}: translated {first} re-reads {} records, more than offset.lag.max",
            end - first
        );
        // Every record from where the group resumed to the end, once each, in order: none
        // skipped (the records at E and after are all there), none read twice.
        let got: Vec<&(i64, Record)> = read
            .records
            .iter()
            .filter(|(_, r)| r.partition == Some(*p))
            .collect();
        let offsets: Vec<i64> = got.iter().map(|(o, _)| *o).collect();
        assert_eq!(
            offsets,
            (start..until[p]).collect::<Vec<_>>(),
            "partition {p}: offsets read"
        );
        let got: Vec<Record> = got.into_iter().map(|(_, r)| r.clone()).collect();
        compare_records(&upstream[p][start as usize..], &got)
            .unwrap_or_else(|e| panic!("partition {p}: {e}"));
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

    // Step 4 — a topics change reaches Kafka Connect as exactly one validation and one config
    // PUT for each connector that uses `topics` (source and checkpoint), and nothing for the
    // heartbeat connector — counted from what Connect received (its request log), not from the
    // charm's own account. A 409 (Connect rebalancing) that the client retried would show as an
    // extra, refused request; it is allowed, a second accepted write is not.
    let mark = bed.connect_requests_mark().unwrap();
    sim.run(&["config", APP, "topics=orders\\..*,invoices"]);
    let seen = bed.connect_requests_since(&mark).unwrap();
    let t = tally(&seen);
    eprintln!(
        "FIGURE: Connect received for one topics change: validate {:?}, config PUT {:?}",
        t.validate, t.config_put
    );
    let accepted_once = |statuses: Option<&Vec<u16>>| {
        statuses.is_some_and(|st| {
            st.iter().filter(|s| (200..300).contains(*s)).count() == 1
                && st.iter().all(|s| (200..300).contains(s) || *s == 409)
        })
    };
    for class in [SOURCE_CLASS, CHECKPOINT_CLASS] {
        assert!(accepted_once(t.validate.get(class)), "{class}: {seen:#?}");
    }
    assert_eq!(
        t.validate.len(),
        2,
        "only source and checkpoint validated: {seen:#?}"
    );
    for name in [&source, &checkpoint] {
        assert!(accepted_once(t.config_put.get(name)), "{name}: {seen:#?}");
    }
    assert_eq!(t.config_put.len(), 2, "{seen:#?}");
    assert!(!t.config_put.contains_key(&heartbeat), "{seen:#?}");
    let other_writes: Vec<_> = seen
        .iter()
        .filter(|r| r.is_write() && r.validated_class().is_none() && r.config_put().is_none())
        .collect();
    assert!(other_writes.is_empty(), "{other_writes:#?}");
    assert_eq!(
        connector_config(bed, &source)["topics"],
        "orders\\..*, invoices"
    );

    // An invalid regex blocks naming the option, and Connect receives no write at all (no
    // validation either: the charm rejects the regex itself) — the running connectors stay.
    let before = connector_config(bed, &source);
    let mark = bed.connect_requests_mark().unwrap();
    sim.run(&["config", APP, "topics=orders\\..*,[a"]);
    let (st, msg) = sim.app_status(APP);
    assert_eq!(st, "blocked");
    assert!(msg.starts_with("invalid config 'topics'"), "{msg}");
    assert_eq!(sim.unit_status(LEADER).0, "blocked");
    let writes: Vec<_> = bed
        .connect_requests_since(&mark)
        .unwrap()
        .into_iter()
        .filter(|r| r.is_write())
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
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

    let rel_id = sim.relation_id("kafka-c:kafka-client").to_string();
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
    a.create_topic("orders.re", 2, 1, &[]).unwrap();
    let mut re = a.produce("orders.re", &sample_records(300, "re1")).unwrap();
    b.consume("kafka-a.orders.re", re.len(), LIMIT).unwrap();
    sim.run(&[
        "remove-relation",
        &sim.relation_id("mirrormaker:connect-client").to_string(),
    ]);
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

    // Step 5c — connect-client integrated again: a new relation id, so new connector names.
    // The old set is gone (Charmed Kafka Connect deleted it) but its source offsets are still
    // in Connect's offsets topic: the charm reads them back through a STOPPED connector under
    // the old name and carries them to the new one. Records produced meanwhile arrive once.
    re.extend(a.produce("orders.re", &sample_records(200, "re2")).unwrap());
    let mark = bed.connect_requests_mark().unwrap();
    let (hooks, t) = (sim.hook_count(), Instant::now());
    sim.run(&["integrate", "mirrormaker:connect-client", "kafka-connect"]);
    wait_for("active on the new relation", LIMIT, || {
        tick_until(
            sim,
            "active",
            "replicating kafka-a -> kafka-b (3 connectors)",
        )
    });
    compare_records(
        &re,
        &b.consume("kafka-a.orders.re", re.len(), LIMIT).unwrap(),
    )
    .expect("carried over: nothing lost, nothing twice");
    let writes = writes_of(&bed.connect_requests_since(&mark).unwrap());
    eprintln!(
        "FIGURE: connect-client integrated again (old set deleted by the provider): {:?} to every record on kafka-b, {} hooks, Connect writes {writes}, 0 lost, 0 duplicated of {} records",
        t.elapsed(),
        sim.hook_count() - hooks,
        re.len()
    );
    let ours = || -> Vec<String> {
        connectors(bed)
            .into_iter()
            .filter(|n| n.starts_with("mirror_"))
            .collect()
    };
    let now = ours();
    assert_eq!(now.len(), 3, "one set, no stale one: {now:?}");

    // Step 5d — the same when the provider did NOT clean up (its clean-up failed: wrong admin
    // password in its backend): the old set keeps replicating until the new relation comes;
    // then it is stopped, its offsets carried, and it is deleted — one set, nothing twice.
    let connect_backend = backend("kafka-connect");
    let mut no_cleanup: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&connect_backend).unwrap()).unwrap();
    no_cleanup["admin_password"] = "wrong".into();
    let no_cleanup_file = format!("{connect_backend}.no-cleanup.json");
    std::fs::write(&no_cleanup_file, no_cleanup.to_string()).unwrap();
    sim.run(&["set-backend", "kafka-connect", &no_cleanup_file]);
    sim.run(&[
        "remove-relation",
        &sim.relation_id("mirrormaker:connect-client").to_string(),
    ]);
    assert_eq!(ours(), now, "the provider left the old set running");
    re.extend(a.produce("orders.re", &sample_records(200, "re3")).unwrap());
    let mark = bed.connect_requests_mark().unwrap();
    let (hooks, t) = (sim.hook_count(), Instant::now());
    sim.run(&["integrate", "mirrormaker:connect-client", "kafka-connect"]);
    wait_for("active after the hand-over", LIMIT, || {
        tick_until(
            sim,
            "active",
            "replicating kafka-a -> kafka-b (3 connectors)",
        )
    });
    re.extend(a.produce("orders.re", &sample_records(100, "re4")).unwrap());
    compare_records(
        &re,
        &b.consume("kafka-a.orders.re", re.len(), LIMIT).unwrap(),
    )
    .expect("handed over: nothing lost, nothing twice");
    let after = ours();
    assert_eq!(after.len(), 3, "{after:?}");
    assert!(
        after.iter().all(|n| !now.contains(n)),
        "old set deleted: {after:?}"
    );
    let writes = writes_of(&bed.connect_requests_since(&mark).unwrap());
    eprintln!(
        "FIGURE: connect-client integrated again (old set still running): {:?} to active, {} hooks, Connect writes {writes}, 0 lost, 0 duplicated of {} records",
        t.elapsed(),
        sim.hook_count() - hooks,
        re.len()
    );
    sim.run(&["set-backend", "kafka-connect", &connect_backend]);

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

/// The writes among `requests` (validations apart), as `METHOD /path-with-kind` counts, e.g.
/// `{"POST /connectors": 2, "PATCH offsets": 1, …}`.
fn writes_of(requests: &[kafka_bed::requests::RestRequest]) -> String {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for r in requests
        .iter()
        .filter(|r| r.is_write() && r.validated_class().is_none())
    {
        let what = r.path.rsplit('/').next().unwrap_or_default();
        let what = if what.starts_with("mirror_") {
            "<name>"
        } else {
            what
        };
        *by.entry(format!("{} {what}", r.method)).or_default() += 1;
    }
    format!("{by:?}")
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
