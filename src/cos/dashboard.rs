//! The Grafana dashboard, rendered from `templates/cos/dashboard.json.tera` and encoded as the
//! cos_agent library sends dashboards: the JSON text LZMA-compressed (xz container) and
//! base64-encoded (docs/spec/cos.md §1). Pure.

use super::{CosError, CosInputs};
use base64::Engine;
use serde_json::Value;
use std::sync::OnceLock;

const TEMPLATE: &str = include_str!("../../templates/cos/dashboard.json.tera");
const NAME: &str = "dashboard.json.tera";
/// The uid the cos_agent library would give this dashboard: the hex of the 20-byte
/// SHAKE-256 of `mirrormaker-integrator-templates/cos/dashboard.json.tera` (docs/spec/cos.md
/// §1), fixed here so every deployment of the charm updates one dashboard.
pub const UID: &str = "478c5464bad1cf2cb4772ece406644a88d56b21c";

/// The dashboard JSON.
pub fn render(inputs: &CosInputs) -> Result<Value, CosError> {
    let a = &inputs.config.alerts;
    let mut c = tera::Context::new();
    c.insert("uid", UID);
    c.insert("latency_p99_ms", &a.latency_p99_ms);
    c.insert("record_age_ms", &a.record_age_ms);
    c.insert("lag_records", &a.lag_records);
    super::template::render_json(&COMPILED, NAME, TEMPLATE, &c)
}

/// The dashboard as the `dashboards` list of the databag carries it.
pub fn encoded(inputs: &CosInputs) -> Result<String, CosError> {
    let text = render(inputs)?.to_string();
    let mut xz = Vec::new();
    lzma_rs::xz_compress(&mut text.as_bytes(), &mut xz).map_err(|e| CosError::Render {
        template: format!("templates/cos/{NAME}"),
        message: format!("xz: {e}"),
    })?;
    Ok(base64::engine::general_purpose::STANDARD.encode(xz))
}

/// The dashboard JSON text back from [`encoded`] (what the agent does with it).
pub fn decode(encoded: &str) -> Result<String, String> {
    let xz = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    lzma_rs::xz_decompress(&mut xz.as_slice(), &mut out).map_err(|e| e.to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

static COMPILED: super::template::Compiled = OnceLock::new();

/// The metrics a PromQL query reads: each bare `kafka_*` name, and each `__name__=~"a|b"`
/// set as one entry `a|b` (any of them will do). Quoted label values are skipped.
pub fn names_in_query(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = query;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("__name__=~\"") {
            let end = after.find('"').unwrap_or(after.len());
            out.push(after[..end].to_string());
            rest = after.get(end + 1..).unwrap_or("");
        } else if c == '"' {
            let end = rest[1..].find('"').map_or(rest.len(), |i| i + 2);
            rest = &rest[end..];
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            if word.starts_with("kafka_") {
                out.push(word.to_string());
            }
            rest = &rest[end..];
        } else {
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Every query of the dashboard's panels and variables.
pub fn queries(dashboard: &Value) -> Vec<String> {
    let panels = dashboard["panels"].as_array().into_iter().flatten();
    let targets = panels.flat_map(|p| p["targets"].as_array().into_iter().flatten());
    let vars = dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten();
    targets
        .filter_map(|t| t["expr"].as_str())
        .chain(vars.filter_map(|v| v["query"]["query"].as_str()))
        .map(str::to_string)
        .collect()
}
