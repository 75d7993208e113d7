//! Who writes our relation requests (in-process, tier 2): the leader's hooks, until each
//! provider has answered; never a follower, never an action.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::juju::memory::State;

/// The world before any provider answered.
fn unanswered() -> State {
    let mut s = world();
    for r in s.relations.iter_mut().filter(|r| r.endpoint != "peer") {
        r.remote_app_data.clear();
    }
    s
}

fn written(s: &State) -> usize {
    s.relations
        .iter()
        .filter(|r| r.endpoint != "peer")
        .map(|r| r.local_app.len() + r.local_unit.len())
        .sum()
}

// Proves actions only read: `status` and `plan` on the leader of a model whose providers have
// not answered write no request (a hook does, next).
#[test]
fn actions_never_write_relation_data() {
    let connect = FakeConnect::default();
    for name in ["status", "plan"] {
        let out = run_action(unanswered(), name, serde_json::json!({}), &connect, T0);
        assert_eq!(written(&out), 0, "action {name} wrote relation data");
    }
    let out = run(unanswered(), &hook("update-status", None), &connect);
    assert!(
        written(&out) > 0,
        "the leader's hook publishes the requests"
    );
}

// Proves a follower's hook writes no request (only the leader may, and does).
#[test]
fn followers_never_write_requests() {
    let connect = FakeConnect::default();
    let mut s = unanswered();
    s.leader = false;
    let out = run(s, &hook("update-status", None), &connect);
    assert_eq!(written(&out), 0);
}

// Proves a steady hook on the leader of a converged model writes no relation data at all —
// not even the peer data (each write would wake every other unit: the follower storm) — and
// that a pass that changes Connect records when it did.
#[test]
fn steady_hooks_write_no_relation_data() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    assert_eq!(
        peer_bag(&s).get("last-change").map(String::as_str),
        Some(T0.to_string().as_str()),
        "the pass that created the connectors records it"
    );
    let mut s = s;
    s.calls.clear();
    let out = run_at(s, &hook("update-status", None), &connect, T0 + 300);
    let writes: Vec<&String> = out
        .calls
        .iter()
        .filter(|c| c.starts_with("relation-set"))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(connect.writes().is_empty());
}
