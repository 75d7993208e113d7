//! Crash safety (issue 14, item 5): the packed charm under juju-sim against connect-mock, the
//! hook SIGKILLed right after each Connect write in turn. For every scenario a reference run
//! (nothing killed) counts the writes W and records the end state; then for n = 1..=W a fresh
//! model runs the same scenario with the hook killed right after its n-th write took effect
//! on Connect. Juju then sees a failed hook (error status; `resolve` re-runs it) or a failed
//! action (the operator runs it again); afterwards the model must converge to the reference:
//! the same connectors (no orphan, no duplicate), the same configs and states (operator intent
//! recorded by a completed action kept), the same status, and a `plan` with no changes. Every
//! run also passes the secret canary (no password in any log, status or action output).

mod common;

use common::e2e::Sim;
use common::mock::MockStage;
use serde_json::Value;
use std::collections::BTreeMap;

const UNIT: &str = "mirrormaker/0";

/// What a scenario is made of: the starting point, the step whose writes are crash points,
/// and what follows a crash (Juju's resolve for a hook, the operator's retry for an action).
struct Scenario {
    name: &'static str,
    setup: fn(&Sim),
    step: fn(&Sim),
    /// True when the step is an action (a killed action fails; the unit stays idle).
    action: bool,
    /// Runs after the crash, before the common settle-and-compare.
    recover: fn(&MockStage),
}

/// The end state compared across runs: every connector (config and state, with the model's
/// uuid and passwords masked, as both differ per model) and the application status.
#[derive(Debug, PartialEq)]
struct EndState {
    connectors: BTreeMap<String, (String, String)>,
    status: (String, String),
}

fn end_state(stage: &MockStage) -> EndState {
    let uuid = stage.uuid_hex();
    let passwords = passwords(&stage.sim);
    let mask = |t: &str| {
        let mut t = t.replace(&uuid, "<uuid>");
        for p in &passwords {
            t = t.replace(p.as_str(), "<password>");
        }
        t
    };
    EndState {
        connectors: stage
            .mock
            .connectors()
            .into_iter()
            .map(|(n, (config, state))| (mask(&n), (mask(&config.to_string()), state)))
            .collect(),
        status: {
            let (st, msg) = stage.sim.app_status("mirrormaker");
            (st, mask(&msg))
        },
    }
}

/// Every password the simulated providers made (in the model's secrets).
fn passwords(sim: &Sim) -> Vec<String> {
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(sim.model.join("state.json")).unwrap())
            .unwrap();
    let mut out = Vec::new();
    for s in state["secrets"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|x| x.1)
    {
        for rev in s["revisions"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|x| x.1)
        {
            if let Some(p) = rev["password"].as_str() {
                out.push(p.to_string());
            }
        }
    }
    out
}

/// update-status until the status stops changing (at most 4 ticks): what Juju's timer does.
fn settle(sim: &Sim) {
    let mut last = sim.app_status("mirrormaker");
    for _ in 0..4 {
        sim.run(&["update-status"]);
        let now = sim.app_status("mirrormaker");
        if now == last {
            return;
        }
        last = now;
    }
}

/// Runs `sc` with the hook killed after write `kill_at` (0: nothing killed); returns the
/// number of writes the step made before any kill and the end state.
fn run(sc: &Scenario, kill_at: u64) -> (u64, EndState) {
    let stage = MockStage::start(&format!("crash-{}-{kill_at}", sc.name));
    (sc.setup)(&stage.sim);
    settle(&stage.sim);
    stage.mock.arm(kill_at, &stage.pid_file());
    (sc.step)(&stage.sim);
    let (writes, killed) = stage.mock.stats();
    if kill_at > 0 {
        assert!(
            killed && writes == kill_at,
            "{} #{kill_at}: expected a kill at write {kill_at}, saw {writes} writes, killed={killed}",
            sc.name
        );
        if !sc.action {
            let (st, msg) = stage.sim.unit_status(UNIT);
            assert_eq!(
                st, "error",
                "{} #{kill_at}: a killed hook fails: {msg}",
                sc.name
            );
        }
        (sc.recover)(&stage);
    }
    settle(&stage.sim);
    let plan = stage.sim.run(&["run", UNIT, "plan"]);
    assert!(
        plan.contains("no changes"),
        "{} #{kill_at}: not converged, the plan is:\n{plan}",
        sc.name
    );
    stage.sim.assert_no_canary();
    let end = end_state(&stage);
    stage.passed();
    (writes, end)
}

/// The reference run, then one fresh run per crash point; each must end as the reference.
/// Returns the number of crash points.
fn check(sc: &Scenario) -> u64 {
    let (total, reference) = run(sc, 0);
    assert!(total > 0, "{}: the step wrote nothing to Connect", sc.name);
    for n in 1..=total {
        let (_, end) = run(sc, n);
        assert_eq!(
            end, reference,
            "{}: killed after write {n} of {total}, the model did not converge to the reference",
            sc.name
        );
    }
    eprintln!("FIGURE: crash points {}: {total}", sc.name);
    total
}

fn integrate(sim: &Sim, a: &str, b: &str) {
    sim.run(&["integrate", a, b]);
}

fn sources_and_target(sim: &Sim) {
    integrate(sim, "mirrormaker:source", "kafka-a");
    integrate(sim, "mirrormaker:target", "kafka-b");
}

fn converged(sim: &Sim) {
    sources_and_target(sim);
    integrate(sim, "mirrormaker:connect-client", "kafka-connect");
}

fn converged_paused(sim: &Sim) {
    converged(sim);
    sim.run(&["run", UNIT, "pause"]);
}

fn resolve(stage: &MockStage) {
    stage.sim.run(&["resolve", UNIT]);
}

/// After a killed pause/stop (nothing recorded) the next hooks leave the connectors the dead
/// action reached as Connect has them and say so; then the operator runs the action again.
fn settle_then_rerun(stage: &MockStage, action: &str) {
    settle(&stage.sim);
    let (_, msg) = stage.sim.app_status("mirrormaker");
    assert!(
        msg.contains("outside the charm"),
        "a {action} that did not complete must show what it left: {msg}"
    );
    rerun(stage, action);
}

/// A killed action failed: the operator runs it again (`rerun` names it).
fn rerun(stage: &MockStage, action: &str) {
    let (code, out, err) = stage.sim.try_run(&["run", UNIT, action]);
    assert_eq!(code, 0, "re-running {action} after the crash: {out}{err}");
}

/// Proves the first creation of the three connectors survives a kill after each PUT.
#[test]
fn creation() {
    check(&Scenario {
        name: "create",
        setup: sources_and_target,
        step: |sim| integrate(sim, "mirrormaker:connect-client", "kafka-connect"),
        action: false,
        recover: resolve,
    });
}

/// Proves a config change (topics) rewriting connectors survives a kill after each PUT.
#[test]
fn update() {
    check(&Scenario {
        name: "update",
        setup: converged,
        step: |sim| drop(sim.try_run(&["config", "mirrormaker", "topics=orders\\..*,payments"])),
        action: false,
        recover: resolve,
    });
}

/// Proves the removal of one of two sources deletes exactly its three connectors (the other
/// source's untouched) whatever delete the hook dies after.
#[test]
fn source_removal() {
    check(&Scenario {
        name: "remove",
        setup: |sim| {
            converged(sim);
            integrate(sim, "mirrormaker:source", "kafka-c");
        },
        step: |sim| drop(sim.try_run(&["remove-relation", "mirrormaker:source", "kafka-c"])),
        action: false,
        recover: resolve,
    });
}

/// Proves the operator's recorded pause is kept when a later hook (a config change that
/// rewrites the paused connectors) dies after any of its writes.
#[test]
fn update_while_paused_keeps_the_pause() {
    check(&Scenario {
        name: "update-paused",
        setup: converged_paused,
        step: |sim| drop(sim.try_run(&["config", "mirrormaker", "topics=orders\\..*,payments"])),
        action: false,
        recover: resolve,
    });
}

/// Proves a `pause` killed after any of its writes fails, leaves no connector behind or
/// doubled, the status names what it paused ("PAUSED outside the charm"), and a retry ends
/// paused as an uninterrupted pause does.
#[test]
fn pause_action() {
    check(&Scenario {
        name: "pause",
        setup: converged,
        step: |sim| drop(sim.try_run(&["run", UNIT, "pause"])),
        action: true,
        recover: |stage| settle_then_rerun(stage, "pause"),
    });
}

/// Proves the same for `stop` (Connect's STOPPED).
#[test]
fn stop_action() {
    check(&Scenario {
        name: "stop",
        setup: converged,
        step: |sim| drop(sim.try_run(&["run", UNIT, "stop"])),
        action: true,
        recover: |stage| settle_then_rerun(stage, "stop"),
    });
}

/// Proves a `resume` killed after any of its writes does not count: the recorded pause is
/// still the operator's intent, so the next hook pauses again what the dead action resumed;
/// a retry then resumes everything.
#[test]
fn resume_action_keeps_the_recorded_pause_until_it_completes() {
    check(&Scenario {
        name: "resume",
        setup: converged_paused,
        step: |sim| drop(sim.try_run(&["run", UNIT, "resume"])),
        action: true,
        recover: |stage| {
            settle(&stage.sim);
            let states: Vec<String> = stage
                .mock
                .connectors()
                .into_values()
                .map(|(_, s)| s)
                .collect();
            assert!(
                states.iter().all(|s| s == "PAUSED"),
                "a resume that did not complete must not undo the recorded pause: {states:?}"
            );
            rerun(stage, "resume");
        },
    });
}
