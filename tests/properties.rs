//! Property tests of the whole pass (issue 14, item 7), in-process: the charm's own observe →
//! decide → plan → apply against the in-memory Connect, on generated worlds. The planner's
//! own properties (convergence, ownership, idempotence on arbitrary Actual) are in
//! src/plan/tests.rs; these hold them end to end, through config parsing, relation reading
//! and the driver.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::plan::ActualConnector;
use proptest::prelude::*;
use serde_json::Value;

/// Texts a hostile or broken provider or operator might send, and arbitrary ones.
fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just("${file:/etc/passwd:x}".to_string()),
        Just("http://user:pw@127.0.0.1:8083".to_string()),
        Just("SASL_SSL://127.0.0.1:9092;x".to_string()),
        Just("secret:b-user".to_string()),
        Just("secret:nope".to_string()),
        Just("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----".to_string()),
        Just("\u{1b}[31mred\u{7}".to_string()),
        Just("enabled".to_string()),
        "\\PC{0,24}",
    ]
}

/// One edit of the converged world's inputs; relations themselves are never removed (a
/// relation that leaves takes its connectors: that delete is right).
#[derive(Debug, Clone)]
enum Edit {
    /// Relation 0..3 (source, target, connect-client): a databag field set or removed.
    Bag(usize, &'static str, Option<String>),
    /// A secret's `password`/`username` set or removed, or the whole secret gone.
    Secret(&'static str, Option<(&'static str, Option<String>)>),
    /// An option set to text, a number or a boolean. `heartbeats` and `emit-checkpoints`
    /// get only values they refuse (valid ones may rightly drop a connector).
    Config(&'static str, Value),
}

fn arb_edit() -> impl Strategy<Value = Edit> {
    let fields = prop::sample::select(vec![
        "endpoints",
        "secret-user",
        "secret-tls",
        "tls",
        "tls-ca",
        "username",
        "password",
    ]);
    let secrets = prop::sample::select(vec![
        "secret:a-user",
        "secret:b-user",
        "secret:c-user",
        "secret:a-tls",
    ]);
    let options = prop::sample::select(vec![
        "topics",
        "topics-exclude",
        "groups",
        "replication-policy",
        "replication-separator",
        "tasks-max",
        "replication-factor",
        "start-position",
        "extra-source-config",
        "extra-checkpoint-config",
        "refresh-topics-interval",
        "sync-group-offsets",
    ]);
    let value = prop_oneof![
        arb_text().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
    ];
    prop_oneof![
        (0usize..3, fields, prop::option::of(arb_text())).prop_map(|(r, f, v)| Edit::Bag(r, f, v)),
        (
            secrets,
            prop::option::of((
                prop::sample::select(vec!["password", "username", "tls-ca"]),
                prop::option::of(arb_text())
            ))
        )
            .prop_map(|(s, e)| Edit::Secret(s, e)),
        (options, value).prop_map(|(k, v)| Edit::Config(k, v)),
        arb_text()
            .prop_filter("refused", |t| !["reverse", "forward", "off"]
                .contains(&t.as_str()))
            .prop_map(|t| Edit::Config("heartbeats", Value::from(t))),
        arb_text().prop_map(|t| Edit::Config("emit-checkpoints", Value::from(t))),
    ]
}

fn apply(s: &mut mirrormaker_integrator::juju::memory::State, e: &Edit) {
    match e {
        Edit::Bag(r, f, v) => {
            let bag = &mut s.relations[*r].remote_app_data;
            match v {
                Some(v) => drop(bag.insert(f.to_string(), v.clone())),
                None => drop(bag.remove(*f)),
            }
        }
        Edit::Secret(id, None) => drop(s.secrets.remove(*id)),
        Edit::Secret(id, Some((k, v))) => {
            if let Some(rev) = s.secrets.get_mut(*id).and_then(|r| r.revisions.last_mut()) {
                match v {
                    Some(v) => drop(rev.insert(k.to_string(), v.clone())),
                    None => drop(rev.remove(*k)),
                }
            }
        }
        Edit::Config(k, v) => drop(s.config.insert(k.to_string(), v.clone())),
    }
}

/// Names a foreign application's connectors might have: another model, another relation,
/// another prefix, case, or nothing like ours.
fn arb_foreign() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            Just(format!("mirror_source_kafka-a_r5_{}", "d".repeat(32))),
            Just(format!("mirror_source_kafka-a_r6_{UUID_HEX}")),
            Just(format!("MIRROR_source_kafka-a_r5_{UUID_HEX}")),
            Just(format!("mirror_source_kafka-a_r5_{UUID_HEX}x")),
            Just("mm2-kafka-a-to-kafka-b-source".to_string()),
            "[a-z_]{1,16}",
        ],
        0..5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    // Proves invalid or incomplete input never produces a delete: from a converged world, any
    // set of edits to databags, secrets and options (relations kept) is followed by a hook
    // that writes no DELETE to Connect.
    #[test]
    fn invalid_input_never_deletes(edits in prop::collection::vec(arb_edit(), 1..5)) {
        let connect = FakeConnect::default();
        let mut s = converged(&connect);
        for e in &edits {
            apply(&mut s, e);
        }
        let s = run(s, &hook("config-changed", None), &connect);
        let s = run(s, &hook("update-status", None), &connect);
        let writes = connect.writes();
        prop_assert!(
            writes.iter().all(|w| !w.starts_with("DELETE")),
            "{edits:?} deleted: {writes:?} (status {:?})", s.unit_status
        );
    }

    // Proves foreign connectors are never in a plan: whatever else is on Connect, hooks and
    // every writing action name only our three connectors, and the foreign ones stay as they
    // were.
    #[test]
    fn foreign_connectors_never_touched(foreign in arb_foreign()) {
        let connect = FakeConnect::default();
        for n in &foreign {
            let c = ActualConnector { state: Some("RUNNING".into()), ..Default::default() };
            connect.0.borrow_mut().actual.connectors.insert(n.clone(), c);
        }
        // In the shape `converged` leaves every connector in (running on a worker).
        all_running(&connect);
        let before = connect.0.borrow().actual.clone();
        let mut s = converged(&connect);
        for (a, p) in [("pause", "{}"), ("stop", "{}"), ("resume", "{}"), ("restart", r#"{"only-failed": false}"#)] {
            s = run_action(s, a, serde_json::from_str(p).unwrap(), &connect, T0);
        }
        let s = run(s, &hook("update-status", None), &connect);
        let ours = ["source", "checkpoint", "heartbeat"].map(|k| name(k, "kafka-a"));
        for w in connect.writes() {
            let target = w.split_whitespace().nth(1).unwrap_or("");
            prop_assert!(ours.contains(&target.to_string()), "wrote to {target}: {w}");
        }
        let after = connect.0.borrow().actual.clone();
        for n in &foreign {
            prop_assert_eq!(after.connectors.get(n), before.connectors.get(n));
        }
        drop(s);
    }

    // Proves plan then re-plan is empty end to end: for any valid configuration, once the
    // leader converged, the next hook writes nothing and the `plan` action shows no changes.
    #[test]
    fn converged_replan_is_empty(
        topics in prop::sample::select(vec![".*", "orders\\..*", "a,b , c", " orders\\..* "]),
        tasks in 1i64..12,
        heartbeats in prop::sample::select(vec!["reverse", "forward", "off"]),
        checkpoints in any::<bool>(),
        policy in prop::sample::select(vec!["default", "identity"]),
        extra in prop::sample::select(vec!["", r#"{"offset.lag.max": "100"}"#]),
    ) {
        let connect = FakeConnect::default();
        let mut w = world();
        for (k, v) in [
            ("topics", Value::from(topics)),
            ("tasks-max", Value::from(tasks)),
            ("heartbeats", Value::from(heartbeats)),
            ("emit-checkpoints", Value::from(checkpoints)),
            ("sync-group-offsets", Value::from(checkpoints)),
            ("replication-policy", Value::from(policy)),
            ("extra-source-config", Value::from(extra)),
        ] {
            w.config.insert(k.into(), v);
        }
        let s = converge(w, &connect);
        prop_assert!(!connect.0.borrow().actual.connectors.is_empty());
        let s = run(s, &hook("update-status", None), &connect);
        prop_assert_eq!(connect.writes(), Vec::<String>::new());
        let s = run_action(s, "plan", serde_json::json!({}), &connect, T0);
        let plan = s.action_results.get("result").cloned().unwrap_or_default();
        prop_assert!(plan.starts_with("no changes"), "{}", plan);
    }
}
