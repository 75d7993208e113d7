//! Upgrades, restarts and a credential rotation on the real bed, measured: the packed charm
//! under juju-sim, real Kafka brokers and a Kafka Connect group of TWO workers (so rebalances,
//! forwarding between workers and endpoint failover are real). One bed for every step.
//!
//! Each step runs a replication probe across it (kafka_bed::tool::Probe: a record every 200 ms
//! on kafka-a `life.probe`, read back on kafka-b `kafka-a.life.probe`) and reports records
//! lost (must be 0), records duplicated on the target (exact, by sequence number), the longest
//! a record took to arrive (the time without replication), the hooks our units ran and the
//! writes Connect received from clients (its request logs, hops between workers left out).
//! Logs stay under target/e2e/<test>-<pid>/ for a failed run.

mod common;

use common::e2e::{connect_get, connectors, wait_for, Sim, Stage, LIMIT};
use kafka_bed::bed::BedOptions;
use kafka_bed::requests::RestRequest;
use kafka_bed::tool::{ClusterClient, ProbeReport};
use serde_json::Value;
use std::time::{Duration, Instant};

const APP: &str = "mirrormaker";
const ACTIVE: &str = "replicating kafka-a -> kafka-b (3 connectors)";
const TOPIC: &str = "life.probe";
const REMOTE: &str = "kafka-a.life.probe";

/// Our connectors (`mirror_…`) and, per connector, whether it and all its tasks are RUNNING,
/// as Connect reports them.
fn ours_running(stage: &Stage) -> Result<(), String> {
    let ours: Vec<String> = connectors(&stage.bed)
        .into_iter()
        .filter(|n| n.starts_with("mirror_"))
        .collect();
    if ours.len() != 3 {
        return Err(format!("connectors: {ours:?}"));
    }
    for n in &ours {
        let st: Value = connect_get(&stage.bed, &format!("/connectors/{n}/status"));
        let tasks_ok = st["tasks"]
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t["state"] == "RUNNING"));
        if st["connector"]["state"] != "RUNNING" || !tasks_ok {
            return Err(format!("{n}: {st}"));
        }
    }
    Ok(())
}

/// The worker (`127.0.0.1:<port>`) Connect reports running the source task that copies
/// `partition` (MirrorMaker's task config lists it in `task.assigned.partitions`).
fn worker_copying(stage: &Stage, partition: &str) -> String {
    let source = connectors(&stage.bed)
        .into_iter()
        .find(|n| n.starts_with("mirror_source_"))
        .expect("a source connector");
    let tasks: Vec<Value> = connect_get(&stage.bed, &format!("/connectors/{source}/tasks"));
    let id = tasks
        .iter()
        .find(|t| {
            t["config"]["task.assigned.partitions"]
                .as_str()
                .is_some_and(|p| p.split(',').any(|p| p == partition))
        })
        .map(|t| t["id"]["task"].clone())
        .unwrap_or_else(|| panic!("no task copies {partition}: {tasks:?}"));
    let st: Value = connect_get(
        &stage.bed,
        &format!("/connectors/{source}/tasks/{id}/status"),
    );
    st["worker_id"].as_str().unwrap_or_default().to_string()
}

/// Hooks our units have run so far, and the exit code of the last one.
fn our_hooks(sim: &Sim) -> (usize, i32) {
    let v: Value = serde_json::from_str(&sim.run(&["hooks", "--format", "json"])).unwrap();
    let ours: Vec<&Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            h["unit"]
                .as_str()
                .is_some_and(|u| u.starts_with("mirrormaker/"))
        })
        .collect();
    let last = ours.last().and_then(|h| h["code"].as_i64()).unwrap_or(0);
    (ours.len(), last as i32)
}

/// Every databag our app and units own, on every relation (what relation-set could change).
fn our_bags(sim: &Sim) -> Value {
    let dump: Value = serde_json::from_str(&sim.run(&["dump"])).unwrap();
    let rels: Vec<Value> = match &dump["relations"] {
        Value::Object(m) => m.values().cloned().collect(),
        Value::Array(a) => a.clone(),
        _ => vec![],
    };
    let own = |bags: &Value| -> Value {
        bags.as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| k.starts_with(APP))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<serde_json::Map<_, _>>()
            })
            .map(Value::Object)
            .unwrap_or(Value::Null)
    };
    rels.iter()
        .map(|r| serde_json::json!([r["id"], own(&r["app_data"]), own(&r["unit_data"])]))
        .collect()
}

/// One `update-status` tick, then whether the app status is active with ACTIVE.
fn tick_active(sim: &Sim) -> Result<(), String> {
    sim.run(&["update-status"]);
    let (st, msg) = sim.app_status(APP);
    if st == "active" && msg == ACTIVE {
        Ok(())
    } else {
        Err(format!("{st}: {msg}"))
    }
}

/// What one step cost and lost.
struct Figures {
    probe: ProbeReport,
    hooks: usize,
    writes: Vec<RestRequest>,
    took: Duration,
}

/// Runs `body` with a probe producing across it; returns the figures and prints them as one
/// line. Records lost must be 0 and no record may fail to produce, whatever the step.
fn step(
    stage: &Stage,
    a: &ClusterClient,
    b: &ClusterClient,
    name: &str,
    body: impl FnOnce(),
) -> Figures {
    let probe = a
        .probe(b, TOPIC, REMOTE, name, Duration::from_millis(200))
        .unwrap();
    let (hooks0, _) = our_hooks(&stage.sim);
    let mark = stage.bed.connect_requests_mark().unwrap();
    let t0 = Instant::now();
    body();
    let took = t0.elapsed();
    let seen = stage.bed.connect_requests_since(&mark).unwrap();
    let not_ok = refused(&seen);
    let writes: Vec<RestRequest> = seen
        .into_iter()
        .filter(|r| r.is_client_write() && r.agent.as_deref() != Some(kafka_bed::rest::USER_AGENT))
        .collect();
    let (hooks1, _) = our_hooks(&stage.sim);
    let probe = probe.finish().unwrap();
    let f = Figures {
        probe,
        hooks: hooks1 - hooks0,
        writes,
        took,
    };
    eprintln!(
        "STEP {name}: {} produced, {} lost, {} duplicated; {:.1} s max delay (longest gap {:.1} s); \
         {} hooks of ours; {} Connect writes {:?}; {} client requests refused {:?}; step took {:.1} s",
        f.probe.produced,
        f.probe.lost,
        f.probe.duplicated,
        f.probe.max_delay_ms as f64 / 1000.0,
        f.probe.longest_gap_ms as f64 / 1000.0,
        f.hooks,
        f.writes.len(),
        f.writes
            .iter()
            .map(|r| format!("{} {} {}", r.method, r.path, r.status))
            .collect::<Vec<_>>(),
        not_ok.len(),
        not_ok,
        f.took.as_secs_f64()
    );
    assert_eq!(f.probe.failed, 0, "{name}: the producer gave up on records");
    assert_eq!(f.probe.lost, 0, "{name}: records lost");
    assert!(f.probe.produced > 0, "{name}: nothing produced");
    f
}

/// After a disruption: `update-status` ticks until the charm says active and Connect, read
/// after that hook, reports all of ours RUNNING; returns the ticks it took. Every hook must
/// succeed. (Around a rebalance Connect's own answers flip — a restarted worker lists no
/// connectors until it has read the config topic, statuses go UNASSIGNED a moment after a
/// worker rejoins — so "true" is judged once both agree, not at one instant.)
fn status_converges(stage: &Stage, what: &str) -> usize {
    let mut ticks = 0;
    wait_for(&format!("{what}: active with all RUNNING"), LIMIT, || {
        let (n0, _) = our_hooks(&stage.sim);
        let said = tick_active(&stage.sim);
        let (n1, code) = our_hooks(&stage.sim);
        assert!(n1 > n0 && code == 0, "{what}: a hook of ours failed");
        ticks += 1;
        said.and(ours_running(stage))
    });
    ticks
}

/// The charm's requests (neither the bed's own nor a hop between workers) that Connect did not
/// answer with 2xx: rebalance 409s, 500 "request timed out", 401 during a rotation.
fn refused(seen: &[RestRequest]) -> Vec<String> {
    seen.iter()
        .filter(|r| !r.is_internal() && r.agent.as_deref() != Some(kafka_bed::rest::USER_AGENT))
        .filter(|r| !r.is_success())
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect()
}

#[test]
fn restarts_refresh_and_rotation_lose_nothing() {
    // Connect holds a vanished worker's tasks for scheduled.rebalance.max.delay.ms (5 min by
    // default, kept by Charmed Kafka Connect); 30 s keeps step c inside CI's time.
    let options = BedOptions {
        connect_workers: 2,
        scheduled_rebalance_max_delay_ms: Some(30_000),
        ..BedOptions::default()
    };
    let stage = Stage::start_bed("e2e_lifecycle", options, &[]);
    let (bed, sim) = (&stage.bed, &stage.sim);
    let a = bed.kafka("kafka-a").unwrap();
    let b = bed.kafka("kafka-b").unwrap();
    a.create_topic(TOPIC, 2, 1, &[]).unwrap();
    stage.integrate_all("life\\..*");

    // The simulated Charmed Kafka Connect publishes both workers, comma-separated, as the real
    // one publishes one URL per unit.
    let urls: Vec<String> = (1..=2).map(|n| bed.worker(n).unwrap().url).collect();
    let dump: Value = serde_json::from_str(&sim.run(&["dump"])).unwrap();
    let published = dump.to_string();
    assert!(
        published.contains(&format!("\\\"{}\\\"", urls.join(",")))
            || published.contains(&format!("\"{}\"", urls.join(","))),
        "kafka-connect must publish both endpoints {urls:?}"
    );
    wait_for("active", LIMIT, || {
        tick_active(sim)?;
        ours_running(&stage)
    });

    // Step a — `juju refresh` with unchanged config (upgrade-charm, then config-changed):
    // nothing written to Connect, no relation data written, still active.
    let bags = our_bags(sim);
    let f = step(&stage, &a, &b, "a-refresh", || {
        sim.run(&["refresh", APP]);
        let (st, msg) = sim.app_status(APP);
        assert_eq!((st.as_str(), msg.as_str()), ("active", ACTIVE));
    });
    assert!(
        f.writes.is_empty(),
        "refresh wrote to Connect: {:?}",
        f.writes
    );
    assert_eq!(our_bags(sim), bags, "refresh wrote relation data");
    assert!(f.hooks >= 2, "upgrade-charm and config-changed ran");

    // Step b — graceful restarts of worker 1, then worker 2 (each leaves the group, its tasks
    // commit and move): nothing lost, and after each the next hook's status is true.
    step(&stage, &a, &b, "b-restart-workers", || {
        for n in [1, 2] {
            bed.restart_connect_worker(n).unwrap();
            let ticks = status_converges(&stage, &format!("worker {n} restarted"));
            eprintln!("FIGURE: worker {n} restarted: active after {ticks} update-status hook(s)");
        }
    });

    // Step c — SIGKILL the worker that copies `life.probe-0`: every hook of ours meanwhile
    // succeeds through the other endpoint. Connect keeps reporting the dead worker's tasks
    // RUNNING, and holds them (even once the worker is back, as a new group member) until
    // scheduled.rebalance.max.delay.ms has passed — 30 s on this bed, 5 min by default — so
    // that partition's records wait that long; none is lost.
    let victim = worker_copying(&stage, "life.probe-0");
    let n = (1..=2)
        .find(|n| urls[n - 1].ends_with(&victim))
        .unwrap_or_else(|| panic!("task worker {victim} is none of {urls:?}"));
    let role = if bed.connect_leader() == Some(n) {
        "the group leader"
    } else {
        "a follower"
    };
    step(&stage, &a, &b, "c-kill-worker", || {
        eprintln!("FIGURE: killing worker {n} ({victim}), {role}, which copies life.probe-0");
        bed.kill_connect_worker(n).unwrap();
        let killed = Instant::now();
        // Past the group's session timeout (10 s): the survivor has noticed.
        while killed.elapsed() < Duration::from_secs(15) {
            let (before, _) = our_hooks(sim);
            sim.run(&["update-status"]);
            let (after, code) = our_hooks(sim);
            assert!(after > before && code == 0, "a hook after the kill failed");
        }
        let (st, msg) = sim.app_status(APP);
        eprintln!(
            "FIGURE: worker {n} killed {:.0} s ago; the charm says {st}: {msg}; Connect reports \
             life.probe-0's task on {}",
            killed.elapsed().as_secs_f64(),
            worker_copying(&stage, "life.probe-0")
        );
        assert!(
            !msg.starts_with("Kafka Connect"),
            "the other endpoint must answer: {msg}"
        );
        bed.start_connect_worker(n).unwrap();
        let ticks = status_converges(&stage, &format!("worker {n} started again"));
        eprintln!("FIGURE: worker {n} started again: active after {ticks} hook(s)");
    });

    // Step d — graceful restart of the source cluster's broker, then the target's: nothing lost;
    // duplicates reported.
    step(&stage, &a, &b, "d-restart-brokers", || {
        for cluster in ["kafka-a", "kafka-b"] {
            bed.restart_broker(cluster).unwrap();
            let ticks = status_converges(&stage, &format!("{cluster} restarted"));
            eprintln!("FIGURE: {cluster} restarted: active after {ticks} hook(s)");
        }
    });

    // Step e — Kafka Connect rotates our REST password (new secret revision → secret-changed):
    // the provider writes it to the credentials file and restarts the workers one by one; the
    // charm reads the new revision and talks to Connect with it.
    let rid = relation_id(sim, "connect-client");
    let rotated = Instant::now();
    step(&stage, &a, &b, "e-rotate-connect-password", || {
        sim.run(&["rotate-credentials", "kafka-connect", &rid]);
        let ticks = status_converges(&stage, "password rotated");
        eprintln!("FIGURE: password rotated: active after {ticks} hook(s) beyond the cascade");
    });
    eprintln!(
        "FIGURE: Connect REST password rotated: active on the new password after {:.1} s",
        rotated.elapsed().as_secs_f64()
    );
    let new_password = rotated_password(&stage);
    let user = format!("relation-{}", rid.rsplit(':').next().unwrap());
    let c = kafka_bed::rest::ConnectClient::new(
        &urls[0],
        &bed.state.connect.ca_pem,
        &user,
        &new_password,
    )
    .unwrap();
    assert_eq!(
        c.get("/connectors").unwrap().status,
        200,
        "the new password works"
    );
    // A hook now talks to Connect with the new password: no 401 in what Connect answered.
    let (hooks_before, _) = our_hooks(sim);
    let mark = bed.connect_requests_mark().unwrap();
    sim.run(&["update-status"]);
    let seen = bed.connect_requests_since(&mark).unwrap();
    assert!(
        seen.iter().all(|r| r.status != 401),
        "a hook after the rotation still used the old password: {seen:?}"
    );
    let (hooks_after, code) = our_hooks(sim);
    assert!(hooks_after > hooks_before && code == 0);

    stage.passed();
}

/// The id of our relation on `endpoint`.
fn relation_id(sim: &Sim, endpoint: &str) -> String {
    let dump: Value = serde_json::from_str(&sim.run(&["dump"])).unwrap();
    let rels: Vec<Value> = match &dump["relations"] {
        Value::Object(m) => m.values().cloned().collect(),
        Value::Array(a) => a.clone(),
        _ => vec![],
    };
    rels.iter()
        .find(|r| {
            r["endpoints"].as_array().is_some_and(|e| {
                e.iter()
                    .any(|e| e["app"] == APP && e["endpoint"] == endpoint)
            })
        })
        .map(|r| r["id"].to_string())
        .unwrap_or_else(|| panic!("no {endpoint} relation"))
}

/// Our REST user's password as the credentials file holds it now.
fn rotated_password(stage: &Stage) -> String {
    let file = std::fs::read_to_string(&stage.bed.state.connect.credentials_file).unwrap();
    file.lines()
        .filter(|l| l.starts_with("relation-"))
        .find_map(|l| l.split_once(':').map(|(_, p)| p.trim().to_string()))
        .expect("our REST user in the credentials file")
}
