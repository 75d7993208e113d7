//! Table and property tests of `plan`.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

const UUID: &str = "0123abcd-4567-89ef-0123-456789abcdef";
const HEX: &str = "0123abcd456789ef0123456789abcdef";
const SECRET: &str = "Sup3r-S3cret-PW";

fn owner() -> Owner {
    Owner::new(7, UUID).unwrap()
}

fn name(kind: ConnectorKind, alias: &str) -> String {
    crate::mirror::connector_name(kind, alias, 7, HEX)
}

fn config(tasks: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("tasks.max".to_string(), tasks.to_string()),
        (
            "source.cluster.sasl.jaas.config".to_string(),
            format!("ScramLoginModule required username=\"u\" password=\"{SECRET}\";"),
        ),
        (
            "producer.override.ssl.truststore.certificates".to_string(),
            "-----BEGIN CERTIFICATE-----X".to_string(),
        ),
    ])
}

fn want(kind: ConnectorKind, alias: &str, tasks: &str) -> DesiredConnector {
    DesiredConnector {
        name: name(kind, alias),
        kind,
        source_alias: alias.into(),
        config: config(tasks),
    }
}

fn stored(name: &str, mut c: BTreeMap<String, String>) -> (String, ActualConnector) {
    c.insert("name".into(), name.into());
    (
        name.to_string(),
        ActualConnector {
            config: c,
            state: Some("RUNNING".into()),
            ..Default::default()
        },
    )
}

fn actual(items: Vec<(String, ActualConnector)>) -> Actual {
    Actual {
        connectors: items.into_iter().collect(),
    }
}

use ConnectorKind::{Checkpoint, Heartbeat, Source};

// proves ownership needs both the mirror_ prefix and our exact suffix
#[test]
fn owner_matches_prefix_and_suffix() {
    let o = owner();
    assert_eq!(o.suffix(), format!("_r7_{HEX}"));
    assert!(o.owns(&name(Source, "kafka-a")));
    assert!(
        !o.owns(&format!("mirror_source_kafka-a_r17_{HEX}")),
        "other relation id"
    );
    assert!(
        !o.owns(&format!("mirror_source_kafka-a_r7_{}", "f".repeat(32))),
        "other model"
    );
    assert!(
        !o.owns(&format!("other_source_kafka-a_r7_{HEX}")),
        "other prefix"
    );
    assert!(
        !o.owns(&format!("mirror_r7_{HEX}")),
        "prefix and suffix overlap"
    );
    assert!(Owner::new(7, "not-a-uuid").is_err());
}

/// (what, desired, actual, expected (name, action, reason) steps)
type Case<'a> = (
    &'a str,
    Vec<DesiredConnector>,
    Actual,
    Vec<(&'a str, Action, Reason)>,
);

// proves the table of single-connector situations: create, no-op, drift, delete, foreign
#[test]
fn table() {
    let o = owner();
    let a = name(Source, "kafka-a");
    let cases: Vec<Case> = vec![
        ("empty both", vec![], actual(vec![]), vec![]),
        (
            "missing → create",
            vec![want(Source, "kafka-a", "4")],
            actual(vec![]),
            vec![(
                &a,
                Action::Create(Config(config("4"))),
                Reason::NotInConnect,
            )],
        ),
        (
            "same (name key ignored) → nothing",
            vec![want(Source, "kafka-a", "4")],
            actual(vec![stored(&a, config("4"))]),
            vec![],
        ),
        (
            "value differs → update",
            vec![want(Source, "kafka-a", "4")],
            actual(vec![stored(&a, config("1"))]),
            vec![(&a, Action::Update(Config(config("4"))), Reason::ConfigDrift)],
        ),
        (
            "extra stored key → update",
            vec![want(Source, "kafka-a", "4")],
            actual(vec![stored(&a, {
                let mut c = config("4");
                c.insert("offset.lag.max".into(), "1".into());
                c
            })]),
            vec![(&a, Action::Update(Config(config("4"))), Reason::ConfigDrift)],
        ),
        (
            "owned, not desired → delete",
            vec![],
            actual(vec![stored(&a, config("4"))]),
            vec![(&a, Action::Delete, Reason::NotDesired)],
        ),
        (
            "foreign connectors are never touched",
            vec![],
            actual(vec![
                stored("mm2-source", config("1")),
                stored(&format!("mirror_source_kafka-a_r8_{HEX}"), config("1")),
                stored(
                    &format!("mirror_source_kafka-a_r7_{}", "e".repeat(32)),
                    config("1"),
                ),
            ]),
            vec![],
        ),
    ];
    for (what, desired, actual, expected) in cases {
        let p = plan(&desired, &actual, &o);
        let got: Vec<_> = p
            .steps
            .iter()
            .map(|s| (s.name.as_str(), s.action.clone(), s.reason))
            .collect();
        assert_eq!(got, expected, "{what}");
    }
}

// proves an update lists exactly the changed keys, with secret values masked
#[test]
fn update_changes_are_masked() {
    let a = name(Source, "kafka-a");
    let mut old = config("1");
    old.insert(
        "source.cluster.sasl.jaas.config".into(),
        "password=\"old-secret\"".into(),
    );
    old.insert("gone".into(), "x".into());
    let p = plan(
        &[want(Source, "kafka-a", "4")],
        &actual(vec![stored(&a, old)]),
        &owner(),
    );
    let changes = &p.steps[0].changes;
    let keys: Vec<_> = changes.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        vec!["gone", "source.cluster.sasl.jaas.config", "tasks.max"]
    );
    assert_eq!(changes[2].before.as_deref(), Some("1"));
    assert_eq!(changes[2].after.as_deref(), Some("4"));
    assert_eq!(changes[1].after.as_deref(), Some("<redacted>"));
    assert_eq!(changes[0].after, None);
    let shown = format!("{p}\n{p:?}");
    assert!(
        !shown.contains("old-secret") && !shown.contains(SECRET),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "~ update {a} (config_drift)\n    gone: \"x\" -> (unset)"
        )),
        "{shown}"
    );
}

// proves creates go source → checkpoint → heartbeat and deletes go heartbeat → checkpoint → source
#[test]
fn dependency_order() {
    let desired = vec![
        want(Heartbeat, "kafka-a", "1"),
        want(Checkpoint, "kafka-a", "1"),
        want(Source, "kafka-a", "4"),
    ];
    let p = plan(&desired, &Actual::default(), &owner());
    let kinds: Vec<_> = p.steps.iter().map(|s| s.kind.unwrap()).collect();
    assert_eq!(kinds, vec![Source, Checkpoint, Heartbeat]);

    let all = actual(
        [Source, Checkpoint, Heartbeat]
            .iter()
            .map(|k| stored(&name(*k, "kafka-c"), config("1")))
            .collect(),
    );
    let p = plan(&[], &all, &owner());
    let kinds: Vec<_> = p.steps.iter().map(|s| s.kind.unwrap()).collect();
    assert_eq!(kinds, vec![Heartbeat, Checkpoint, Source]);
    assert!(p.steps.iter().all(|s| s.action == Action::Delete));
}

// proves a hold plan has no steps and explains itself with a stable reason name
#[test]
fn hold_plan() {
    let p = Plan::hold(
        HoldReason::InputsIncomplete,
        "waiting for the target relation",
    );
    assert!(p.is_empty());
    assert_eq!(
        p.to_string(),
        "hold (inputs_incomplete): waiting for the target relation"
    );
    assert_eq!(
        Plan::default().to_string(),
        "no changes: Kafka Connect matches the desired connectors"
    );
}

// proves the Display of a mixed plan is the Terraform-like summary
#[test]
fn display_summary() {
    let a = name(Source, "kafka-a");
    let c = name(Heartbeat, "kafka-c");
    let p = plan(
        &[want(Source, "kafka-a", "4")],
        &actual(vec![stored(&c, config("1"))]),
        &owner(),
    );
    assert_eq!(
        p.to_string(),
        format!("+ create {a} (not_in_connect)\n- delete {c} (not_desired)")
    );
}

// ---- properties ----

const ALIASES: [&str; 3] = ["kafka-a", "kafka-b", "kafka-c"];

fn arb_desired() -> impl Strategy<Value = Vec<DesiredConnector>> {
    proptest::collection::btree_map((0usize..3, 0usize..3), 1u8..4, 0..9).prop_map(|m| {
        m.into_iter()
            .map(|((k, a), t)| want(ConnectorKind::ALL[k], ALIASES[a], &t.to_string()))
            .collect()
    })
}

fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        (0usize..3, 0usize..3).prop_map(|(k, a)| name(ConnectorKind::ALL[k], ALIASES[a])),
        Just(format!("mirror_source_kafka-a_r17_{HEX}")),
        Just(format!("mirror_source_kafka-a_r7_{}", "d".repeat(32))),
        Just(format!("mirror_unknown_x_r7_{HEX}")),
        Just("mm2-kafka-a-to-kafka-b-source".to_string()),
        Just(format!("MIRROR_source_kafka-a_r7_{HEX}")),
        "[a-z_]{1,12}",
    ]
}

fn arb_actual() -> impl Strategy<Value = Actual> {
    proptest::collection::btree_map(arb_name(), (1u8..4, any::<bool>()), 0..10).prop_map(|m| {
        Actual {
            connectors: m
                .into_iter()
                .map(|(n, (t, with_extra))| {
                    let mut c = config(&t.to_string());
                    if with_extra {
                        c.insert("stray".into(), "1".into());
                    }
                    stored(&n, c)
                })
                .collect(),
        }
    })
}

proptest! {
    // proves convergence: after applying any plan, planning again yields no step
    #[test]
    fn convergence(desired in arb_desired(), mut act in arb_actual()) {
        let p = plan(&desired, &act, &owner());
        apply_to(&p, &mut act);
        let again = plan(&desired, &act, &owner());
        prop_assert!(again.is_empty(), "{}", again);
    }

    // proves ownership: foreign connectors never appear in a plan and survive apply unchanged
    #[test]
    fn ownership(desired in arb_desired(), act in arb_actual()) {
        let o = owner();
        let p = plan(&desired, &act, &o);
        prop_assert!(p.steps.iter().all(|s| o.owns(&s.name)));
        let mut after = act.clone();
        apply_to(&p, &mut after);
        for (n, c) in act.connectors.iter().filter(|(n, _)| !o.owns(n)) {
            prop_assert_eq!(after.connectors.get(n), Some(c));
        }
    }

    // proves idempotence: plan is deterministic, and applying it twice equals applying it once
    #[test]
    fn idempotence(desired in arb_desired(), act in arb_actual()) {
        let p = plan(&desired, &act, &owner());
        prop_assert_eq!(&p, &plan(&desired, &act, &owner()));
        let mut once = act.clone();
        apply_to(&p, &mut once);
        let mut twice = once.clone();
        apply_to(&p, &mut twice);
        prop_assert_eq!(once, twice);
    }

    // proves no plan's Display or Debug contains a password or PEM body
    #[test]
    fn no_secret_in_plan(desired in arb_desired(), act in arb_actual()) {
        let p = plan(&desired, &act, &owner());
        let shown = format!("{p}\n{p:?}\n{act:?}");
        prop_assert!(!shown.contains(SECRET));
        prop_assert!(!shown.contains("BEGIN CERTIFICATE"));
    }
}

// ---- requests: operator intent, resume, restart ----

fn running(name: &str, tasks: &[&str]) -> (String, ActualConnector) {
    let (n, mut c) = stored(name, config("4"));
    c.tasks = tasks
        .iter()
        .enumerate()
        .map(|(i, s)| TaskState {
            id: i as u32,
            state: (*s).into(),
            ..Default::default()
        })
        .collect();
    (n, c)
}

// proves an intent plans Pause/Stop only where Connect disagrees, after creates, with the state change shown
#[test]
fn intent_plans_pause_and_stop_where_state_differs() {
    let a = name(Source, "kafka-a");
    let h = name(Heartbeat, "kafka-a");
    let c = name(Checkpoint, "kafka-a");
    let mut paused = running(&c, &["PAUSED"]);
    paused.1.state = Some("PAUSED".into());
    let act = actual(vec![running(&a, &["RUNNING"]), paused]);
    let req = Requests {
        intent: BTreeMap::from([
            (a.clone(), Intent::Stopped),
            (c.clone(), Intent::Paused),
            (h.clone(), Intent::Paused),
        ]),
        ..Default::default()
    };
    let desired = [
        want(Source, "kafka-a", "4"),
        want(Checkpoint, "kafka-a", "4"),
        want(Heartbeat, "kafka-a", "4"),
    ];
    let p = plan_with(&desired, &act, &owner(), &req);
    assert_eq!(
        p.to_string(),
        format!(
            "+ create {h} (not_in_connect)\n# stop {a} (operator_stopped)\n    state: \"RUNNING\" -> \"STOPPED\"\n= pause {h} (operator_paused)\n    state: \"(none)\" -> \"PAUSED\""
        )
    );
    let mut after = act.clone();
    apply_to(&p, &mut after);
    assert!(plan_with(&desired, &after, &owner(), &req).is_empty());
}

// proves resume only touches PAUSED/STOPPED connectors, and an intent wins over a resume
#[test]
fn resume_only_where_paused_or_stopped() {
    let a = name(Source, "kafka-a");
    let c = name(Checkpoint, "kafka-a");
    let mut stopped = running(&a, &[]);
    stopped.1.state = Some("STOPPED".into());
    let act = actual(vec![stopped, running(&c, &["RUNNING"])]);
    let desired = [
        want(Source, "kafka-a", "4"),
        want(Checkpoint, "kafka-a", "4"),
    ];
    let req = Requests {
        resume: BTreeSet::from([a.clone(), c.clone()]),
        ..Default::default()
    };
    let p = plan_with(&desired, &act, &owner(), &req);
    assert_eq!(
        summary(&p),
        vec![(a.as_str(), Action::Resume, Reason::OperatorResumed)]
    );
    let held = Requests {
        intent: BTreeMap::from([(a.clone(), Intent::Stopped)]),
        ..req
    };
    assert!(plan_with(&desired, &act, &owner(), &held).is_empty());
}

// proves only-failed restarts skip healthy connectors; a full restart does not
#[test]
fn restart_only_failed_skips_healthy() {
    let a = name(Source, "kafka-a");
    let c = name(Checkpoint, "kafka-a");
    let act = actual(vec![
        running(&a, &["RUNNING", "FAILED"]),
        running(&c, &["RUNNING"]),
    ]);
    let desired = [
        want(Source, "kafka-a", "4"),
        want(Checkpoint, "kafka-a", "4"),
    ];
    let restart = |only_failed| RestartRequest {
        include_tasks: true,
        only_failed,
        reason: Reason::OperatorRestart,
    };
    let req = |only_failed| Requests {
        restart: BTreeMap::from([
            (a.clone(), restart(only_failed)),
            (c.clone(), restart(only_failed)),
        ]),
        ..Default::default()
    };
    let p = plan_with(&desired, &act, &owner(), &req(true));
    assert_eq!(p.steps.len(), 1);
    assert_eq!(
        p.to_string(),
        format!("* restart {a} (operator_restart)\n    includeTasks=true onlyFailed=true")
    );
    let mut after = act.clone();
    apply_to(&p, &mut after);
    assert!(!after.connectors[&a].any_failed());
    assert_eq!(
        plan_with(&desired, &act, &owner(), &req(false)).steps.len(),
        2
    );
}

fn summary(p: &Plan) -> Vec<(&str, Action, Reason)> {
    p.steps
        .iter()
        .map(|s| (s.name.as_str(), s.action.clone(), s.reason))
        .collect()
}

fn arb_intents() -> impl Strategy<Value = BTreeMap<String, Intent>> {
    proptest::collection::btree_map(
        arb_name(),
        prop_oneof![Just(Intent::Paused), Just(Intent::Stopped)],
        0..6,
    )
}

proptest! {
    // proves intents converge (apply, re-plan ⇒ nothing) and never name a foreign connector
    #[test]
    fn intents_converge_and_stay_owned(desired in arb_desired(), mut act in arb_actual(), intent in arb_intents()) {
        let o = owner();
        let req = Requests { intent, ..Default::default() };
        let p = plan_with(&desired, &act, &o, &req);
        prop_assert!(p.steps.iter().all(|s| o.owns(&s.name)));
        prop_assert!(p.steps.iter().all(|s| s.action != Action::Resume));
        apply_to(&p, &mut act);
        let again = plan_with(&desired, &act, &o, &req);
        prop_assert!(again.is_empty(), "{}", again);
    }
}

// proves Connect's state names parse to their variants and back, and an unknown one is kept by
// name (never mistaken for a known state)
#[test]
fn run_state_round_trip() {
    for name in [
        "RUNNING",
        "PAUSED",
        "STOPPED",
        "FAILED",
        "UNASSIGNED",
        "RESTARTING",
    ] {
        let s = RunState::parse(name);
        assert!(!matches!(s, RunState::Other(_)), "{name}");
        assert_eq!(s.as_str(), name);
    }
    assert_eq!(
        RunState::parse("DESTROYED"),
        RunState::Other("DESTROYED".into())
    );
    assert_eq!(
        RunState::parse("running"),
        RunState::Other("running".into())
    );
}

// Proves a connector stored with `topics` spaced differently (an older charm wrote `a,b`,
// this one renders `a, b`) gets no update — Kafka reads both as the same list — while a
// real change to the list still does.
#[test]
fn list_spacing_is_not_drift() {
    let mut d = want(Source, "kafka-a", "1");
    d.config
        .insert("topics".into(), "orders\\..*, invoices".into());
    let mut stored_config = d.config.clone();
    stored_config.insert("topics".into(), "orders\\..*,invoices".into());
    let a = actual(vec![stored(&d.name, stored_config.clone())]);
    assert!(plan(std::slice::from_ref(&d), &a, &owner()).is_empty());
    stored_config.insert("topics".into(), "orders\\..*".into());
    let a = actual(vec![stored(&d.name, stored_config)]);
    assert_eq!(plan(&[d], &a, &owner()).steps.len(), 1);
}
