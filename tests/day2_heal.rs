//! Self-healing and truthful statuses in-process: the leader walks a FAILED task through the
//! auto-restart schedule hook by hook (time injected, never slept), keeps the counters in the
//! peer data across a leader change, gives up at `auto-restart-max` with a blocked status,
//! resets after an hour RUNNING; waiting states carry their age.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::juju::memory::State;
use mirrormaker_integrator::juju::{Status, StatusKind};
use serde_json::json;

fn restarts(connect: &FakeConnect) -> usize {
    connect
        .take_writes()
        .iter()
        .filter(|w| w.starts_with("RESTART"))
        .count()
}

fn status(s: &State) -> (StatusKind, String) {
    let st = s.unit_status.clone().unwrap();
    (st.kind, st.message)
}

// Proves the schedule through real hooks: restarts at minutes 0, 2, 8, 20 (max 4), statuses
// say which restart comes when, the counter survives a leader change (peer data), and after
// the last one the status is blocked naming the connector and the manual fix.
#[test]
fn failing_task_walks_the_schedule_across_a_leader_change_then_blocks() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    s.config.insert("auto-restart-max".into(), json!(4));
    let src = name("source", "kafka-a");
    let short_src = short("source", "kafka-a");
    connect.0.borrow_mut().sticky_failure = true;
    connect.fail_task(&src, 0);
    // What failed, what the charm does next, then the cause (cut at 120 by status-set).
    let failed = |next: &str| {
        Status::new(
            StatusKind::Waiting,
            format!("{short_src} task 0 FAILED; {next}: SaslAuthenticationException: Authentication failed during authentication due to invalid credentials (<redacted>)"),
        )
        .for_juju()
    };

    let mut at = Vec::new();
    let mut messages = Vec::new();
    for minute in 0..=30u64 {
        if minute == 5 {
            // Leader change between restart 2 and 3: unit 1 takes over with the peer data.
            let (_, mut unit1) = leader_moves(&s);
            share_peer(&s, &mut unit1);
            s = unit1;
        }
        s = run_at(s, &hook("update-status", None), &connect, T0 + 60 * minute);
        if restarts(&connect) > 0 {
            at.push(minute);
        }
        messages.push(status(&s));
    }
    assert_eq!(at, vec![0, 2, 8, 20]);
    assert_eq!(
        messages[0],
        (
            StatusKind::Waiting,
            failed("auto-restart 1/4 issued at 17:00 UTC")
        )
    );
    assert_eq!(
        messages[1],
        (StatusKind::Waiting, failed("auto-restart 2/4 at 17:02 UTC"))
    );
    assert_eq!(
        messages[9],
        (StatusKind::Waiting, failed("auto-restart 4/4 at 17:20 UTC"))
    );
    println!("status after restart 2: {:?}", messages[3]);
    assert_eq!(
        messages[30],
        (
            StatusKind::Blocked,
            failed("auto-restart gave up after 4 restarts, juju run mirrormaker/leader restart")
        )
    );
    let bag = peer_bag(&s);
    assert!(bag["auto-restart"].contains("\"restarts\":4"), "{bag:?}");

    // The status action shows the count; a manual restart resets it and self-healing resumes.
    let out = run_action(s, "status", json!({}), &connect, T0 + 31 * 60);
    show(
        "juju run mirrormaker/leader status   # auto-restart gave up",
        &out,
    );
    connect.0.borrow_mut().sticky_failure = false;
    let out = run_action(out, "restart", json!({}), &connect, T0 + 32 * 60);
    show(
        "juju run mirrormaker/leader restart   # after auto-restart gave up",
        &out,
    );
    assert_eq!(restarts(&connect), 1);
    assert!(
        !peer_bag(&out).contains_key("auto-restart"),
        "{:?}",
        peer_bag(&out)
    );
    assert_eq!(status(&out).0, StatusKind::Active);
}

// Proves the counter resets only after an hour of everything RUNNING.
#[test]
fn counter_resets_after_a_stable_hour() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    let src = name("source", "kafka-a");
    connect.fail_task(&src, 0);
    s = run_at(s, &hook("update-status", None), &connect, T0);
    assert_eq!(restarts(&connect), 1);
    // Connect recovered it (non-sticky fake); 59 minutes RUNNING keep the count.
    s = run_at(s, &hook("update-status", None), &connect, T0 + 60);
    s = run_at(s, &hook("update-status", None), &connect, T0 + 60 + 59 * 60);
    assert!(peer_bag(&s)["auto-restart"].contains("\"restarts\":1"));
    s = run_at(s, &hook("update-status", None), &connect, T0 + 60 + 60 * 60);
    assert!(
        !peer_bag(&s).contains_key("auto-restart"),
        "{:?}",
        peer_bag(&s)
    );
    // A new failure is restart 1 again, at once.
    connect.fail_task(&src, 0);
    s = run_at(s, &hook("update-status", None), &connect, T0 + 2 * 3600);
    assert_eq!(restarts(&connect), 1);
    assert!(peer_bag(&s)["auto-restart"].contains("\"restarts\":1"));
}

// Proves auto-restart=false never restarts and blocks with the manual command; a follower
// never restarts either but reports the leader's schedule.
#[test]
fn disabled_and_follower_never_restart() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    let src = name("source", "kafka-a");
    connect.0.borrow_mut().sticky_failure = true;
    connect.fail_task(&src, 0);
    s = run_at(s, &hook("update-status", None), &connect, T0);
    assert_eq!(restarts(&connect), 1);
    let (mut follower, _) = leader_moves(&s);
    follower = run_at(follower, &hook("update-status", None), &connect, T0 + 60);
    assert_eq!(restarts(&connect), 0);
    let (kind, msg) = status(&follower);
    assert_eq!(kind, StatusKind::Waiting);
    assert!(msg.contains("; auto-restart 2/10 at 17:02 UTC: "), "{msg}");

    s.config.insert("auto-restart".into(), json!(false));
    s = run_at(s, &hook("config-changed", None), &connect, T0 + 600);
    assert_eq!(restarts(&connect), 0);
    let (kind, msg) = status(&s);
    assert_eq!(kind, StatusKind::Blocked);
    assert!(
        msg.contains("; auto-restart is off, juju run mirrormaker/leader restart: "),
        "{msg}"
    );
}

// Proves an operator-paused connector is never auto-restarted.
#[test]
fn paused_connectors_are_not_auto_restarted() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let s = run_action(s, "stop", json!({"connector": "checkpoint"}), &connect, T0);
    connect.take_writes();
    let ck = name("checkpoint", "kafka-a");
    connect
        .0
        .borrow_mut()
        .actual
        .connectors
        .get_mut(&ck)
        .unwrap()
        .state = Some("FAILED".into());
    let out = run_at(s, &hook("update-status", None), &connect, T0 + 300);
    assert_eq!(restarts(&connect), 0);
    // The charm stops it (Connect allows FAILED -> STOPPED) and says how to release it.
    assert_eq!(connect.state_of(&ck).as_deref(), Some("STOPPED"));
    let out = run_at(out, &hook("update-status", None), &connect, T0 + 600);
    assert_eq!(
        status(&out),
        (
            StatusKind::Maintenance,
            format!(
                "{} stopped by the operator (juju run mirrormaker/leader resume)",
                short("checkpoint", "kafka-a")
            )
        )
    );
}

// Proves UNASSIGNED and RUNNING-with-no-tasks are waiting with their age, measured from when
// the leader first saw them (peer data), also on a follower.
#[test]
fn waiting_states_carry_their_age() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    let src = name("source", "kafka-a");
    let short_src = short("source", "kafka-a");
    connect
        .0
        .borrow_mut()
        .actual
        .connectors
        .get_mut(&src)
        .unwrap()
        .state = Some("UNASSIGNED".into());
    s = run_at(s, &hook("update-status", None), &connect, T0 + 100);
    assert_eq!(
        status(&s),
        (
            StatusKind::Waiting,
            format!("{short_src} UNASSIGNED for 0s")
        )
    );
    s = run_at(s, &hook("update-status", None), &connect, T0 + 100 + 300);
    assert_eq!(
        status(&s),
        (
            StatusKind::Waiting,
            format!("{short_src} UNASSIGNED for 5m")
        )
    );
    let (follower, _) = leader_moves(&s);
    let follower = run_at(
        follower,
        &hook("update-status", None),
        &connect,
        T0 + 100 + 600,
    );
    assert_eq!(
        status(&follower),
        (
            StatusKind::Waiting,
            format!("{short_src} UNASSIGNED for 10m")
        )
    );

    {
        let mut c = connect.0.borrow_mut();
        let x = c.actual.connectors.get_mut(&src).unwrap();
        x.state = Some("RUNNING".into());
        x.tasks.clear();
    }
    s = run_at(s, &hook("update-status", None), &connect, T0 + 1000);
    s = run_at(s, &hook("update-status", None), &connect, T0 + 1000 + 3900);
    assert_eq!(
        status(&s),
        (
            StatusKind::Waiting,
            format!("{short_src} RUNNING with no tasks for 1h05m (no matching topic, or a cluster unreachable)")
        )
    );
    // A checkpoint connector without tasks is normal.
    {
        let mut c = connect.0.borrow_mut();
        c.actual.connectors.get_mut(&src).unwrap().tasks = vec![Default::default()];
        c.actual.connectors.get_mut(&src).unwrap().tasks[0].state = "RUNNING".into();
        c.actual
            .connectors
            .get_mut(&name("checkpoint", "kafka-a"))
            .unwrap()
            .tasks
            .clear();
    }
    s = run_at(s, &hook("update-status", None), &connect, T0 + 6000);
    assert_eq!(status(&s).0, StatusKind::Active);
    assert!(!peer_bag(&s).contains_key("first-seen"));
}

// Proves the status is never active while Connect is unreachable, and a bad auto-restart
// option blocks naming it.
#[test]
fn unreachable_connect_and_bad_option() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    connect.0.borrow_mut().down = true;
    s = run_at(s, &hook("update-status", None), &connect, T0 + 300);
    let (kind, msg) = status(&s);
    assert_eq!(kind, StatusKind::Waiting);
    assert!(msg.starts_with("Kafka Connect "), "{msg}");
    connect.0.borrow_mut().down = false;
    s.config.insert("auto-restart-max".into(), json!(-1));
    s = run_at(s, &hook("config-changed", None), &connect, T0 + 600);
    assert_eq!(
        status(&s),
        (
            StatusKind::Blocked,
            "invalid config 'auto-restart-max': -1 is not an integer from 0 to 1000".into()
        )
    );
    assert!(connect.writes().is_empty());
}

mod sequences {
    //! Random sequences of hooks, time steps, failures, recoveries, operator actions, Connect
    //! outages and leader changes (two units sharing the peer data), with invariants checked
    //! after every step.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Hook { minutes: u64 },
        Fail { connector: usize },
        Recover { connector: usize },
        Pause { connector: usize },
        Resume,
        Restart,
        ConnectDown(bool),
        LeaderChange,
    }

    fn arb_step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0u64..40).prop_map(|minutes| Step::Hook { minutes }),
            3 => (0usize..3).prop_map(|connector| Step::Fail { connector }),
            1 => (0usize..3).prop_map(|connector| Step::Recover { connector }),
            1 => (0usize..3).prop_map(|connector| Step::Pause { connector }),
            1 => Just(Step::Resume),
            1 => Just(Step::Restart),
            1 => any::<bool>().prop_map(Step::ConnectDown),
            1 => Just(Step::LeaderChange),
        ]
    }

    const KINDS: [&str; 3] = ["source", "checkpoint", "heartbeat"];

    fn intents(s: &State) -> String {
        peer_bag(s)
            .get("operator-intent")
            .cloned()
            .unwrap_or_default()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        // proves: held connectors are never restarted, followers never write to Connect, the
        // restart count never passes the max, and nothing is active while a task is FAILED
        // or Connect is down.
        #[test]
        fn invariants_hold(steps in proptest::collection::vec(arb_step(), 1..30)) {
            let connect = FakeConnect::default();
            connect.0.borrow_mut().sticky_failure = true;
            let mut s = converged(&connect);
            s.config.insert("auto-restart-max".into(), json!(3));
            let (mut follower, _) = leader_moves(&s);
            let mut now = T0;
            for step in steps {
                // Connectors held before the step stay held through it, except that a resume
                // releases them (and a FAILED one may then be restarted at once).
                let held = if matches!(step, Step::Resume) { String::new() } else { intents(&s) };
                match step {
                    Step::Hook { minutes } => {
                        now += minutes * 60;
                        s = run_at(s, &hook("update-status", None), &connect, now);
                    }
                    Step::Fail { connector } => {
                        let n = name(KINDS[connector], "kafka-a");
                        if connect.0.borrow().actual.connectors[&n].tasks.is_empty() {
                            continue;
                        }
                        connect.fail_task(&n, 0);
                    }
                    Step::Recover { connector } => {
                        let n = name(KINDS[connector], "kafka-a");
                        let mut c = connect.0.borrow_mut();
                        let x = c.actual.connectors.get_mut(&n).unwrap();
                        x.state = Some("RUNNING".into());
                        x.tasks = vec![Default::default()];
                        x.tasks[0].state = "RUNNING".into();
                    }
                    Step::Pause { connector } => {
                        let sel = format!("{}/kafka-a", KINDS[connector]);
                        s = run_action(s, "pause", json!({"connector": sel}), &connect, now);
                    }
                    Step::Resume => s = run_action(s, "resume", json!({}), &connect, now),
                    Step::Restart => {
                        s = run_action(s, "restart", json!({}), &connect, now);
                        connect.take_writes();
                        continue;
                    }
                    Step::ConnectDown(down) => connect.0.borrow_mut().down = down,
                    Step::LeaderChange => {
                        let (old, mut new) = leader_moves(&s);
                        share_peer(&s, &mut new);
                        new.unit = follower.unit.clone();
                        follower = old;
                        s = new;
                    }
                }
                // The leader's next hook sees the result of the step.
                let held = held + &intents(&s);
                s = run_at(s, &hook("update-status", None), &connect, now);
                for w in connect.take_writes() {
                    if let Some(rest) = w.strip_prefix("RESTART ") {
                        let n = rest.split(' ').next().unwrap();
                        prop_assert!(!held.contains(n), "restarted held {n}: {w}");
                    }
                }
                // The follower sees the same world and never writes.
                share_peer(&s, &mut follower);
                follower = run_at(follower, &hook("update-status", None), &connect, now);
                prop_assert!(connect.take_writes().is_empty(), "a follower wrote to Connect");
                for unit in [&s, &follower] {
                    let st = unit.unit_status.clone().unwrap();
                    let any_failed = connect.0.borrow().actual.connectors.values().any(|c| c.any_failed());
                    if any_failed || connect.0.borrow().down {
                        prop_assert!(st.kind != StatusKind::Active, "{st}");
                    }
                }
                if let Some(r) = peer_bag(&s).get("auto-restart") {
                    let v: serde_json::Value = serde_json::from_str(r).unwrap();
                    for (n, rec) in v.as_object().unwrap() {
                        prop_assert!(rec["restarts"].as_u64().unwrap_or(0) <= 3, "{n}: {rec}");
                    }
                }
            }
        }
    }
}
