//! The Prometheus alert rules, rendered from `templates/cos/alert-rules.json.tera` with the
//! thresholds of the `alert-*` options. Pure.
//!
//! The expressions read the Kafka Connect workers' series (docs/spec/cos.md §3), which COS
//! scrapes through Charmed Kafka Connect's own `cos-agent` relation: each rule carries that
//! application's Juju topology as labels, and COS narrows every selector to them (§2), so our
//! rules never judge another Connect cluster's series. Within it, connector names (they end
//! with our connect-client relation id and model uuid) and the target alias pick ours.

use super::{safe, uuid_hex, CosError, CosInputs};
use serde_json::{Map, Value};
use std::sync::OnceLock;

const TEMPLATE: &str = include_str!("../../templates/cos/alert-rules.json.tera");
const NAME: &str = "alert-rules.json.tera";
/// Charmed Kafka Connect's charm name (its metadata.yaml), the `juju_charm` of its series.
const CONNECT_CHARM: &str = "kafka-connect";
/// The client ids of MirrorMaker's source-task consumers (docs/spec/cos.md §3): the exporter
/// keeps the quotes JMX put around them, hence the optional last character.
const CONSUMERS: &str = ".+[|]replication-consumer.?";
/// Shortest window a rate or increase is judged over: a few scrapes at COS's usual interval.
const MIN_WINDOW_SECS: u64 = 300;

/// The rules file (`{"groups": [...]}`), or `None` until both the connect-client and target
/// relations exist: before that there is no series of ours to judge.
pub fn render(inputs: &CosInputs) -> Result<Option<Value>, CosError> {
    let (Some((connect_app, rel_id)), Some(target)) = (&inputs.connect, &inputs.target) else {
        return Ok(None);
    };
    let context = context(inputs, *rel_id, target)?;
    let mut rules = super::template::render_json(&COMPILED, NAME, TEMPLATE, &context)?;
    add_labels(&mut rules, &topology(inputs, connect_app));
    Ok(Some(rules))
}

/// The template's variables.
fn context(inputs: &CosInputs, rel_id: u64, target: &str) -> Result<tera::Context, CosError> {
    let cfg = &inputs.config;
    let uuid = uuid_hex(&inputs.model_uuid);
    let ours = |kinds: &str| format!("mirror_({kinds})_.+_r{rel_id}_{uuid}");
    let window = |n: u64, interval: u64| format!("{}s", (n * interval).max(MIN_WINDOW_SECS));
    let mut c = tera::Context::new();
    c.insert("group", &group_name(inputs));
    c.insert("app", &safe("application name", inputs.app.clone())?);
    c.insert(
        "connectors",
        &safe("model uuid", ours("source|checkpoint|heartbeat"))?,
    );
    c.insert(
        "checkpoint_connectors",
        &safe("model uuid", ours("checkpoint"))?,
    );
    c.insert("target", &safe("target alias", target.to_string())?);
    c.insert("consumers", CONSUMERS);
    c.insert("latency_p99_ms", &cfg.alerts.latency_p99_ms);
    c.insert("record_age_ms", &cfg.alerts.record_age_ms);
    c.insert("lag_records", &cfg.alerts.lag_records);
    c.insert("heartbeats", &inputs.heartbeats_replicated());
    c.insert(
        "heartbeat_window",
        &window(
            cfg.alerts.heartbeat_intervals,
            cfg.intervals.emit_heartbeats,
        ),
    );
    c.insert("checkpoints", &cfg.emit_checkpoints);
    c.insert(
        "checkpoint_window",
        &window(
            cfg.alerts.checkpoint_intervals,
            cfg.intervals.emit_checkpoints,
        ),
    );
    Ok(c)
}

/// `<model>_<uuid first 8>_<app>_mirrormaker_rules`, in the characters Prometheus allows: the
/// shape the cos_agent library gives group names, which its agents then keep as they are.
fn group_name(inputs: &CosInputs) -> String {
    let uuid8: String = uuid_hex(&inputs.model_uuid).chars().take(8).collect();
    format!(
        "{}_{uuid8}_{}_mirrormaker_rules",
        inputs.model_name, inputs.app
    )
    .chars()
    .map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            c
        } else {
            '_'
        }
    })
    .collect()
}

/// The Kafka Connect application's topology (Connect runs in our model).
fn topology(inputs: &CosInputs, connect_app: &str) -> Map<String, Value> {
    [
        ("juju_model", inputs.model_name.as_str()),
        ("juju_model_uuid", inputs.model_uuid.as_str()),
        ("juju_application", connect_app),
        ("juju_charm", CONNECT_CHARM),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
    .collect()
}

/// Adds `labels` to every rule's labels.
fn add_labels(rules: &mut Value, labels: &Map<String, Value>) {
    let groups = rules["groups"].as_array_mut().into_iter().flatten();
    for rule in groups.flat_map(|g| g["rules"].as_array_mut().into_iter().flatten()) {
        if let Some(l) = rule["labels"].as_object_mut() {
            l.extend(labels.clone());
        }
    }
}

static COMPILED: super::template::Compiled = OnceLock::new();

/// Every metric name an expression of `rules` reads, sorted (for the tests that check them
/// against a real scrape and the dashboard).
pub fn metric_names(rules: &Value) -> Vec<String> {
    let mut names: Vec<String> = rules["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .filter_map(|r| r["expr"].as_str())
        .flat_map(super::dashboard::names_in_query)
        .collect();
    names.sort();
    names.dedup();
    names
}
