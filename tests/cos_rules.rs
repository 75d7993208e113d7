//! The alert rules the charm publishes over `cos-agent`, judged by Prometheus's own promtool
//! (built pinned by `cargo xtask setup`): the rules rendered with the default options pass
//! `promtool check rules`, and `promtool test rules` runs series for every alert, each both
//! firing and not firing. Series use the metric names and labels of a real scrape
//! (tests/e2e_cos.rs checks those names against the real exporter).

use mirrormaker_integrator::cos::{rules, CosInputs};
use mirrormaker_integrator::mirror::MirrorConfig;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const UUID: &str = "0f3e5a1c-2b4d-4e6f-8a9b-0c1d2e3f4a5b";
const HEX: &str = "0f3e5a1c2b4d4e6f8a9b0c1d2e3f4a5b";
/// A MirrorMaker consumer's client id as the exporter labels it (quotes included; §3).
const CONSUMER: &str = r#"\"kafka-a->kafka-b|mirror_source_kafka-a_r5_x-0|replication-consumer\""#;

/// `$PROMTOOL`, else build/promtool/promtool; a missing promtool fails the test, naming the fix.
fn promtool() -> PathBuf {
    let path = std::env::var_os("PROMTOOL")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("build/promtool/promtool"));
    assert!(
        path.is_file(),
        "promtool not found at {}: run `cargo xtask promtool` (or set PROMTOOL)",
        path.display()
    );
    path
}

fn inputs() -> CosInputs {
    CosInputs {
        app: "mirrormaker".into(),
        model_name: "dr-site".into(),
        model_uuid: UUID.into(),
        connect: Some(("kafka-connect".into(), 5)),
        target: Some("kafka-b".into()),
        config: MirrorConfig::default(),
    }
}

fn connector(kind: &str) -> String {
    format!("mirror_{kind}_kafka-a_r5_{HEX}")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// The rule `name` of the rendered rules.
fn rule<'a>(rules: &'a Value, name: &str) -> &'a Value {
    rules["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["alert"] == name)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

/// The alert promtool should see: the result's labels plus the rule's, and the rule's
/// annotations with `{{ $labels.x }}` filled in.
fn expected(rules: &Value, name: &str, result: &[(&str, &str)]) -> Value {
    let r = rule(rules, name);
    let mut labels: Map<String, Value> = r["labels"].as_object().unwrap().clone();
    for (k, v) in result {
        labels.insert(k.to_string(), json!(v));
    }
    let mut annotations = Map::new();
    for (k, v) in r["annotations"].as_object().unwrap() {
        let mut text = v.as_str().unwrap().to_string();
        for (lk, lv) in result {
            text = text.replace(&format!("{{{{ $labels.{lk} }}}}"), lv);
        }
        annotations.insert(k.clone(), json!(text));
    }
    json!({"exp_labels": labels, "exp_annotations": annotations})
}

/// One promtool test group: series, then (eval time, alert, expected alerts).
fn group(series: &[(&str, String)], checks: Vec<(&str, &str, Vec<Value>)>) -> Value {
    json!({
        "interval": "1m",
        "input_series": series.iter().map(|(s, v)| json!({"series": s, "values": v})).collect::<Vec<_>>(),
        "alert_rule_test": checks.into_iter().map(|(t, name, exp)| json!({
            "eval_time": t, "alertname": name, "exp_alerts": exp
        })).collect::<Vec<_>>(),
    })
}

/// Unit-test groups, each alert firing on its trouble and silent before it or on a lookalike
/// that is not ours or not trouble.
fn cases(r: &Value) -> Vec<Value> {
    let src = connector("source");
    let cp = connector("checkpoint");
    let foreign = format!("mirror_source_kafka-a_r9_{}", "ab".repeat(16));
    let rc = |topic: &str| {
        format!(
            "kafka_connect_mirror_source_connector_record_count{{target=\"kafka-b\",topic=\"{topic}\",partition=\"0\"}}"
        )
    };
    let lag = |topic: &str| {
        format!(
            "kafka_consumer_fetch_manager_records_lag{{clientId=\"{CONSUMER}\",topic=\"{topic}\",partition=\"0\"}}"
        )
    };
    vec![
        // A task of ours FAILED from minute 3: pending at 3m, firing at 5m. Another
        // integrator's failed connector (other relation id and model) never fires ours.
        group(
            &[
                (&format!("kafka_connect_connector_task_status{{connector=\"{src}\",task=\"0\",status=\"failed\"}}"), "_x3 1x10".into()),
                (&format!("kafka_connect_connector_task_status{{connector=\"{src}\",task=\"1\",status=\"running\"}}"), "1x13".into()),
                (&format!("kafka_connect_connector_status{{connector=\"{foreign}\",status=\"failed\"}}"), "1x13".into()),
            ],
            vec![
                ("3m", "MirrorMakerConnectorFailed", vec![]),
                ("5m", "MirrorMakerConnectorFailed", vec![expected(r, "MirrorMakerConnectorFailed", &[("connector", &src)])]),
            ],
        ),
        // Latency jumps to 60 s at minute 11 on one topic; another target's slow topic is
        // not ours.
        group(
            &[
                ("kafka_connect_mirror_source_connector_replication_latency_ms{target=\"kafka-b\",topic=\"kafka-a.orders\",partition=\"0\"}", "100x10 60000x20".into()),
                ("kafka_connect_mirror_source_connector_replication_latency_ms{target=\"kafka-z\",topic=\"kafka-a.slow\",partition=\"0\"}", "90000x30".into()),
            ],
            vec![
                ("10m", "MirrorMakerReplicationLatencyHigh", vec![]),
                ("17m", "MirrorMakerReplicationLatencyHigh", vec![expected(r, "MirrorMakerReplicationLatencyHigh", &[("topic", "kafka-a.orders")])]),
            ],
        ),
        // Records read 700 s after they were written, from minute 11.
        group(
            &[("kafka_connect_mirror_source_connector_record_age_ms_max{target=\"kafka-b\",topic=\"kafka-a.orders\",partition=\"0\"}", "1000x10 700000x20".into())],
            vec![
                ("10m", "MirrorMakerRecordAgeHigh", vec![]),
                ("17m", "MirrorMakerRecordAgeHigh", vec![expected(r, "MirrorMakerRecordAgeHigh", &[("topic", "kafka-a.orders")])]),
            ],
        ),
        // Heartbeats (12 a minute) stop at minute 10: the 5-minute window is empty from 15m.
        group(
            &[(&rc("kafka-a.heartbeats"), "0+12x10 120x20".into())],
            vec![
                ("12m", "MirrorMakerHeartbeatsMissing", vec![]),
                ("17m", "MirrorMakerHeartbeatsMissing", vec![expected(r, "MirrorMakerHeartbeatsMissing", &[("topic", "kafka-a.heartbeats")])]),
            ],
        ),
        // The checkpoint task stops writing at minute 10 while records flow and a group is
        // checkpointed.
        group(
            &[
                (&format!("kafka_connect_source_task_source_record_write_total{{connector=\"{cp}\",task=\"0\"}}"), "0+5x10 50x20".into()),
                (&rc("kafka-a.orders"), "0+100x30".into()),
                ("kafka_connect_mirror_checkpoint_connector_checkpoint_latency_ms{source=\"kafka-a\",target=\"kafka-b\",group=\"billing\",topic=\"orders\",partition=\"0\"}", "5x30".into()),
            ],
            vec![
                ("14m", "MirrorMakerCheckpointsStalled", vec![]),
                ("22m", "MirrorMakerCheckpointsStalled", vec![expected(r, "MirrorMakerCheckpointsStalled", &[("connector", &cp)])]),
            ],
        ),
        // Nothing replicated from minute 10 while 500 records wait on the source: fires.
        group(
            &[
                (&rc("kafka-a.orders"), "0+100x10 1000x20".into()),
                (&lag("orders"), "0x10 500x20".into()),
            ],
            vec![
                ("14m", "MirrorMakerNoThroughput", vec![]),
                ("22m", "MirrorMakerNoThroughput", vec![expected(r, "MirrorMakerNoThroughput", &[("target", "kafka-b")])]),
            ],
        ),
        // An idle source (nothing to copy) is no trouble.
        group(
            &[
                (&rc("kafka-a.orders"), "0+100x10 1000x20".into()),
                (&lag("orders"), "0x30".into()),
            ],
            vec![("22m", "MirrorMakerNoThroughput", vec![])],
        ),
        // Lag grows by 1000 a minute: over 10 000 and still growing at 25m. A large lag that
        // shrinks is catching up: no alert.
        group(
            &[
                (&lag("orders"), "0+1000x40".into()),
                (&lag("payments"), "50000-1000x40".into()),
            ],
            vec![
                ("8m", "MirrorMakerLagGrowing", vec![]),
                ("25m", "MirrorMakerLagGrowing", vec![expected(r, "MirrorMakerLagGrowing", &[("topic", "orders")])]),
            ],
        ),
    ]
}

// Proves the rendered rules are valid Prometheus rules (promtool check rules) and that every
// alert fires on its trouble and stays silent otherwise (promtool test rules): every alert of
// the file has at least one firing and one silent check.
#[test]
fn promtool_checks_and_tests_the_rendered_rules() {
    let promtool = promtool();
    let r = rules::render(&inputs())
        .unwrap()
        .expect("rules with connect and target");
    let dir = tempfile::tempdir().unwrap();
    let rules_file = dir.path().join("mirrormaker.rules.yaml");
    std::fs::write(&rules_file, serde_json::to_string_pretty(&r).unwrap()).unwrap();
    let out = run(Command::new(&promtool)
        .arg("check")
        .arg("rules")
        .arg(&rules_file));
    assert!(out.contains("SUCCESS: 7 rules found"), "{out}");

    let tests = cases(&r);
    let (mut firing, mut silent) = (BTreeSet::new(), BTreeSet::new());
    for t in tests
        .iter()
        .flat_map(|g| g["alert_rule_test"].as_array().unwrap())
    {
        let name = t["alertname"].as_str().unwrap().to_string();
        if t["exp_alerts"].as_array().unwrap().is_empty() {
            silent.insert(name);
        } else {
            firing.insert(name);
        }
    }
    let all: BTreeSet<String> = r["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["alert"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(firing, all, "an alert without a firing case");
    assert_eq!(silent, all, "an alert without a silent case");

    let test_file = dir.path().join("mirrormaker.test.yaml");
    let spec = json!({
        "rule_files": ["mirrormaker.rules.yaml"],
        "evaluation_interval": "1m",
        "tests": tests,
    });
    std::fs::write(&test_file, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
    let out = run(Command::new(&promtool)
        .current_dir(dir.path())
        .arg("test")
        .arg("rules")
        .arg(&test_file));
    assert!(out.contains("SUCCESS"), "{out}");
}
