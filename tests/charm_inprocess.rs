//! The charm in-process (tier 2 of design.md §4): a whole Juju world as data (MemoryTools),
//! an in-memory Kafka Connect behind the driver's port, one hook, then the world after.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::juju::StatusKind;
use mirrormaker_integrator::plan::ActualConnector;

// Proves a lone charm is blocked and names every missing relation, on unit and app.
#[test]
fn no_relations_blocks_naming_them() {
    let mut s = world();
    s.relations.clear();
    let out = run(s, &hook("install", None), &FakeConnect::default());
    let st = out.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Blocked);
    assert_eq!(
        st.message,
        "missing relation(s): source, target, connect-client (juju integrate)"
    );
    assert_eq!(out.app_status.unwrap().message, st.message);
}

// Proves the leader writes the data_interfaces requests byte for byte while the providers
// have not answered, then (once they have) creates the three connectors in dependency order,
// and waits (not active) until Connect reports them running.
#[test]
fn leader_requests_users_and_creates_connectors_in_order() {
    let connect = FakeConnect::default();
    let answered = world();
    let mut unanswered = answered.clone();
    for r in &mut unanswered.relations {
        r.remote_app_data.clear();
    }
    let asked = run(unanswered, &hook("config-changed", None), &connect);
    assert!(connect.0.borrow().writes.is_empty());
    assert_eq!(
        asked.unit_status.as_ref().unwrap().kind,
        StatusKind::Waiting
    );
    // The providers answer; our requests stay as they were written.
    let mut s = asked.clone();
    for (r, a) in s.relations.iter_mut().zip(&answered.relations) {
        r.remote_app_data = a.remote_app_data.clone();
    }
    let out = run(s, &hook("config-changed", None), &connect);
    let source = &asked.relations[0];
    assert_eq!(source.local_app, out.relations[0].local_app);
    assert_eq!(source.local_app.get("topic").unwrap(), "__mirrormaker-user");
    assert_eq!(source.local_app.get("extra-user-roles").unwrap(), "admin");
    assert_eq!(
        source.local_app.get("requested-secrets").unwrap(),
        r#"["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]"#
    );
    assert_eq!(
        source.local_app.get("provided-secrets").unwrap(),
        r#"["mtls-cert"]"#
    );
    assert_eq!(
        source.local_unit.get("provided-secrets").unwrap(),
        r#"["mtls-cert"]"#
    );
    assert_eq!(
        asked.relations[2].local_app.get("plugin-url").unwrap(),
        "NOT-REQUIRED"
    );
    assert!(!asked.relations[2].local_app.contains_key("topic"));
    assert_eq!(
        connect.0.borrow().writes,
        vec![
            format!("PUT {}", name("source", "kafka-a")),
            format!("PUT {}", name("checkpoint", "kafka-a")),
            format!("PUT {}", name("heartbeat", "kafka-a")),
        ]
    );
    let st = out.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Waiting, "{st}");
    assert!(st.message.contains("starting"), "{st}");
}

// Proves a converged model is active with zero writes, and a second pass changes nothing.
#[test]
fn converged_model_is_active_and_writes_nothing() {
    let connect = FakeConnect::default();
    let s = run(world(), &hook("config-changed", None), &connect);
    all_running(&connect);
    connect.0.borrow_mut().writes.clear();
    let out = run(s, &hook("update-status", None), &connect);
    assert!(
        connect.0.borrow().writes.is_empty(),
        "{:?}",
        connect.0.borrow().writes
    );
    let st = out.unit_status.unwrap();
    assert_eq!(
        (st.kind, st.message.as_str()),
        (
            StatusKind::Active,
            "replicating kafka-a -> kafka-b (3 connectors)"
        )
    );
}

// Proves an invalid regex blocks naming the option and leaves running connectors untouched.
#[test]
fn invalid_topics_blocks_and_holds() {
    let connect = FakeConnect::default();
    let mut s = run(world(), &hook("config-changed", None), &connect);
    all_running(&connect);
    connect.0.borrow_mut().writes.clear();
    s.config.insert("topics".into(), "orders\\..*,[a".into());
    let out = run(s, &hook("config-changed", None), &connect);
    assert!(connect.0.borrow().writes.is_empty());
    assert_eq!(connect.0.borrow().actual.connectors.len(), 3);
    let st = out.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Blocked);
    assert!(st.message.starts_with("invalid config 'topics'"), "{st}");
}

// Proves that a source whose credentials vanish (secret unreadable) holds its connectors
// instead of deleting them, and says what it waits for.
#[test]
fn incomplete_source_holds_its_connectors() {
    let connect = FakeConnect::default();
    let mut s = run(world(), &hook("config-changed", None), &connect);
    all_running(&connect);
    connect.0.borrow_mut().writes.clear();
    s.secrets.remove("secret:a-user");
    let out = run(
        s,
        &hook("source-relation-changed", Some(("source", 3, "kafka-a"))),
        &connect,
    );
    assert!(
        connect.0.borrow().writes.is_empty(),
        "{:?}",
        connect.0.borrow().writes
    );
    assert_eq!(out.unit_status.unwrap().kind, StatusKind::Waiting);
}

// Proves fan-in: a second source gets its own three connectors; breaking its relation deletes
// exactly those (reverse order), and a connector created by hand is never touched.
#[test]
fn fan_in_and_removal_touch_only_our_connectors() {
    let connect = FakeConnect::default();
    connect.0.borrow_mut().actual.connectors.insert(
        "by-hand".into(),
        ActualConnector {
            state: Some("RUNNING".into()),
            ..Default::default()
        },
    );
    let mut s = world();
    s.relations
        .push(kafka_relation("source", 6, "kafka-c", "c"));
    s.secrets.insert(
        "secret:c-user".into(),
        secret(&[("username", "relation-6"), ("password", "pw-c")]),
    );
    s.secrets
        .insert("secret:c-tls".into(), secret(&[("tls-ca", PEM)]));
    // connect-client's user secret shares the id "secret:c-user" in this fixture; give Connect its own.
    s.relations[2]
        .remote_app_data
        .insert("secret-user".into(), "secret:connect-user".into());
    s.secrets.insert(
        "secret:connect-user".into(),
        secret(&[("username", "relation-5"), ("password", "pw-connect")]),
    );
    let s = run(s, &hook("config-changed", None), &connect);
    assert_eq!(connect.0.borrow().writes.len(), 6);
    connect.0.borrow_mut().writes.clear();

    let out = run(
        s,
        &hook("source-relation-broken", Some(("source", 6, "kafka-c"))),
        &connect,
    );
    assert_eq!(
        connect.0.borrow().writes,
        vec![
            format!("DELETE {}", name("heartbeat", "kafka-c")),
            format!("DELETE {}", name("checkpoint", "kafka-c")),
            format!("DELETE {}", name("source", "kafka-c")),
        ]
    );
    assert!(connect.0.borrow().actual.connectors.contains_key("by-hand"));
    assert!(connect
        .0
        .borrow()
        .actual
        .connectors
        .contains_key(&name("source", "kafka-a")));
    drop(out);
}

// Proves a non-leader writes nothing: no relation request, no Connect write, no app status.
#[test]
fn follower_writes_nothing() {
    let connect = FakeConnect::default();
    let mut s = world();
    s.leader = false;
    let out = run(s, &hook("config-changed", None), &connect);
    assert!(connect.0.borrow().writes.is_empty());
    assert!(out.relations.iter().all(|r| r.local_app.is_empty()));
    assert!(out.app_status.is_none());
    assert!(
        !out.calls.iter().any(|c| c.starts_with("relation-set")),
        "{:?}",
        out.calls
    );
}

// Proves Connect's validation errors block with the connector named, and nothing is written.
#[test]
fn validation_errors_block_before_writing() {
    let connect = FakeConnect::default();
    connect.0.borrow_mut().validation_errors = vec!["Missing required configuration \"x\"".into()];
    let out = run(world(), &hook("config-changed", None), &connect);
    assert!(connect.0.borrow().writes.is_empty());
    let st = out.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Blocked);
    assert!(
        st.message
            .contains("Kafka Connect rejects mirror_source_kafka-a"),
        "{st}"
    );
}

// Proves no password reaches a status, a log line or a hook-tool call line.
#[test]
fn secrets_never_leave() {
    let connect = FakeConnect::default();
    let out = run(world(), &hook("config-changed", None), &connect);
    let mut text = format!("{:?} {:?} {:?}", out.unit_status, out.app_status, out.calls);
    for (_, l) in &out.logs {
        text.push_str(l);
    }
    assert!(
        !text.contains("pw-kafka-secret") && !text.contains("pw-connect-secret"),
        "{text}"
    );
}

// Proves the connect-client relation going away is not undone: Charmed Kafka Connect deletes
// our connectors when the relation's last remote unit departs, and our `-departed` hook must
// not re-create them (nobody would delete them again). Status says the relation is missing.
#[test]
fn departing_connect_relation_is_not_written_to() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    connect.0.borrow_mut().actual.connectors.clear(); // Kafka Connect's clean-up
    let vars = [
        ("JUJU_UNIT_NAME", "mirrormaker/0"),
        ("JUJU_MODEL_UUID", UUID),
        (
            "JUJU_DISPATCH_PATH",
            "hooks/connect-client-relation-departed",
        ),
        ("JUJU_RELATION_ID", "connect-client:5"),
        ("JUJU_REMOTE_APP", "kafka-connect"),
        ("JUJU_REMOTE_UNIT", "kafka-connect/0"),
        ("JUJU_DEPARTING_UNIT", "kafka-connect/0"),
    ];
    let event = mirrormaker_integrator::juju::Event::from_vars(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    let out = run(s, &event, &connect);
    assert!(
        connect.take_writes().is_empty(),
        "connectors re-created during departed"
    );
    let st = out.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Blocked, "{st}");
    assert!(st.message.contains("connect-client"), "{st}");
}
