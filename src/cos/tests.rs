use super::*;
use crate::mirror::MirrorConfig;
use serde_json::{Map, Value};

const UUID: &str = "0f3e5a1c-2b4d-4e6f-8a9b-0c1d2e3f4a5b";

fn inputs_with(config: &[(&str, Value)]) -> CosInputs {
    let map: Map<String, Value> = config
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    CosInputs {
        app: "mirrormaker".into(),
        model_name: "dr-site".into(),
        model_uuid: UUID.into(),
        connect: Some(("kafka-connect".into(), 7)),
        target: Some("kafka-b".into()),
        config: MirrorConfig::from_config_get(&map).unwrap(),
    }
}

fn inputs() -> CosInputs {
    inputs_with(&[])
}

fn alerts(rules: &Value) -> Vec<&Value> {
    rules["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .collect()
}

fn alert<'a>(rules: &'a Value, name: &str) -> Option<&'a Value> {
    alerts(rules).into_iter().find(|r| r["alert"] == name)
}

// Proves the databag value has exactly the fields the cos_agent library's
// CosAgentProviderUnitData requires, with no scrape job and no log slot of ours, and that the
// dashboard survives the library's LZMA+base64 encoding with the charm's fixed uid.
#[test]
fn unit_data_has_the_library_shape() {
    let v: Value = serde_json::from_str(&unit_data(&inputs()).unwrap()).unwrap();
    let keys: std::collections::BTreeSet<&str> =
        v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        std::collections::BTreeSet::from([
            "dashboards",
            "log_alert_rules",
            "log_slots",
            "metrics_alert_rules",
            "metrics_scrape_jobs"
        ])
    );
    assert_eq!(v["metrics_scrape_jobs"], json!([]));
    assert_eq!(v["log_slots"], json!([]));
    assert!(v["log_alert_rules"].is_object());
    assert_eq!(alerts(&v["metrics_alert_rules"]).len(), 7);
    let dashboards = v["dashboards"].as_array().unwrap();
    assert_eq!(dashboards.len(), 1);
    let text = dashboard::decode(dashboards[0].as_str().unwrap()).unwrap();
    let d: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(d["uid"], dashboard::UID);
    assert_eq!(d, dashboard::render(&inputs()).unwrap());
}

// Proves no rule is published before the charm knows whose series to judge (no connect-client
// or no target relation), while the dashboard already is.
#[test]
fn no_rules_until_connect_and_target_are_related() {
    for (connect, target) in [(false, true), (true, false)] {
        let mut i = inputs();
        if !connect {
            i.connect = None;
        }
        if !target {
            i.target = None;
        }
        assert_eq!(rules::render(&i).unwrap(), None);
        let v: Value = serde_json::from_str(&unit_data(&i).unwrap()).unwrap();
        assert_eq!(v["metrics_alert_rules"], json!({}));
        assert_eq!(v["dashboards"].as_array().unwrap().len(), 1);
    }
}

// Proves every alert carries the Kafka Connect application's Juju topology (COS narrows the
// expression to it), a severity, and a runbook line naming a `juju run` on this application;
// and that the connectors are picked by our relation id and model uuid.
#[test]
fn every_alert_has_topology_severity_and_runbook() {
    let rules = rules::render(&inputs()).unwrap().unwrap();
    assert_eq!(
        rules["groups"][0]["name"],
        "dr_site_0f3e5a1c_mirrormaker_mirrormaker_rules"
    );
    for r in alerts(&rules) {
        let l = &r["labels"];
        assert_eq!(l["juju_application"], "kafka-connect", "{r}");
        assert_eq!(l["juju_model"], "dr-site");
        assert_eq!(l["juju_model_uuid"], UUID);
        assert_eq!(l["juju_charm"], "kafka-connect");
        assert!(["critical", "warning"].contains(&l["severity"].as_str().unwrap()));
        let runbook = r["annotations"]["runbook"].as_str().unwrap();
        assert!(
            runbook.starts_with("juju run mirrormaker/leader "),
            "{runbook}"
        );
        assert!(r["annotations"]["summary"].as_str().is_some());
    }
    let failed = alert(&rules, "MirrorMakerConnectorFailed").unwrap();
    let expr = failed["expr"].as_str().unwrap();
    assert!(
        expr.contains("connector=~\"mirror_(source|checkpoint|heartbeat)_.+_r7_0f3e5a1c2b4d4e6f8a9b0c1d2e3f4a5b\""),
        "{expr}"
    );
}

// Proves the thresholds and windows come from the options: each alert-* value appears in its
// expression, windows are N intervals with a 5-minute floor, and the heartbeat and checkpoint
// alerts exist only when there are replicated heartbeats and checkpoints.
#[test]
fn rules_follow_the_options() {
    let i = inputs_with(&[
        ("alert-latency-p99-ms", json!(1234)),
        ("alert-record-age-ms", json!(5678)),
        ("alert-lag-records", json!(42)),
        ("alert-heartbeat-intervals", json!(100)),
        ("emit-heartbeats-interval", json!(10)),
        ("alert-checkpoint-intervals", json!(2)),
    ]);
    let rules = rules::render(&i).unwrap().unwrap();
    let expr = |name: &str| alert(&rules, name).unwrap()["expr"].as_str().unwrap();
    assert!(expr("MirrorMakerReplicationLatencyHigh").ends_with("> 1234"));
    assert!(expr("MirrorMakerRecordAgeHigh").ends_with("> 5678"));
    assert!(expr("MirrorMakerLagGrowing").contains("> 42 and"));
    assert!(expr("MirrorMakerHeartbeatsMissing").contains("[1000s]"));
    // 2 × 30 s is under the floor.
    assert!(expr("MirrorMakerCheckpointsStalled").contains("[300s]"));

    let off = inputs_with(&[
        ("heartbeats", json!("off")),
        ("emit-checkpoints", json!(false)),
        ("sync-group-offsets", json!(false)),
    ]);
    let rules = rules::render(&off).unwrap().unwrap();
    assert!(alert(&rules, "MirrorMakerHeartbeatsMissing").is_none());
    assert!(alert(&rules, "MirrorMakerCheckpointsStalled").is_none());
    assert_eq!(alerts(&rules).len(), 5);
    // Forward heartbeats never cross MirrorMaker: nothing to watch on the target.
    let forward = inputs_with(&[("heartbeats", json!("forward"))]);
    let rules = rules::render(&forward).unwrap().unwrap();
    assert!(alert(&rules, "MirrorMakerHeartbeatsMissing").is_none());
}

// Proves a value that could break out of a PromQL or JSON string is refused with a message
// naming it, instead of publishing a broken rule.
#[test]
fn unsafe_values_are_refused() {
    let mut i = inputs();
    i.target = Some("kafka\"b".into());
    assert_eq!(
        rules::render(&i).unwrap_err(),
        CosError::Unsafe {
            what: "target alias",
            value: "kafka\"b".into()
        }
    );
}

// Proves the metric-name extraction the scrape and dashboard tests rely on: bare names,
// `__name__` alternatives as one entry, quoted label values ignored.
#[test]
fn names_in_a_query() {
    let q = r#"max by (c) ({__name__=~"kafka_a|kafka_b", x="kafka_not"}) > 0 and on () sum(rate(kafka_c_total{t="x"}[5m]))"#;
    assert_eq!(
        dashboard::names_in_query(q),
        ["kafka_a|kafka_b", "kafka_c_total"]
    );
}

// Proves the dashboard queries only metrics the rules also read, or the few more the panels
// need that the same exporter rules export (a panel on a metric nobody exports shows nothing).
#[test]
fn dashboard_reads_the_rules_metrics() {
    let rules = rules::render(&inputs()).unwrap().unwrap();
    let known = rules::metric_names(&rules);
    let extra = [
        "kafka_connect_mirror_source_connector_byte_rate",
        "kafka_connect_source_task_source_record_poll_total",
    ];
    let d = dashboard::render(&inputs()).unwrap();
    let queries = dashboard::queries(&d);
    assert_eq!(queries.len(), 11, "9 panels, 2 query variables");
    for q in &queries {
        let names = dashboard::names_in_query(q);
        assert!(!names.is_empty(), "{q}");
        for n in names {
            assert!(
                known.contains(&n) || extra.contains(&n.as_str()),
                "{n} in {q}"
            );
        }
    }
}

// Proves the dashboard is a Grafana dashboard COS can load: a 40-hex uid, a title, the
// `prometheusds` datasource variable, and panels with unique ids, a type, a grid position,
// that datasource, and targets with a refId and an expression.
#[test]
fn dashboard_schema() {
    let d = dashboard::render(&inputs()).unwrap();
    let uid = d["uid"].as_str().unwrap();
    assert!(uid.len() == 40 && uid.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(!d["title"].as_str().unwrap().is_empty());
    assert!(d["schemaVersion"].as_u64().is_some());
    let vars = d["templating"]["list"].as_array().unwrap();
    assert!(vars.iter().any(|v| v["name"] == "prometheusds"
        && v["type"] == "datasource"
        && v["query"] == "prometheus"));
    let panels = d["panels"].as_array().unwrap();
    assert_eq!(panels.len(), 9);
    let mut ids = std::collections::BTreeSet::new();
    for p in panels {
        assert!(ids.insert(p["id"].as_u64().unwrap()), "duplicate id: {p}");
        assert_eq!(p["type"], "timeseries");
        assert!(!p["title"].as_str().unwrap().is_empty());
        for k in ["h", "w", "x", "y"] {
            assert!(p["gridPos"][k].as_u64().is_some(), "{p}");
        }
        assert_eq!(p["datasource"]["uid"], "${prometheusds}");
        let targets = p["targets"].as_array().unwrap();
        assert!(!targets.is_empty());
        for t in targets {
            assert_eq!(t["datasource"]["uid"], "${prometheusds}");
            assert!(t["refId"].as_str().is_some());
            assert!(!t["expr"].as_str().unwrap().is_empty());
        }
    }
    // The thresholds drawn are the options'.
    let latency = &panels[3]["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"];
    assert_eq!(latency, &json!(30000));
}
