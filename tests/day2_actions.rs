//! Day-2 actions in-process: status (table and JSON), plan, restart, pause, resume, stop —
//! on the leader and on a follower, with the operator's intent kept across hooks and leader
//! changes. Run with `--nocapture` to see the outputs quoted in docs/day2.md.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::juju::StatusKind;
use serde_json::json;

const LEADER: &str = "juju run mirrormaker/leader";

// Proves the status table lists pairs, settings, every connector and task with state and
// worker, and the time of the last change to Connect; and JSON carries the same for machines.
#[test]
fn status_table_and_json() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let out = run_action(s, "status", json!({}), &connect, T0 + 90);
    show(&format!("{LEADER} status"), &out);
    let table = &out.action_results["result"];
    for want in [
        "status: active — replicating kafka-a -> kafka-b (3 connectors)",
        "replication: kafka-a -> kafka-b",
        "last change: 2026-11-25T17:00:00Z",
        "auto-restart: on (max 10)",
        "topics = orders\\..*",
        &name("source", "kafka-a"),
        "10.0.0.5:8083",
        "  task 0",
    ] {
        assert!(table.contains(want), "missing {want:?} in:\n{table}");
    }
    assert!(connect.writes().is_empty());

    let out = run_action(out, "status", json!({"format": "json"}), &connect, T0 + 90);
    show(&format!("{LEADER} status format=json"), &out);
    let v: serde_json::Value = serde_json::from_str(&out.action_results["result"]).unwrap();
    assert_eq!(v["status"], "active");
    assert_eq!(v["last-change"], "2026-11-25T17:00:00Z");
    assert_eq!(v["pairs"][0], "kafka-a -> kafka-b");
    assert_eq!(v["settings"]["topics"], "orders\\..*");
    assert_eq!(v["auto-restart"]["max"], 10);
    let c = &v["connectors"][0];
    assert_eq!(c["name"], name("source", "kafka-a"));
    assert_eq!(
        (
            c["kind"].as_str(),
            c["source"].as_str(),
            c["target"].as_str()
        ),
        (Some("source"), Some("kafka-a"), Some("kafka-b"))
    );
    assert_eq!(c["state"], "RUNNING");
    assert_eq!(c["worker"], "10.0.0.5:8083");
    assert_eq!(c["auto-restarts"], 0);
    assert_eq!(c["tasks"][0]["worker"], "10.0.0.6:8083");
}

// Proves status works on a follower (read-only: no Connect write, no relation write).
#[test]
fn status_works_on_a_follower() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let (mut follower, _) = leader_moves(&s);
    follower.calls.clear();
    let out = run_action(follower, "status", json!({}), &connect, T0 + 60);
    assert!(out.action_failed.is_none());
    assert!(out.action_results["result"].contains("status: active"));
    assert!(connect.writes().is_empty());
    assert!(!out.calls.iter().any(|c| c.starts_with("relation-set")));
}

// Proves a FAILED task shows in status with its worker and the first line of its trace, with
// every password the charm knows replaced by <redacted> — the source's and the target's Kafka
// passwords (the Connect client never sees them when it lists, so only the charm's own
// redaction removes them: `run_pass` redacts every trace it reads, which the unit status and
// the action's output both come from; report.rs redacts again before printing) and the
// Connect password — in the table, in the JSON and in the unit status. The line is shown redacted, not
// dropped: a charm that hid traces would fail this test as surely as one that leaked them.
#[test]
fn status_shows_failed_task_trace_redacted() {
    let connect = FakeConnect::default();
    let mut w = world();
    // The target gets a password of its own, so that each Kafka password is proven known.
    w.secrets.insert(
        "secret:b-user".into(),
        secret(&[("username", "relation-4"), ("password", "pw-target-secret")]),
    );
    let mut s = converge(w, &connect);
    let src = name("source", "kafka-a");
    let short_src = short("source", "kafka-a");
    connect.fail_task_with(
        &src,
        0,
        "org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed for relation-3 (pw-kafka-secret), relation-4 (pw-target-secret), REST relation-5 (pw-connect-secret)\n\tat org.apache.kafka.X",
    );
    let shown = "org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed for relation-3 (<redacted>), relation-4 (<redacted>), REST relation-5 (<redacted>)";
    s.config.insert("auto-restart".into(), json!(false));
    let out = run_action(s, "status", json!({}), &connect, T0 + 60);
    show(&format!("{LEADER} status   # a task FAILED"), &out);
    let mut said = everything_said(&out);
    let r = out.action_results["result"].clone();
    // The status line is what `juju status` shows (cut at 120); the detail line has it all.
    let detail = format!(
        "detail: {short_src} task 0 FAILED; auto-restart is off, juju run mirrormaker/leader restart: {}",
        shown.trim_start_matches("org.apache.kafka.common.errors.")
    );
    assert!(
        r.lines().next().is_some_and(
            |l| l.starts_with(&format!("status: blocked — {short_src} task 0 FAILED; "))
        ) && r.lines().nth(1) == Some(detail.as_str()),
        "a FAILED task is never active, and names task and reason: {r}"
    );
    let lines: Vec<&str> = r.lines().collect();
    let task = lines
        .iter()
        .position(|l| l.trim_start().starts_with("task 0") && l.contains("FAILED"))
        .unwrap_or_else(|| panic!("no FAILED task row in:\n{r}"));
    assert!(lines[task].ends_with("  10.0.0.6:8083"), "{r}");
    assert_eq!(lines[task + 1], format!("      trace: {shown}"), "{r}");

    let out = run_action(out, "status", json!({"format": "json"}), &connect, T0 + 60);
    said.push_str(&everything_said(&out));
    let v: serde_json::Value = serde_json::from_str(&out.action_results["result"]).unwrap();
    let t = &v["connectors"][0]["tasks"][0];
    assert_eq!(v["connectors"][0]["name"], src);
    assert_eq!(
        (
            t["state"].as_str(),
            t["worker"].as_str(),
            t["trace"].as_str()
        ),
        (Some("FAILED"), Some("10.0.0.6:8083"), Some(shown))
    );

    let out = run_at(out, &hook("update-status", None), &connect, T0 + 90);
    // The hook sets the same status line as the action shows.
    assert_eq!(
        out.unit_status.as_ref().map(|st| st.message.as_str()),
        r.lines()
            .next()
            .map(|l| l.trim_start_matches("status: blocked — "))
    );
    said.push_str(&everything_said(&out));
    for secret in ["pw-kafka-secret", "pw-target-secret", "pw-connect-secret"] {
        assert!(!said.contains(secret), "{secret} leaked: {said}");
    }
}

// Proves plan prints "no changes" on a converged model and writes nothing.
#[test]
fn plan_no_changes() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let out = run_action(s, "plan", json!({}), &connect, T0 + 60);
    show(&format!("{LEADER} plan"), &out);
    let r = &out.action_results["result"];
    assert!(
        r.starts_with("no changes: Kafka Connect matches the desired connectors"),
        "{r}"
    );
    assert!(connect.writes().is_empty());
}

// Proves plan names changed keys with secret values masked, validates each config it would
// write, and changes nothing — on the leader and on a follower.
#[test]
fn plan_shows_changed_keys_masked_and_validates() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    s.config.insert("tasks-max".into(), json!(8));
    {
        let mut c = connect.0.borrow_mut();
        let stored = &mut c
            .actual
            .connectors
            .get_mut(&name("source", "kafka-a"))
            .unwrap()
            .config;
        stored.insert(
            "source.cluster.sasl.jaas.config".into(),
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"relation-3\" password=\"pw-old-secret\";".into(),
        );
    }
    let out = run_action(s, "plan", json!({}), &connect, T0 + 60);
    show(
        &format!("{LEADER} plan   # after juju config tasks-max=8"),
        &out,
    );
    let r = out.action_results["result"].clone();
    assert!(
        r.contains(&format!(
            "~ update {} (config_drift)",
            name("source", "kafka-a")
        )),
        "{r}"
    );
    assert!(r.contains("tasks.max: \"4\" -> \"8\""), "{r}");
    assert!(r.contains("source.cluster.sasl.jaas.config: "), "{r}");
    assert!(
        r.contains(&format!(
            "validated by Kafka Connect: {}: ok",
            name("source", "kafka-a")
        )),
        "{r}"
    );
    for secret in ["pw-old-secret", "pw-kafka-secret", "pw-connect-secret"] {
        assert!(!r.contains(secret), "{secret} in {r}");
    }
    assert!(connect.writes().is_empty());

    connect.0.borrow_mut().validation_errors = vec!["Invalid value 0 for tasks.max".into()];
    let (follower, _) = leader_moves(&out);
    let out = run_action(follower, "plan", json!({}), &connect, T0 + 60);
    let r = &out.action_results["result"];
    assert!(
        r.contains("Kafka Connect rejects mirror_source_kafka-a"),
        "{r}"
    );
    assert!(r.contains("computed on a follower"), "{r}");
    assert!(connect.writes().is_empty());
}

// Proves pause is leader-only intent: Connect is paused, the intent is in the peer app
// databag, later hooks re-pause a connector resumed behind the charm's back, the intent
// survives a leader change, and resume clears it.
#[test]
fn pause_is_kept_across_hooks_and_leader_change_until_resume() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let src = name("source", "kafka-a");
    let short_src = short("source", "kafka-a");
    let out = run_action(s, "pause", json!({}), &connect, T0 + 60);
    show(&format!("{LEADER} pause"), &out);
    assert!(out.action_failed.is_none(), "{:?}", out.action_failed);
    assert_eq!(
        connect.take_writes(),
        vec![
            format!("PAUSE {src}"),
            format!("PAUSE {}", name("checkpoint", "kafka-a")),
            format!("PAUSE {}", name("heartbeat", "kafka-a")),
        ]
    );
    let bag = peer_bag(&out);
    assert_eq!(
        bag["operator-intent"],
        format!(
            "{{\"{}\":\"paused\",\"{}\":\"paused\",\"{src}\":\"paused\"}}",
            name("checkpoint", "kafka-a"),
            name("heartbeat", "kafka-a")
        )
    );
    let st = out.unit_status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Maintenance);
    assert_eq!(
        st.message,
        format!(
            "{short_src} paused by the operator (juju run mirrormaker/leader resume) (+2 more)"
        )
    );

    // Someone resumes it behind the charm's back: the next hook pauses it again.
    connect
        .0
        .borrow_mut()
        .actual
        .connectors
        .get_mut(&src)
        .unwrap()
        .state = Some("RUNNING".into());
    let out = run_at(out, &hook("update-status", None), &connect, T0 + 360);
    assert_eq!(connect.take_writes(), vec![format!("PAUSE {src}")]);

    // Leader change: the new leader reads the intent from the peer data and keeps it.
    let (_, mut unit1) = leader_moves(&out);
    share_peer(&out, &mut unit1);
    connect
        .0
        .borrow_mut()
        .actual
        .connectors
        .get_mut(&src)
        .unwrap()
        .state = Some("RUNNING".into());
    let unit1 = run_at(unit1, &hook("leader-elected", None), &connect, T0 + 420);
    assert_eq!(connect.take_writes(), vec![format!("PAUSE {src}")]);
    assert_eq!(
        unit1.unit_status.as_ref().unwrap().kind,
        StatusKind::Maintenance
    );

    let out = run_action(unit1, "resume", json!({}), &connect, T0 + 480);
    show(&format!("{LEADER} resume"), &out);
    assert_eq!(connect.take_writes().len(), 3);
    assert!(!peer_bag(&out).contains_key("operator-intent"));
    assert_eq!(out.unit_status.clone().unwrap().kind, StatusKind::Active);
    let out = run_at(out, &hook("update-status", None), &connect, T0 + 780);
    assert!(connect.writes().is_empty());
    assert_eq!(out.unit_status.unwrap().kind, StatusKind::Active);
}

// Proves stop uses Connect's STOPPED state for one connector picked by kind/source, keeps it
// stopped, and the status says how to resume.
#[test]
fn stop_one_connector() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let src = name("source", "kafka-a");
    let short_src = short("source", "kafka-a");
    let out = run_action(
        s,
        "stop",
        json!({"connector": "source/kafka-a"}),
        &connect,
        T0 + 60,
    );
    show(&format!("{LEADER} stop connector=source/kafka-a"), &out);
    assert_eq!(connect.take_writes(), vec![format!("STOP {src}")]);
    assert_eq!(connect.state_of(&src).as_deref(), Some("STOPPED"));
    let out = run_at(out, &hook("update-status", None), &connect, T0 + 360);
    assert!(connect.writes().is_empty());
    let st = out.unit_status.unwrap();
    assert_eq!(
        (st.kind, st.message),
        (
            StatusKind::Maintenance,
            format!("{short_src} stopped by the operator (juju run mirrormaker/leader resume)")
        )
    );
}

// Proves every writing action refuses to run on a follower, with a clear message, and
// changes nothing.
#[test]
fn writing_actions_refuse_on_a_follower() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let (mut follower, _) = leader_moves(&s);
    follower.calls.clear();
    for action in ["restart", "pause", "resume", "stop"] {
        let out = run_action(follower.clone(), action, json!({}), &connect, T0 + 60);
        if action == "pause" {
            show("juju run mirrormaker/1 pause", &out);
        }
        assert_eq!(
            out.action_failed.as_deref(),
            Some(format!("'{action}' changes Kafka Connect, so it runs on the leader only: juju run mirrormaker/leader {action}").as_str())
        );
        assert!(connect.writes().is_empty());
        assert!(!out.calls.iter().any(|c| c.starts_with("relation-set")));
    }
}

// Proves restart: only-failed by default (nothing to do when nothing failed), one connector
// by kind/source, everything with only-failed=false, and a bad selector lists the choices.
#[test]
fn restart_action() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let src = name("source", "kafka-a");
    let out = run_action(s, "restart", json!({}), &connect, T0 + 60);
    show(&format!("{LEADER} restart   # nothing FAILED"), &out);
    assert!(out.action_results["result"].contains("nothing to restart"));
    assert!(connect.writes().is_empty());

    connect.0.borrow_mut().sticky_failure = false;
    connect.fail_task(&src, 0);
    let mut s = out;
    s.config.insert("auto-restart".into(), json!(false));
    let out = run_action(s, "restart", json!({}), &connect, T0 + 120);
    show(&format!("{LEADER} restart"), &out);
    assert_eq!(
        connect.take_writes(),
        vec![format!("RESTART {src} includeTasks=true onlyFailed=true")]
    );
    assert_eq!(out.unit_status.clone().unwrap().kind, StatusKind::Active);

    let out = run_action(
        out,
        "restart",
        json!({"connector": "heartbeat/kafka-a", "only-failed": false, "include-tasks": false}),
        &connect,
        T0 + 180,
    );
    assert_eq!(
        connect.take_writes(),
        vec![format!(
            "RESTART {} includeTasks=false onlyFailed=false",
            name("heartbeat", "kafka-a")
        )]
    );
    let out = run_action(
        out,
        "restart",
        json!({"connector": "source/kafka-z"}),
        &connect,
        T0 + 240,
    );
    show(&format!("{LEADER} restart connector=source/kafka-z"), &out);
    assert_eq!(
        out.action_failed.as_deref(),
        Some("no connector of this application matches 'source/kafka-z'; use one of: source/kafka-a, checkpoint/kafka-a, heartbeat/kafka-a (or leave 'connector' empty for all)")
    );
    assert!(connect.writes().is_empty());
}

// Proves a pause asked while Connect is down fails the action but keeps the intent, and the
// next hook with Connect back applies it; the status is never active while Connect is down.
#[test]
fn pause_while_connect_down_is_applied_later() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    connect.0.borrow_mut().down = true;
    let out = run_action(s, "pause", json!({}), &connect, T0 + 60);
    show(
        &format!("{LEADER} pause   # Kafka Connect unreachable"),
        &out,
    );
    assert!(out
        .action_failed
        .as_deref()
        .unwrap()
        .contains("the intent is recorded"));
    assert!(peer_bag(&out).contains_key("operator-intent"));
    let st = out.unit_status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Waiting, "{st}");
    connect.0.borrow_mut().down = false;
    let out = run_at(out, &hook("update-status", None), &connect, T0 + 360);
    assert_eq!(connect.take_writes().len(), 3);
    assert_eq!(out.unit_status.unwrap().kind, StatusKind::Maintenance);
}

// Proves no password reaches any action's output, failure, log, status or tool call.
#[test]
fn no_secret_in_any_action_output() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    connect.fail_task(&name("checkpoint", "kafka-a"), 0);
    s.config.insert("tasks-max".into(), json!(2));
    let mut seen = String::new();
    for (action, params) in [
        ("status", json!({})),
        ("status", json!({"format": "json"})),
        ("plan", json!({})),
        ("restart", json!({"only-failed": false})),
        ("pause", json!({})),
        ("stop", json!({"connector": "kafka-a"})),
        ("resume", json!({})),
        ("restart", json!({"connector": "nope"})),
    ] {
        s = run_action(s, action, params, &connect, T0 + 60);
        seen.push_str(&everything_said(&s));
    }
    for secret in ["pw-kafka-secret", "pw-connect-secret", "BEGIN CERTIFICATE"] {
        assert!(!seen.contains(secret), "{secret} leaked");
    }
}

// Proves plan shows the state steps the next pass would take: a pause the operator asked for
// (the connector was resumed behind the charm's back) and an auto-restart that is due.
#[test]
fn plan_shows_pause_and_auto_restart_steps() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let s = run_action(
        s,
        "pause",
        json!({"connector": "heartbeat/kafka-a"}),
        &connect,
        T0,
    );
    connect.take_writes();
    let hb = name("heartbeat", "kafka-a");
    connect
        .0
        .borrow_mut()
        .actual
        .connectors
        .get_mut(&hb)
        .unwrap()
        .state = Some("RUNNING".into());
    connect.fail_task(&name("source", "kafka-a"), 0);
    let out = run_action(s, "plan", json!({}), &connect, T0 + 60);
    show(
        &format!("{LEADER} plan   # paused by hand-resumed, a task FAILED"),
        &out,
    );
    let r = &out.action_results["result"];
    assert!(
        r.starts_with(&format!(
            "* restart {} (auto_restart)\n    includeTasks=true onlyFailed=true\n= pause {hb} (operator_paused)\n    state: \"RUNNING\" -> \"PAUSED\"",
            name("source", "kafka-a")
        )),
        "{r}"
    );
    assert!(connect.writes().is_empty());
    assert!(
        !peer_bag(&out).contains_key("auto-restart"),
        "plan changes nothing"
    );
}

// Proves plan holds (and says why) when the inputs are incomplete or invalid.
#[test]
fn plan_holds_without_inputs() {
    let connect = FakeConnect::default();
    let mut s = world();
    s.relations.retain(|r| r.endpoint != "target");
    let out = run_action(s, "plan", json!({}), &connect, T0);
    show(&format!("{LEADER} plan   # no target relation"), &out);
    assert!(out.action_results["result"]
        .starts_with("hold (inputs_incomplete): missing relation(s): target (juju integrate)"));
    let mut s = world();
    s.config.insert("topics".into(), json!("[a"));
    let out = run_action(s, "plan", json!({}), &connect, T0);
    assert!(
        out.action_results["result"].starts_with("hold (invalid_input): invalid config 'topics'"),
        "{}",
        out.action_results["result"]
    );
    assert!(connect.writes().is_empty());
}

// Proves restart works before the peer relation exists, while pause explains it must wait.
#[test]
fn without_peer_relation() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    s.relations.retain(|r| r.endpoint != "peer");
    connect.fail_task(&name("source", "kafka-a"), 0);
    let out = run_action(s.clone(), "restart", json!({}), &connect, T0);
    assert!(out.action_failed.is_none(), "{:?}", out.action_failed);
    assert_eq!(connect.take_writes().len(), 1);
    let out = run_action(s, "pause", json!({}), &connect, T0);
    assert_eq!(
        out.action_failed.as_deref(),
        Some("cannot pause: the peer relation is not set up yet (retry in a moment)")
    );
}

// Proves actions.yaml (read with serde_yaml_ng) declares exactly the actions the charm knows
// (juju::ActionName::KNOWN), each with a description and additionalProperties: false, every
// parameter hyphenated with a type, a default of that type and a description; and that the
// charm handles every declared action (none fails as unknown) and refuses an undeclared one.
#[test]
fn actions_yaml_is_complete() {
    use mirrormaker_integrator::juju::ActionName;
    use serde_yaml_ng::Value;
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/actions.yaml")).unwrap();
    let yaml: serde_yaml_ng::Mapping = serde_yaml_ng::from_str(&text).unwrap();
    let declared: std::collections::BTreeSet<&str> =
        yaml.keys().map(|k| k.as_str().unwrap()).collect();
    let known: std::collections::BTreeSet<&str> =
        ActionName::KNOWN.iter().map(|a| a.as_str()).collect();
    assert_eq!(
        declared, known,
        "actions.yaml vs the actions the charm knows"
    );
    for (name, action) in &yaml {
        let name = name.as_str().unwrap();
        assert!(
            action["description"]
                .as_str()
                .is_some_and(|d| !d.trim().is_empty()),
            "{name} lacks a description"
        );
        assert_eq!(
            action["additionalProperties"],
            Value::Bool(false),
            "{name} lacks additionalProperties: false"
        );
        let no_params = serde_yaml_ng::Mapping::new();
        let params = action
            .get("params")
            .map(|p| p.as_mapping().expect("params is a mapping"))
            .unwrap_or(&no_params);
        for (p, spec) in params {
            let p = p.as_str().unwrap();
            assert!(!p.contains('_'), "{name}: '{p}' must use hyphens");
            assert!(
                spec["description"]
                    .as_str()
                    .is_some_and(|d| !d.trim().is_empty()),
                "{name}.{p} lacks a description"
            );
            let default = spec
                .get("default")
                .unwrap_or_else(|| panic!("{name}.{p} lacks a default"));
            let typed = match spec["type"].as_str() {
                Some("string") => default.is_string(),
                Some("boolean") => default.is_bool(),
                Some("integer") => default.is_i64() || default.is_u64(),
                Some("number") => default.is_number(),
                other => panic!("{name}.{p}: unexpected type {other:?}"),
            };
            assert!(
                typed,
                "{name}.{p}: default {default:?} is not a {:?}",
                spec["type"]
            );
        }
    }
    // Every declared action is handled (an unknown one would fail "unknown action"), and an
    // undeclared one is refused — so the check above is not vacuous.
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let failure = |action: &str| {
        run_action(s.clone(), action, json!({}), &connect, T0)
            .action_failed
            .unwrap_or_default()
    };
    for action in &declared {
        assert!(!failure(action).starts_with("unknown action"), "{action}");
    }
    assert!(
        failure("frobnicate").starts_with("unknown action"),
        "{}",
        failure("frobnicate")
    );
}
