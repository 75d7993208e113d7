//! Who writes the `cos-agent` databag (in-process, tier 2): every unit's hooks, its own unit
//! databag, only when the content changes; never an action.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::cos::{dashboard, KEY};
use mirrormaker_integrator::juju::memory::{Relation, State};
use serde_json::Value;

const COS_ID: u64 = 9;

/// The converged world with a grafana-agent subordinate related on `cos-agent`.
fn with_agent(mut s: State) -> State {
    s.relations.push(Relation {
        endpoint: "cos-agent".into(),
        id: COS_ID,
        remote_app: "grafana-agent".into(),
        remote_units: vec!["grafana-agent/0".into()],
        ..Default::default()
    });
    s
}

fn cos_bag(s: &State) -> Option<Value> {
    let r = s.relations.iter().find(|r| r.endpoint == "cos-agent")?;
    assert!(r.local_app.is_empty(), "cos_agent uses unit data only");
    r.local_unit
        .get(KEY)
        .map(|v| serde_json::from_str(v).unwrap())
}

fn relation_sets(s: &State) -> Vec<&String> {
    s.calls
        .iter()
        .filter(|c| c.starts_with("relation-set"))
        .collect()
}

// Proves the leader's hook publishes the rules (labelled with the related Kafka Connect
// application) and the dashboard, and that the next steady hook writes nothing at all.
#[test]
fn published_once_then_steady() {
    let connect = FakeConnect::default();
    let s = with_agent(converged(&connect));
    let s = run_at(s, &hook("config-changed", None), &connect, T0 + 60);
    let v = cos_bag(&s).expect("the hook published");
    let rules = v["metrics_alert_rules"]["groups"][0]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), 7);
    assert!(rules
        .iter()
        .all(|r| r["labels"]["juju_application"] == "kafka-connect"));
    let d = dashboard::decode(v["dashboards"][0].as_str().unwrap()).unwrap();
    assert!(d.contains("MirrorMaker replication"));

    let mut s = s;
    s.calls.clear();
    let out = run_at(s, &hook("update-status", None), &connect, T0 + 360);
    assert!(relation_sets(&out).is_empty(), "{:?}", relation_sets(&out));
}

// Proves a follower publishes too (each unit has its own agent), and that changing an alert
// threshold rewrites the rules with the new value.
#[test]
fn followers_publish_and_options_change_the_rules() {
    let connect = FakeConnect::default();
    let mut s = with_agent(converged(&connect));
    s.leader = false;
    let s = run_at(s, &hook("config-changed", None), &connect, T0 + 60);
    let before = cos_bag(&s).expect("a follower publishes");
    let mut s = s;
    s.config
        .insert("alert-lag-records".into(), serde_json::json!(777));
    s.calls.clear();
    let out = run_at(s, &hook("config-changed", None), &connect, T0 + 120);
    assert_eq!(relation_sets(&out).len(), 1);
    let after = cos_bag(&out).unwrap();
    assert_ne!(before, after);
    assert!(after.to_string().contains("> 777 and"));
}

// Proves actions never write the cos-agent databag (the next hook does).
#[test]
fn actions_never_publish() {
    let connect = FakeConnect::default();
    let s = with_agent(converged(&connect));
    for name in ["status", "plan"] {
        let out = run_action(s.clone(), name, serde_json::json!({}), &connect, T0);
        assert_eq!(cos_bag(&out), None, "action {name} published");
    }
    let out = run(s, &hook("config-changed", None), &connect);
    assert!(
        cos_bag(&out).is_some(),
        "a hook on the same world publishes"
    );
}

// Proves an invalid alert option blocks the unit naming it and leaves what was published.
#[test]
fn an_invalid_threshold_blocks_and_keeps_the_published_rules() {
    let connect = FakeConnect::default();
    let s = run_at(
        with_agent(converged(&connect)),
        &hook("config-changed", None),
        &connect,
        T0 + 60,
    );
    let before = cos_bag(&s).unwrap();
    let mut s = s;
    s.config
        .insert("alert-heartbeat-intervals".into(), serde_json::json!(1));
    let out = run_at(s, &hook("config-changed", None), &connect, T0 + 120);
    let st = out.unit_status.clone().unwrap();
    assert!(
        st.message
            .starts_with("invalid config 'alert-heartbeat-intervals'"),
        "{st}"
    );
    assert_eq!(cos_bag(&out), Some(before));
}
