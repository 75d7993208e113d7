//! Day-2 operations on the real bed (issue "Day-2 operations"): the packed charm under
//! juju-sim with real Kafka and Kafka Connect. `plan` on a converged model changes nothing;
//! pause/resume round-trips on real Connect and the operator's pause survives later hooks; a
//! task made to fail for a real reason (the target user's ACLs removed) is reported FAILED with
//! that reason, restarted on the auto-restart schedule (time injected through
//! `MMI_NOW_EPOCH_SECS`, never slept) once the cause is gone, and no record is lost; no
//! password (the secret canary's marker is in every one) appears in anything the model shows.

mod common;

use common::e2e::{connect_get, connectors, wait_for, Sim, Stage, LIMIT};
use kafka_bed::tool::{sample_records, AclFilter, Record};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

const APP: &str = "mirrormaker";
const LEADER: &str = "mirrormaker/0";

/// One update-status tick at the injected time `now`; Ok(app status) when it matches.
fn tick_at(sim: &Sim, now: u64, want: &str, contains: &str) -> Result<(String, String), String> {
    let (code, out, err) = sim.try_run_env(
        &[("MMI_NOW_EPOCH_SECS", now.to_string())],
        &["update-status"],
    );
    if code != 0 {
        return Err(format!("update-status failed: {out}{err}"));
    }
    let st = sim.app_status(APP);
    if st.0 == want && st.1.contains(contains) {
        Ok(st)
    } else {
        Err(format!("{}: {}", st.0, st.1))
    }
}

fn connector_state(bed: &kafka_bed::Bed, name: &str) -> (String, Vec<String>) {
    let v: Value = connect_get(bed, &format!("/connectors/{name}/status"));
    let tasks = v["tasks"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| t["state"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    (
        v["connector"]["state"].as_str().unwrap_or("").to_string(),
        tasks,
    )
}

/// (partition, key, value) of a record.
type Identity = (i32, Option<Vec<u8>>, Option<Vec<u8>>);

/// Each record's identity, counted.
fn multiset(records: &[Record]) -> BTreeMap<Identity, usize> {
    let mut m = BTreeMap::new();
    for r in records {
        *m.entry((r.partition.unwrap_or(-1), r.key.clone(), r.value.clone()))
            .or_insert(0) += 1;
    }
    m
}

#[test]
fn day2_end_to_end() {
    let stage = Stage::start("day2_end_to_end");
    let (bed, sim) = (&stage.bed, &stage.sim);
    let a = bed.kafka("kafka-a").unwrap();
    let b = bed.kafka("kafka-b").unwrap();
    a.create_topic("orders.eu", 3, 1, &[]).unwrap();
    stage.integrate_all("orders\\..*");
    let mut expected = a
        .produce("orders.eu", &sample_records(3000, "first"))
        .unwrap();
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    wait_for("active", LIMIT, || {
        tick_at(sim, now(), "active", "(3 connectors)")
    });
    b.consume("kafka-a.orders.eu", expected.len(), LIMIT)
        .unwrap();
    let source = connectors(bed)
        .into_iter()
        .find(|n| n.starts_with("mirror_source_kafka-a_"))
        .unwrap();

    // `plan` on a converged model: no changes.
    let plan = sim.run(&["run", LEADER, "plan"]);
    assert!(plan.contains("no changes"), "{plan}");

    // pause/resume round-trips on real Connect; the operator's pause is kept by later hooks.
    sim.run(&["run", LEADER, "pause", "connector=source/kafka-a"]);
    wait_for(
        "source PAUSED on Connect",
        LIMIT,
        || match connector_state(bed, &source) {
            (s, _) if s == "PAUSED" => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    let st = wait_for("maintenance", LIMIT, || {
        tick_at(sim, now(), "maintenance", "paused by the operator")
    });
    assert!(
        st.1.contains("juju run mirrormaker/leader resume"),
        "{st:?}"
    );
    assert_eq!(
        connector_state(bed, &source).0,
        "PAUSED",
        "a later hook must keep the operator's pause"
    );
    sim.run(&["run", LEADER, "resume", "connector=source/kafka-a"]);
    wait_for("source RUNNING again", LIMIT, || {
        match connector_state(bed, &source) {
            (s, t) if s == "RUNNING" && !t.is_empty() && t.iter().all(|t| t == "RUNNING") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    wait_for("active after resume", LIMIT, || {
        tick_at(sim, now(), "active", "(3 connectors)")
    });

    // A real failure: the target user loses its ACLs, so the source task's producer (which
    // writes to kafka-b) is refused. The status names the source connector, a task and the
    // reason, and that task is one Connect itself reports FAILED for that reason.
    let user = format!("User:relation-{}", sim.relation_id("mirrormaker:target"));
    let acls = b.acl_list(Some(&user)).unwrap();
    assert!(!acls.is_empty(), "the target user has ACLs to remove");
    b.acl_remove(&AclFilter {
        principal: Some(user.clone()),
        ..Default::default()
    })
    .unwrap();
    expected.extend(
        a.produce("orders.eu", &sample_records(500, "second"))
            .unwrap(),
    );
    let t0 = now();
    // Statuses name connectors without the model-uuid suffix.
    let shown = source
        .rsplit_once('_')
        .map_or(source.as_str(), |(head, _)| head);
    let named = format!("{shown} task ");
    let failed = wait_for("a FAILED source task reported", LIMIT, || {
        let st = tick_at(sim, t0, "waiting", "FAILED")?;
        if st.1.starts_with(&named) && st.1.contains(" FAILED; ") {
            Ok(st)
        } else {
            Err(format!("{}: {}", st.0, st.1))
        }
    });
    eprintln!("FIGURE: status while failing: {failed:?}");
    let task: u64 = failed.1[named.len()..]
        .split(' ')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no task id after {named:?}: {failed:?}"));
    assert!(
        failed.1.to_lowercase().contains("authoriz"),
        "the reason must be shown: {failed:?}"
    );
    assert!(failed.1.contains("auto-restart"), "{failed:?}");
    // Connect's own status agrees: that task of the source connector is FAILED, for the same
    // reason (the ACLs are still gone, so a restart the charm issued fails again).
    wait_for(
        &format!("Connect to report task {task} of {source} FAILED"),
        LIMIT,
        || {
            let v: Value = connect_get(bed, &format!("/connectors/{source}/status"));
            let t = v["tasks"]
                .as_array()
                .and_then(|ts| ts.iter().find(|t| t["id"].as_u64() == Some(task)))
                .cloned()
                .ok_or_else(|| format!("no task {task}: {v}"))?;
            let trace = t["trace"].as_str().unwrap_or_default().to_lowercase();
            if t["state"] == "FAILED" && trace.contains("authoriz") {
                Ok(())
            } else {
                Err(format!("task {task}: {} {}", t["state"], t["trace"]))
            }
        },
    );

    // The cause is gone, but the schedule (n²+n minutes after the first restart) is not due:
    // one minute later nothing is restarted and the task stays FAILED.
    for acl in &acls {
        b.acl_add(acl).unwrap();
    }
    tick_at(sim, t0 + 60, "waiting", "FAILED").expect("not restarted before the schedule");
    assert!(connector_state(bed, &source)
        .1
        .iter()
        .any(|t| t == "FAILED"));

    // At t0 + 2 min the next restart is due: the task runs again and replication resumes.
    let healed = wait_for("healed", LIMIT, || {
        tick_at(sim, t0 + 125, "active", "(3 connectors)")
    });
    eprintln!("FIGURE: healed: {healed:?}");
    let got = b
        .consume("kafka-a.orders.eu", expected.len(), LIMIT)
        .unwrap();
    let (want, have) = (multiset(&expected), multiset(&got));
    let lost: Vec<_> = want.keys().filter(|k| !have.contains_key(*k)).collect();
    assert!(lost.is_empty(), "{} records lost", lost.len());
    // Tombstones of the two batches share (partition, key, value), so compare counts per identity.
    let duplicates: usize = have
        .iter()
        .map(|(k, n)| n.saturating_sub(want.get(k).copied().unwrap_or(0)))
        .sum();
    eprintln!(
        "FIGURE: {} records expected, {} read, {duplicates} duplicates (at-least-once)",
        expected.len(),
        got.len()
    );
    eprintln!(
        "FIGURE: status action after healing:\n{}",
        sim.run(&["run", LEADER, "status"])
    );

    // A unit of ours departs (scale down): Charmed Kafka Connect's clean-up deletes every
    // connector of the relation. Juju does not order its hook against our leader's
    // peer-relation-departed; juju-sim runs ours first, the worst case, so replication is
    // down until the leader's next hook (update-status), which re-creates the same names:
    // MirrorMaker resumes from the offsets Connect kept, nothing lost, nothing twice.
    let ours = || -> Vec<String> {
        connectors(bed)
            .into_iter()
            .filter(|n| n.starts_with("mirror_"))
            .collect()
    };
    let before = ours();
    sim.run(&["add-unit", APP]);
    wait_for("two units settled", LIMIT, || {
        tick_at(sim, t0 + 200, "active", "(3 connectors)")
    });
    let hooks = sim.hook_count();
    let gone = std::time::Instant::now();
    sim.run(&["remove-unit", "mirrormaker/1"]);
    let after_departure = ours();
    let mut expected = got;
    expected.extend(
        a.produce("orders.eu", &sample_records(200, "scale-down"))
            .unwrap(),
    );
    wait_for("re-created after the clean-up", LIMIT, || {
        tick_at(sim, t0 + 300, "active", "(3 connectors)")
    });
    assert_eq!(ours(), before, "the same names came back");
    let got = b
        .consume("kafka-a.orders.eu", expected.len(), LIMIT)
        .unwrap();
    let (want, have) = (multiset(&expected), multiset(&got));
    assert!(want.keys().all(|k| have.contains_key(k)), "records lost");
    let duplicates: usize = have
        .iter()
        .map(|(k, n)| n.saturating_sub(want.get(k).copied().unwrap_or(0)))
        .sum();
    eprintln!(
        "FIGURE: unit departure: connectors after the departure hooks {}/3 (Kafka Connect's clean-up ran after our leader's hook), back at the next leader hook; {:?} from remove-unit to replicating (test ticks), {} hooks, 0 lost, {duplicates} duplicated of {} records",
        after_departure.len(),
        gone.elapsed(),
        sim.hook_count() - hooks,
        expected.len()
    );
    assert_eq!(duplicates, 0, "resumed by name: nothing twice");
    // The secret canary: every password of this run (juju-sim's providers made them with
    // the marker) is in no debug-log line, status or action output of the whole scenario.
    let scanned = sim.assert_no_canary();
    eprintln!("FIGURE: secret canary: {scanned} texts scanned, none with a password");
    stage.passed();
}
