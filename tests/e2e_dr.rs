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
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
fn lag_of(sim: &Sim, topic: &str) -> BTreeMap<i64, i64> {
    let (r, _) = action(sim, &["lag", "format=json"]);
    let v: Value = serde_json::from_str(&r["result"]).expect("lag json");
    v["sources"][0]["partitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["topic"] == topic)
        .map(|p| {
            (
                p["partition"].as_i64().unwrap(),
                p["behind"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn tick(sim: &Sim) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    sim.try_run_env(
        &[("MMI_NOW_EPOCH_SECS", now.to_string())],
        &["update-status"],
    );
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
        tick(sim);
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
    let mut expected: BTreeMap<i64, i64> = zero.clone();
    for r in &produced {
        *expected.entry(i64::from(r.partition.unwrap())).or_default() += 1;
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

    // A group committed on kafka-a: failover-check shows what it resumes from on kafka-b.
    a.commit_offsets("dr-group", &[("orders.eu", 0, 4)])
        .unwrap();
    let row = wait_for("dr-group translated", LIMIT, || {
        let (r, _) = action(sim, &["failover-check", "format=json"]);
        let v: Value = serde_json::from_str(&r["result"]).map_err(|e| e.to_string())?;
        let groups = v["sources"][0]["groups"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        groups
            .into_iter()
            .find(|g| g["group"] == "dr-group" && g["status"] == "translated")
            .map(|g| (g, r["ready"].clone()))
            .ok_or_else(|| v.to_string())
    });
    let (g, ready) = row;
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
    stage.passed();
}
