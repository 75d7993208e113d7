//! Disaster recovery on the real bed (issue 15): the packed charm under juju-sim with real
//! Kafka (SASL_SSL, SCRAM-SHA-512, each cluster its own CA) and Kafka Connect. Records
//! produced while the source connector is paused show up in `lag` exactly, per partition;
//! after resume the lag drains to 0; a group committed on kafka-a shows up in
//! `failover-check` with the offset it would resume from on kafka-b.

mod common;

use common::e2e::{wait_for, Sim, Stage, LIMIT};
use kafka_bed::tool::sample_records;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const LEADER: &str = "mirrormaker/0";

/// Runs an action; returns its result keys and how long it took.
fn action(sim: &Sim, args: &[&str]) -> (BTreeMap<String, String>, Duration) {
    let mut all = vec!["run", LEADER];
    all.extend_from_slice(args);
    let t = Instant::now();
    let out = sim.run(&all);
    let took = t.elapsed();
    let map: BTreeMap<String, String> = serde_yaml_ng::from_str(&out).expect("action results");
    (map, took)
}

/// `lag format=json`: records behind per partition of `topic` on the first source.
fn lag_of(sim: &Sim, topic: &str) -> BTreeMap<i32, i64> {
    lag_column(sim, topic, "behind")
}

/// `lag format=json`: one number (`behind`, `end`) per partition of `topic` on the first source.
fn lag_column(sim: &Sim, topic: &str, field: &str) -> BTreeMap<i32, i64> {
    let (r, _) = action(sim, &["lag", "format=json"]);
    let v: Value = serde_json::from_str(&r["result"]).expect("lag json");
    v["sources"][0]["partitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["topic"] == topic)
        .map(|p| {
            (
                i32::try_from(p["partition"].as_i64().unwrap()).unwrap(),
                p[field].as_i64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn dr_lag_and_failover_check() {
    let stage = Stage::start("dr_lag_and_failover_check");
    let (bed, sim) = (&stage.bed, &stage.sim);
    let a = bed.kafka("kafka-a").unwrap();
    a.create_topic("orders.eu", 3, 1, &[]).unwrap();
    stage.integrate_all("orders\\..*");
    a.produce("orders.eu", &sample_records(30, "before"))
        .unwrap();
    let zero = BTreeMap::from([(0, 0), (1, 0), (2, 0)]);
    wait_for("replicated, lag 0", LIMIT, || {
        sim.tick();
        let l = lag_of(sim, "orders.eu");
        if l == zero {
            Ok(())
        } else {
            Err(format!("{l:?}"))
        }
    });

    // Paused source: what is produced now is exactly what `lag` reports, per partition.
    sim.run(&["run", LEADER, "pause", "connector=source/kafka-a"]);
    let produced = a
        .produce("orders.eu", &sample_records(12, "while-paused"))
        .unwrap();
    let mut expected: BTreeMap<i32, i64> = zero.clone();
    for r in &produced {
        *expected.entry(r.partition.unwrap()).or_default() += 1;
    }
    // Connect commits the source task's last offsets at its flush after the pause; until
    // then lag can only read higher, never lower.
    wait_for("lag = records produced while paused", LIMIT, || {
        let l = lag_of(sim, "orders.eu");
        if l == expected {
            Ok(())
        } else {
            Err(format!("{l:?} != {expected:?}"))
        }
    });
    let (table, took) = action(sim, &["lag"]);
    eprintln!(
        "FIGURE: lag (table) on the bed took {took:?}\n{}",
        table["result"]
    );

    sim.run(&["run", LEADER, "resume", "connector=source/kafka-a"]);
    wait_for("lag back to 0 after resume", LIMIT, || {
        let l = lag_of(sim, "orders.eu");
        if l == zero {
            Ok(())
        } else {
            Err(format!("{l:?}"))
        }
    });

    // A group committed on kafka-a (partition 0 mid-way, 1 at the start, 2 at its end):
    // failover-check shows what it resumes from on kafka-b.
    let ends = lag_column(sim, "orders.eu", "end");
    let commits = [(0, 4), (1, 0), (2, ends[&2])];
    let spec: Vec<(&str, i32, i64)> = commits.iter().map(|(p, o)| ("orders.eu", *p, *o)).collect();
    a.commit_offsets("dr-group", &spec).unwrap();
    let (rows, ready) = wait_for("dr-group translated", LIMIT, || {
        let (r, _) = action(sim, &["failover-check", "format=json"]);
        let v: Value = serde_json::from_str(&r["result"]).map_err(|e| e.to_string())?;
        let rows: Vec<Value> = v["sources"][0]["groups"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|g| g["group"] == "dr-group" && g["status"] == "translated")
            .collect();
        if rows.len() == 3 {
            Ok((rows, r["ready"].clone()))
        } else {
            Err(v.to_string())
        }
    });
    let g = &rows[0];
    assert_eq!(g["target_topic"], "kafka-a.orders.eu");
    assert_eq!(g["committed"], 4);
    let resume = g["resume"].as_i64().expect("a resume offset");
    // Offsets map 1:1 on a topic only MirrorMaker writes; MirrorMaker translates to at most
    // the committed position (consumers may re-read, never skip).
    assert!((0..=4).contains(&resume), "{g}");
    eprintln!("FIGURE: dr-group committed 4 on kafka-a resumes at {resume} on kafka-b ({} records re-read); ready={ready}", 4 - resume);
    let (check, took) = action(sim, &["failover-check"]);
    eprintln!(
        "FIGURE: failover-check (table) on the bed took {took:?}\n{}",
        check["result"]
    );
    failover_steps(bed, sim, &commits);
    stage.passed();
}

/// Our connectors' states on Connect by kind (`source`, `checkpoint`, `heartbeat`).
fn states(bed: &kafka_bed::Bed) -> BTreeMap<String, String> {
    let v: Value = common::e2e::connect_get(bed, "/connectors?expand=status");
    let mut out = BTreeMap::new();
    for (name, c) in v.as_object().into_iter().flatten() {
        let kind = name.split('_').nth(1).unwrap_or_default().to_string();
        out.insert(
            kind,
            c["status"]["connector"]["state"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    out
}

/// `failover`: the dry run changes nothing; the real one waits for the final sync, stops
/// source and checkpoint (heartbeat runs on), keeps them stopped across a hook; a consumer of
/// dr-group on kafka-b resumes exactly at the reported offsets and reads every record at or
/// after its commit and exactly the reported number before it; `resume` replicates again.
fn failover_steps(bed: &kafka_bed::Bed, sim: &Sim, commits: &[(i32, i64)]) {
    let a = bed.kafka("kafka-a").unwrap();
    let b = bed.kafka("kafka-b").unwrap();
    // The last records before producers stop, in one transaction: the failover must wait for
    // them, and the commit marker each partition ends with (an offset without a record) must
    // not make it wait for ever.
    a.produce_transactional(
        "orders.eu",
        &sample_records(9, "last-words"),
        "dr-last-words",
    )
    .unwrap();
    // The dry run sees them not yet replicated (or already there: MirrorMaker is quick).
    let (dry, took) = action(sim, &["failover"]);
    assert_eq!(dry["stopped"], "false");
    assert!(
        dry["result"].contains("dry run: nothing changed"),
        "{}",
        dry["result"]
    );
    eprintln!(
        "FIGURE: failover (dry run) took {took:?}\n{}",
        dry["result"]
    );
    assert_eq!(states(bed)["source"], "RUNNING");

    let (done, took) = action(sim, &["failover", "dry-run=false", "timeout=180"]);
    let text = &done["result"];
    assert_eq!(done["stopped"], "true", "{text}");
    assert!(
        text.contains("stopped (offsets kept)") && !text.contains("_behind)"),
        "{text}"
    );
    eprintln!("FIGURE: failover (dry-run=false) took {took:?}\n{text}");
    let st = states(bed);
    assert_eq!(
        (
            st["source"].as_str(),
            st["checkpoint"].as_str(),
            st["heartbeat"].as_str()
        ),
        ("STOPPED", "STOPPED", "RUNNING"),
        "{st:?}"
    );
    sim.tick();
    assert_eq!(
        states(bed)["source"],
        "STOPPED",
        "a hook must keep the failover's stop"
    );
    // Run again it changes nothing and reports the same groups (read here as JSON).
    let (again, _) = action(sim, &["failover", "dry-run=false", "format=json"]);
    let v: Value = serde_json::from_str(&again["result"]).expect("failover json");
    assert_eq!(
        v["notes"][0], "already failed over: these connectors are kept stopped",
        "{v}"
    );
    assert_eq!(states(bed)["checkpoint"], "STOPPED");

    let rows: Vec<Value> = v["sources"][0]["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|g| g["group"] == "dr-group")
        .collect();
    assert_eq!(rows.len(), commits.len(), "{v}");
    let ends = lag_column(sim, "orders.eu", "end");
    let source = read_all(&a, "dr-audit-a", "orders.eu", &ends);
    // No bound named: each partition is read to its end on kafka-b.
    let read = b
        .consume_group("dr-group", "kafka-a.orders.eu", &BTreeMap::new(), LIMIT)
        .expect("dr-group on kafka-b");
    assert!(read.complete, "dr-group read kafka-b to the end");
    for r in &rows {
        let p = r["partition"].as_i64().unwrap() as i32;
        let (resume, committed, re_read) = (
            r["resume"].as_i64().unwrap(),
            r["committed"].as_i64().unwrap(),
            r["re_read"].as_i64().unwrap(),
        );
        assert_eq!(
            read.start.get(&p),
            Some(&resume),
            "dr-group on kafka-b resumes at the reported offset: {r}"
        );
        let got: Vec<&kafka_bed::tool::Record> = read
            .records
            .iter()
            .filter(|(_, x)| x.partition == Some(p))
            .map(|(_, x)| x)
            .collect();
        let want: Vec<&kafka_bed::tool::Record> = source[&p]
            .iter()
            .skip(usize::try_from(committed - re_read).unwrap())
            .collect();
        assert_eq!(got.len(), want.len(), "partition {p}: {r}");
        assert!(
            got.iter()
                .zip(&want)
                .all(|(g, w)| g.key == w.key && g.value == w.value),
            "partition {p}: records differ from kafka-a's from offset {}",
            committed - re_read
        );
        eprintln!("FIGURE: failover partition {p}: committed {committed} on kafka-a, resumed at {resume} on kafka-b, {re_read} records re-read (exact: {}), {} read, none lost", r["exact"], got.len());
    }

    sim.run(&["run", LEADER, "resume"]);
    a.produce("orders.eu", &sample_records(6, "after-resume"))
        .unwrap();
    let zero = BTreeMap::from([(0, 0), (1, 0), (2, 0)]);
    wait_for("replicating again after resume", LIMIT, || {
        let l = lag_of(sim, "orders.eu");
        let st = states(bed);
        if l == zero && st["source"] == "RUNNING" && st["checkpoint"] == "RUNNING" {
            Ok(())
        } else {
            Err(format!("{l:?} {st:?}"))
        }
    });
}

/// Every record of `topic` on `k` with its offset, per partition (through a group committed
/// at 0 everywhere).
fn read_all(
    k: &kafka_bed::tool::ClusterClient,
    group: &str,
    topic: &str,
    ends: &BTreeMap<i32, i64>,
) -> BTreeMap<i32, Vec<kafka_bed::tool::Record>> {
    let zero: Vec<(&str, i32, i64)> = ends.keys().map(|p| (topic, *p, 0)).collect();
    k.commit_offsets(group, &zero).unwrap();
    let read = k.consume_group(group, topic, ends, LIMIT).unwrap();
    assert!(read.complete, "read {topic} to its end");
    let mut out: BTreeMap<i32, Vec<kafka_bed::tool::Record>> = BTreeMap::new();
    for (_, r) in read.records {
        out.entry(r.partition.unwrap()).or_default().push(r);
    }
    out
}
