//! What the changing actions say when they cannot do everything (in-process, tier 2): every
//! message must be true about what happens next.

mod day2_support;

use day2_support::*;
use serde_json::json;

fn result_text(s: &mirrormaker_integrator::juju::memory::State) -> String {
    s.action_results.get("result").cloned().unwrap_or_default()
}

// Proves a restart that Connect did not receive says it is not kept (a restart is one-shot,
// nothing retries it), while a pause says its intent is recorded for the next hook — and the
// intent really is in the peer data.
#[test]
fn failures_say_what_happens_next() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    connect.0.borrow_mut().down = true;
    let out = run_action(
        s.clone(),
        "restart",
        json!({"only-failed": false}),
        &connect,
        T0,
    );
    let failed = out.action_failed.clone().unwrap();
    assert!(failed.starts_with("restart not completed: "), "{failed}");
    assert!(
        failed.ends_with("(a restart is not kept: run the action again once this is fixed)"),
        "{failed}"
    );
    assert!(!failed.contains("next hook"), "{failed}");

    let out = run_action(s, "pause", json!({}), &connect, T0);
    let failed = out.action_failed.clone().unwrap();
    assert!(
        failed.ends_with("(the intent is recorded; the next hook applies it)"),
        "{failed}"
    );
    assert!(peer_bag(&out)
        .get("operator-intent")
        .unwrap()
        .contains("paused"));
}

// Proves `restart only-failed=false` of connectors the operator paused says they are held
// and how to resume them, instead of "nothing FAILED", and restarts nothing.
#[test]
fn restart_of_held_connectors_says_they_are_held() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    let s = run_action(
        s,
        "pause",
        json!({"connector": "source/kafka-a"}),
        &connect,
        T0,
    );
    connect.take_writes();
    let out = run_action(
        s,
        "restart",
        json!({"connector": "source/kafka-a", "only-failed": false}),
        &connect,
        T0,
    );
    let text = result_text(&out);
    assert!(
        text.contains(&format!(
            "not restarted: held by the operator: {} (paused); juju run mirrormaker/leader resume first",
            name("source", "kafka-a")
        )),
        "{text}"
    );
    assert!(!text.contains("FAILED"), "{text}");
    assert!(connect.writes().iter().all(|w| !w.starts_with("RESTART")));
}
