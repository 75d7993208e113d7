//! Topic ACL replication on real Kafka, end to end: the packed charm under the emulator drives a
//! real Kafka Connect 3.9.1 whose MirrorSourceConnector copies kafka-a's topic ACLs to kafka-b
//! (both clusters run StandardAuthorizer, harness/kafka-bed). What is copied, and how, is pinned
//! against Kafka 3.9's `connect/mirror/.../MirrorSourceConnector.java`:
//!
//! * `syncTopicAcls` lists every ACL on the source (`describeAcls` of TOPIC/ANY) and keeps only
//!   resource type TOPIC with pattern type LITERAL, whose name passes `shouldReplicateTopic`
//!   (the `topics`/`topics-exclude` filter — a name test only, the topic need not exist);
//! * `shouldReplicateAcl` drops ALLOW WRITE (DENY WRITE is kept);
//! * `targetAclBinding` renames the resource with the replication policy's `formatRemoteTopic`
//!   (`kafka-a.<topic>` by default, `<topic>` with identity), keeps principal, host, permission
//!   and operation, except ALLOW ALL, which becomes ALLOW READ;
//! * `updateTopicAcls` only creates ACLs on the target (`createAcls`): none is ever deleted;
//! * it runs at connector start and then every `sync.topic.acls.interval.seconds` (the charm's
//!   `sync-topic-acls-interval`, 5 s here); with `sync.topic.acls.enabled=false` it is never
//!   scheduled.
//!
//! Logs stay under target/e2e/<test>-<pid>/ for a failed run.

mod common;

use common::e2e::{connector_config, connectors, wait_for, Stage, LIMIT};
use kafka_bed::tool::{sample_records, Acl, ClusterClient};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const APP: &str = "mirrormaker";
/// Seconds between MirrorMaker's ACL syncs in this test (`sync-topic-acls-interval`).
const ACL_INTERVAL: u64 = 5;
/// The principals this test grants; MirrorMaker's own users' ACLs are left out of comparisons.
const OURS: [&str; 4] = ["User:alice", "User:bob", "User:carol", "User:mallory"];

fn acl(principal: &str, rtype: &str, name: &str, pattern: &str, op: &str, perm: &str) -> Acl {
    Acl {
        principal: format!("User:{principal}"),
        resource_type: rtype.into(),
        resource_name: name.into(),
        pattern: pattern.into(),
        operation: op.into(),
        permission: perm.into(),
    }
}

/// An ALLOW/DENY on a LITERAL topic.
fn topic_acl(principal: &str, topic: &str, op: &str, perm: &str) -> Acl {
    acl(principal, "TOPIC", topic, "LITERAL", op, perm)
}

/// The ACLs of this test's principals on a cluster.
fn our_acls(c: &ClusterClient) -> BTreeSet<(String, String, String, String, String, String)> {
    c.acl_list(None)
        .expect("acl-list")
        .into_iter()
        .filter(|a| OURS.contains(&a.principal.as_str()))
        .map(key)
        .collect()
}

fn key(a: Acl) -> (String, String, String, String, String, String) {
    (
        a.principal,
        a.resource_type,
        a.resource_name,
        a.pattern,
        a.operation,
        a.permission,
    )
}

fn set(acls: &[Acl]) -> BTreeSet<(String, String, String, String, String, String)> {
    acls.iter().cloned().map(key).collect()
}

/// How many times a MirrorSourceConnector of ours has started on the worker
/// (`MirrorSourceConnector.start` logs "Started <name> with N topic-partitions." after Connect
/// stopped the previous instance), read from the Connect log, which is appended to.
fn source_starts(stage: &Stage) -> usize {
    std::fs::read_to_string(&stage.bed.state.connect.log)
        .unwrap_or_default()
        .matches("Started mirror_source_")
        .count()
}

/// `juju config mirrormaker <settings>`, then waits until the source connector has been
/// restarted with the new configuration (so no instance with the old one runs any more).
fn reconfigure(stage: &Stage, settings: &[&str]) {
    let before = source_starts(stage);
    let mut args = vec!["config", APP];
    args.extend_from_slice(settings);
    stage.sim.run(&args);
    wait_for("the source connector restarted", LIMIT, || {
        stage.sim.run(&["update-status"]);
        let n = source_starts(stage);
        if n > before {
            Ok(())
        } else {
            Err(format!("{n} starts, {before} before {settings:?}"))
        }
    });
}

fn source_connector(stage: &Stage) -> String {
    connectors(&stage.bed)
        .into_iter()
        .find(|n| n.starts_with("mirror_source_kafka-a_"))
        .expect("our source connector")
}

/// Polls kafka-b until every ACL of `want` is there; returns how long after `since` it saw them.
fn wait_acls(b: &ClusterClient, what: &str, want: &[Acl], since: Instant) -> Duration {
    let want = set(want);
    wait_for(what, LIMIT, || {
        let got = our_acls(b);
        if want.is_subset(&got) {
            Ok(since.elapsed())
        } else {
            Err(format!("missing {:?}", want.difference(&got)))
        }
    })
}

#[test]
fn topic_acls_replicate_as_mirrormaker_defines() {
    let stage = Stage::start("e2e_acl");
    let (bed, sim) = (&stage.bed, &stage.sim);
    let a = bed.kafka("kafka-a").unwrap();
    let b = bed.kafka("kafka-b").unwrap();
    a.create_topic("acl.orders", 2, 1, &[]).unwrap();
    a.create_topic("acl.open", 1, 1, &[]).unwrap();
    a.create_topic("other.orders", 1, 1, &[]).unwrap();

    // Step 1 — replication running with a 5 s ACL sync. `topics` = `acl\..*` plus `\*`, the
    // literal resource name of a wildcard ACL (no topic can be called `*`): the filter is what
    // decides whether a wildcard topic ACL is synced. `other.orders` is outside the filter.
    sim.run(&[
        "config",
        APP,
        &format!("sync-topic-acls-interval={ACL_INTERVAL}"),
    ]);
    stage.integrate_all("acl\\..*, \\*");
    wait_for("active", LIMIT, || {
        sim.run(&["update-status"]);
        match sim.app_status(APP) {
            (s, m) if s == "active" => Ok(m),
            (s, m) => Err(format!("{s}: {m}")),
        }
    });
    let source = source_connector(&stage);
    let cfg = connector_config(bed, &source);
    assert_eq!(cfg["sync.topic.acls.enabled"], "true");
    assert_eq!(
        cfg["sync.topic.acls.interval.seconds"],
        ACL_INTERVAL.to_string()
    );
    let sent = a
        .produce("acl.orders", &sample_records(200, "acl"))
        .unwrap();
    let sent_open = a.produce("acl.open", &sample_records(20, "open")).unwrap();
    assert_eq!(
        b.consume("kafka-a.acl.orders", sent.len(), LIMIT)
            .unwrap()
            .len(),
        sent.len()
    );
    assert_eq!(
        b.consume("kafka-a.acl.open", sent_open.len(), LIMIT)
            .unwrap()
            .len(),
        sent_open.len()
    );

    // Step 2 — ACLs created on kafka-a; the ALLOW READ that must be copied is created last, so
    // the sync pass that copies it saw all the others (one describeAcls per pass, one
    // createAcls with every kept binding).
    let never_copied = [
        // ALLOW WRITE: dropped by shouldReplicateAcl.
        topic_acl("alice", "acl.orders", "WRITE", "ALLOW"),
        // A literal topic ACL outside the `topics` filter: dropped by shouldReplicateTopic.
        topic_acl("alice", "other.orders", "READ", "ALLOW"),
        // A GROUP ACL: only TOPIC ACLs are synced (the checkpoint connector syncs none).
        acl("alice", "GROUP", "alice-app", "LITERAL", "READ", "ALLOW"),
        // A PREFIXED topic ACL matching replicated topics: only LITERAL patterns are synced.
        acl("bob", "TOPIC", "acl.", "PREFIXED", "READ", "ALLOW"),
    ];
    let copied_from = [
        // ALLOW ALL: copied as ALLOW READ.
        topic_acl("alice", "acl.audit", "ALL", "ALLOW"),
        // DENY is copied as it is, ALL and WRITE included.
        topic_acl("mallory", "acl.orders", "ALL", "DENY"),
        topic_acl("mallory", "acl.orders", "WRITE", "DENY"),
        // The literal wildcard: formatRemoteTopic("*") under the default policy.
        topic_acl("carol", "*", "ALL", "ALLOW"),
    ];
    for x in never_copied.iter().chain(&copied_from) {
        a.acl_add(x).unwrap();
    }
    let read = topic_acl("alice", "acl.orders", "READ", "ALLOW");
    a.acl_add(&read).unwrap();
    let t_read = Instant::now();
    let default_policy = [
        topic_acl("alice", "kafka-a.acl.orders", "READ", "ALLOW"),
        topic_acl("alice", "kafka-a.acl.audit", "READ", "ALLOW"),
        topic_acl("mallory", "kafka-a.acl.orders", "ALL", "DENY"),
        topic_acl("mallory", "kafka-a.acl.orders", "WRITE", "DENY"),
        topic_acl("carol", "kafka-a.*", "READ", "ALLOW"),
    ];
    let took = wait_acls(
        &b,
        "alice's READ on kafka-b as kafka-a.acl.orders",
        &default_policy[..1],
        t_read,
    );
    eprintln!(
        "FIGURE: ALLOW READ created on kafka-a -> on kafka-b as kafka-a.acl.orders in {:.1} s \
         (sync interval {ACL_INTERVAL} s; each acl-list poll is one ~3 s JVM)",
        took.as_secs_f64()
    );
    // Two more sync intervals: the kafka-b set is exactly the mapped one, nothing else.
    std::thread::sleep(Duration::from_secs(2 * ACL_INTERVAL));
    assert_eq!(our_acls(&b), set(&default_policy));

    // Step 3 — failover for permissions: `alice` exists on both clusters (SCRAM users are not
    // replicated; created by hand, no ACLs granted) and on kafka-b holds only what MirrorMaker
    // copied. With it she reads the replicated topic; a replicated topic she has no ACL for
    // stays invisible to her.
    let pw = "alice-secret-1";
    for c in [&a, &b] {
        assert!(c
            .provision_user("alice", pw, "", None, None)
            .unwrap()
            .is_empty());
    }
    let alice_b = b.as_user("alice", pw).unwrap();
    let got = alice_b
        .consume("kafka-a.acl.orders", sent.len(), LIMIT)
        .expect("alice reads the replica with the synced READ");
    kafka_bed::tool::compare_records(&sent, &got).expect("alice read every record");
    let denied = alice_b
        .consume("kafka-a.acl.open", 1, Duration::from_secs(10))
        .expect_err("no ACL for alice on kafka-a.acl.open");
    assert!(denied.to_string().contains("does not exist"), "{denied}");

    // Step 4 — a consumer group needs READ on the group, which MirrorMaker never syncs (step 2:
    // alice's group ACL stayed on kafka-a): denied until the operator grants it on kafka-b, then
    // the group reads the replica from its committed offsets.
    b.commit_offsets(
        "alice-app",
        &[("kafka-a.acl.orders", 0, 0), ("kafka-a.acl.orders", 1, 0)],
    )
    .unwrap();
    let no_group = alice_b
        .consume_group(
            "alice-app",
            "kafka-a.acl.orders",
            &BTreeMap::new(),
            Duration::from_secs(30),
        )
        .expect_err("no group ACL on kafka-b");
    assert!(
        no_group.to_string().contains("GroupAuthorization")
            || no_group
                .to_string()
                .contains("Not authorized to access group"),
        "{no_group}"
    );
    b.acl_add(&acl(
        "alice",
        "GROUP",
        "alice-app",
        "LITERAL",
        "READ",
        "ALLOW",
    ))
    .unwrap();
    let read_group = alice_b
        .consume_group("alice-app", "kafka-a.acl.orders", &BTreeMap::new(), LIMIT)
        .expect("alice's group reads with the synced topic ACL + a hand-made group ACL");
    assert!(read_group.complete);
    assert_eq!(read_group.records.len(), sent.len());

    // Step 5 — sync-topic-acls=false: the connector restarts without ACL sync (never
    // scheduled); an ACL created on kafka-a afterwards is not copied within 3 intervals.
    reconfigure(&stage, &["sync-topic-acls=false"]);
    assert_eq!(
        connector_config(bed, &source)["sync.topic.acls.enabled"],
        "false"
    );
    let late = topic_acl("alice", "acl.late", "READ", "ALLOW");
    a.acl_add(&late).unwrap();
    std::thread::sleep(Duration::from_secs(3 * ACL_INTERVAL));
    let after_off = our_acls(&b);
    let mut expected_b = set(&default_policy);
    expected_b.insert(key(acl(
        "alice",
        "GROUP",
        "alice-app",
        "LITERAL",
        "READ",
        "ALLOW",
    )));
    assert_eq!(
        after_off, expected_b,
        "nothing new with sync-topic-acls=false"
    );

    // Step 6 — identity policy with the sync back on, on the same bed: the remote names are the
    // source names, so the mapped ACLs land on other resource names than step 2's (which stay:
    // MirrorMaker never deletes an ACL) and the two sets cannot be confused; the literal
    // wildcard now maps to `*` itself, i.e. READ on every topic of kafka-b. The ACL created
    // while the sync was off is copied now, under the identity name only.
    let t_on = Instant::now();
    reconfigure(
        &stage,
        &["replication-policy=identity", "sync-topic-acls=true"],
    );
    let cfg = connector_config(bed, &source);
    assert_eq!(
        cfg["replication.policy.class"],
        "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
    );
    let identity = [
        topic_acl("alice", "acl.orders", "READ", "ALLOW"),
        topic_acl("alice", "acl.audit", "READ", "ALLOW"),
        topic_acl("alice", "acl.late", "READ", "ALLOW"),
        topic_acl("mallory", "acl.orders", "ALL", "DENY"),
        topic_acl("mallory", "acl.orders", "WRITE", "DENY"),
        topic_acl("carol", "*", "READ", "ALLOW"),
    ];
    let took = wait_acls(&b, "the identity-named ACLs on kafka-b", &identity, t_on);
    eprintln!(
        "FIGURE: identity policy + sync on (juju config) -> all 6 ACLs on kafka-b under source \
         names in {:.1} s (includes the connector restart)",
        took.as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(2 * ACL_INTERVAL));
    expected_b.extend(set(&identity));
    assert_eq!(our_acls(&b), expected_b);
    // Pinned once more by name: no ALLOW WRITE, nothing of other.orders, no PREFIXED, and the
    // late ACL never under the default name.
    let names: BTreeSet<String> = our_acls(&b).into_iter().map(|k| k.2).collect();
    assert!(!names.contains("other.orders") && !names.contains("kafka-a.other.orders"));
    assert!(!names.contains("kafka-a.acl.late") && !names.contains("acl."));

    stage.passed();
}
