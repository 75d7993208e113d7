//! Observability on real metrics: the packed charm replicates on the real bed whose Kafka
//! Connect worker runs the Prometheus JMX exporter agent (0.18.0, what Charmed Kafka Connect
//! runs, with its metric names plus the MirrorMaker rule the README gives:
//! harness/kafka-bed/jmx/kafka-connect.yaml). Every metric the charm's alert rules and
//! dashboard query must be in a real scrape while replicating; then a task really failed by
//! revoked ACLs (as in tests/e2e_day2.rs) is scraped, and that captured series makes the
//! matching alert fire in `promtool test rules` with the rules as rendered for this model.

mod common;

use common::e2e::{connectors, wait_for, Stage, LIMIT};
use kafka_bed::tool::{sample_records, AclFilter};
use mirrormaker_integrator::cos::{dashboard, rules, CosInputs};
use mirrormaker_integrator::mirror::MirrorConfig;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const APP: &str = "mirrormaker";

/// `$PROMTOOL`, else build/promtool/promtool (`cargo xtask promtool`).
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

/// The rules' inputs for the real deployment: the relation id and model uuid are read off a
/// real connector name (`mirror_<kind>_<alias>_r<id>_<uuid hex>`).
fn inputs_of(connector: &str) -> CosInputs {
    let (head, uuid_hex) = connector.rsplit_once('_').unwrap();
    let rel: u64 = head.rsplit_once("_r").unwrap().1.parse().unwrap();
    CosInputs {
        app: APP.into(),
        model_name: "e2e".into(),
        model_uuid: uuid_hex.into(),
        connect: Some(("kafka-connect".into(), rel)),
        target: Some("kafka-b".into()),
        config: MirrorConfig::default(),
    }
}

/// Metric names (or `a|b` alternatives) a scrape lacks.
fn missing(scrape: &str, wanted: &[String]) -> Vec<String> {
    let present = |name: &str| {
        scrape
            .lines()
            .any(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
    };
    wanted
        .iter()
        .filter(|w| !w.split('|').any(present))
        .cloned()
        .collect()
}

#[test]
fn real_scrape_has_every_metric_the_rules_use() {
    let t0 = std::time::Instant::now();
    let promtool = promtool();
    let options = kafka_bed::bed::BedOptions {
        jmx_exporter: true,
        ..Default::default()
    };
    let stage = Stage::start_bed("e2e_cos", options, &[]);
    let (bed, sim) = (&stage.bed, &stage.sim);
    let a = bed.kafka("kafka-a").unwrap();
    let b = bed.kafka("kafka-b").unwrap();
    a.create_topic("orders.eu", 2, 1, &[]).unwrap();
    a.produce("orders.eu", &sample_records(500, "eu")).unwrap();
    // A consumer group to checkpoint (the checkpoint metrics exist once one is).
    a.commit_offsets("billing", &[("orders.eu", 0, 100), ("orders.eu", 1, 100)])
        .unwrap();
    stage.integrate_all("orders\\..*");
    wait_for("app active", LIMIT, || {
        sim.run(&["update-status"]);
        let st = sim.app_status(APP);
        (st.0 == "active").then_some(()).ok_or(st.1)
    });
    eprintln!("FIGURE: active after {:?}", t0.elapsed());

    // Step 1 — while replicating, the scrape has every metric the rules and the dashboard read.
    let names = connectors(bed);
    let source = names
        .iter()
        .find(|n| n.starts_with("mirror_source_"))
        .unwrap()
        .clone();
    let inputs = inputs_of(&source);
    let r = rules::render(&inputs).unwrap().unwrap();
    let mut wanted = rules::metric_names(&r);
    for q in dashboard::queries(&dashboard::render(&inputs).unwrap()) {
        wanted.extend(dashboard::names_in_query(&q));
    }
    wanted.sort();
    wanted.dedup();
    assert!(wanted.len() >= 9, "{wanted:?}");
    wait_for("every metric of the rules in a real scrape", LIMIT, || {
        let scrape = bed.scrape_connect_metrics().map_err(|e| e.to_string())?;
        let gone = missing(&scrape, &wanted);
        gone.is_empty().then_some(()).ok_or(format!("{gone:?}"))
    });
    eprintln!(
        "FIGURE: {} metric names in the scrape after {:?}",
        wanted.len(),
        t0.elapsed()
    );

    // Step 2 — a real failure: the target user loses its ACLs, a source task fails, and its
    // scraped series, fed to promtool, fires MirrorMakerConnectorFailed for that connector.
    let user = format!("User:relation-{}", sim.relation_id("mirrormaker:target"));
    b.acl_remove(&AclFilter {
        principal: Some(user),
        ..Default::default()
    })
    .unwrap();
    a.produce("orders.eu", &sample_records(200, "more"))
        .unwrap();
    let failed = wait_for("a FAILED task of ours in the scrape", LIMIT, || {
        let scrape = bed.scrape_connect_metrics().map_err(|e| e.to_string())?;
        scrape
            .lines()
            .find(|l| {
                l.starts_with("kafka_connect_connector_task_status{")
                    && l.contains(&format!("connector=\"{source}\""))
                    && l.contains("status=\"failed\"")
            })
            .map(|l| l.rsplit_once(' ').unwrap().0.replace(",}", "}"))
            .ok_or_else(|| "no failed task yet".to_string())
    });
    eprintln!("FIGURE: captured after {:?}: {failed}", t0.elapsed());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yaml"), r.to_string()).unwrap();
    let rule = r["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["alert"] == "MirrorMakerConnectorFailed")
        .unwrap();
    let mut labels = rule["labels"].clone();
    labels["connector"] = json!(source);
    let annotations: serde_json::Map<String, Value> = rule["annotations"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let text = v
                .as_str()
                .unwrap()
                .replace("{{ $labels.connector }}", &source);
            (k.clone(), json!(text))
        })
        .collect();
    let spec = json!({
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": failed, "values": "1x10"}],
            "alert_rule_test": [
                {"eval_time": "0m", "alertname": "MirrorMakerConnectorFailed", "exp_alerts": []},
                {"eval_time": "5m", "alertname": "MirrorMakerConnectorFailed",
                 "exp_alerts": [{"exp_labels": labels, "exp_annotations": annotations}]}
            ]
        }]
    });
    std::fs::write(dir.path().join("test.yaml"), spec.to_string()).unwrap();
    let out = Command::new(&promtool)
        .current_dir(dir.path())
        .args(["test", "rules", "test.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("FIGURE: e2e_cos wall time {:?}", t0.elapsed());
    stage.passed();
}
