//! Read-only views: `status` (juju status-like JSON/YAML/table) and `secrets`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::error::Result;
use crate::state::{Agent, Model, Status};

pub(super) fn render(v: &Value, fmt: &str) -> String {
    if fmt == "json" {
        format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
    } else {
        serde_yaml_ng::to_string(v).unwrap_or_default()
    }
}

pub(super) fn rank(s: &str) -> u8 {
    match s {
        "error" => 6,
        "blocked" => 5,
        "maintenance" => 4,
        "waiting" => 3,
        "active" => 2,
        _ => 1,
    }
}

/// Workload status as `juju status` shows it (a failed hook overrides with `error`).
pub(super) fn unit_workload(u: &crate::state::Unit) -> Status {
    match &u.agent {
        Agent::Error { hook } => Status::new("error", &format!("hook failed: \"{hook}\"")),
        Agent::Idle => u.status.clone(),
    }
}

pub(super) fn status_view(model: &Model) -> Value {
    let mut apps = Map::new();
    for (name, a) in &model.apps {
        let mut units = Map::new();
        for un in model.units_of(name) {
            let u = &model.units[&un];
            let w = unit_workload(u);
            units.insert(
                un.clone(),
                json!({
                    "workload-status": {"current": w.status, "message": w.message},
                    "juju-status": {"current": if u.queue.is_empty() || u.agent != Agent::Idle { "idle" } else { "executing" }},
                    "leader": model.is_leader(&un),
                    "address": u.address,
                    "open-ports": u.ports.iter().collect::<Vec<_>>(),
                }),
            );
        }
        let app_status = a.status.clone().unwrap_or_else(|| {
            model
                .units_of(name)
                .iter()
                .map(|u| unit_workload(&model.units[u]))
                .max_by_key(|s| rank(&s.status))
                .unwrap_or_else(|| Status::new("unknown", ""))
        });
        let mut rels: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for r in model.relations.values().filter(|r| r.has_app(name)) {
            rels.entry(r.endpoint_of(name).unwrap_or_default().into())
                .or_default()
                .push(json!({
                    "related-application": r.remote_app(name),
                    "interface": r.interface,
                    "scope": "global",
                }));
        }
        apps.insert(
            name.clone(),
            json!({
                "charm": a.meta.name,
                "simulated": a.sim.is_some(),
                "version": a.version,
                "application-status": {"current": app_status.status, "message": app_status.message},
                "units": units,
                "relations": rels,
            }),
        );
    }
    let rels: Vec<Value> = model
        .relations
        .values()
        .map(|r| {
            json!({
                "id": r.id,
                "endpoints": r.endpoints.iter().map(|e| format!("{}:{}", e.app, e.endpoint)).collect::<Vec<_>>(),
                "interface": r.interface,
                "type": if r.is_peer() { "peer" } else { "regular" },
            })
        })
        .collect();
    json!({
        "model": {"name": model.name, "uuid": model.uuid, "version": crate::runner::JUJU_VERSION},
        "applications": apps,
        "relations": rels,
    })
}

pub(super) fn status(model: &Model, fmt: &str) -> Result<String> {
    let v = status_view(model);
    if fmt == "json" || fmt == "yaml" {
        return Ok(render(&v, fmt));
    }
    let mut s = format!(
        "Model  {}  Juju {}\n\n",
        model.name,
        crate::runner::JUJU_VERSION
    );
    s.push_str(&format!(
        "{:<24} {:<12} {:<10} {}\n",
        "App", "Status", "Version", "Message"
    ));
    for (name, a) in v["applications"].as_object().into_iter().flatten() {
        s.push_str(&format!(
            "{:<24} {:<12} {:<10} {}\n",
            name,
            a["application-status"]["current"].as_str().unwrap_or(""),
            a["version"].as_str().unwrap_or(""),
            a["application-status"]["message"].as_str().unwrap_or("")
        ));
    }
    s.push_str(&format!(
        "\n{:<24} {:<12} {:<10} {}\n",
        "Unit", "Workload", "Agent", "Message"
    ));
    for (_, a) in v["applications"].as_object().into_iter().flatten() {
        for (un, u) in a["units"].as_object().into_iter().flatten() {
            let star = if u["leader"] == Value::Bool(true) {
                "*"
            } else {
                ""
            };
            s.push_str(&format!(
                "{:<24} {:<12} {:<10} {}\n",
                format!("{un}{star}"),
                u["workload-status"]["current"].as_str().unwrap_or(""),
                u["juju-status"]["current"].as_str().unwrap_or(""),
                u["workload-status"]["message"].as_str().unwrap_or("")
            ));
        }
    }
    s.push_str(&format!(
        "\n{:<6} {:<60} {}\n",
        "Id", "Endpoints", "Interface"
    ));
    for r in v["relations"].as_array().into_iter().flatten() {
        let eps: Vec<&str> = r["endpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        s.push_str(&format!(
            "{:<6} {:<60} {}\n",
            r["id"],
            eps.join(" "),
            r["interface"].as_str().unwrap_or("")
        ));
    }
    Ok(s)
}

pub(super) fn secrets_view(model: &Model) -> Value {
    let mut m = Map::new();
    for (id, s) in &model.secrets {
        m.insert(
            id.clone(),
            json!({
                "owner": format!("{}:{}", s.owner_kind, s.owner),
                "label": s.label,
                "latest-revision": s.latest(),
                "revisions": s.revisions.keys().collect::<Vec<_>>(),
                "grants": s.grants.iter().map(|g| json!({"relation": g.relation, "unit": g.unit})).collect::<Vec<_>>(),
                "consumers": s.consumers.iter().map(|(u, c)| (u.clone(), json!({"label": c.label, "revision": c.revision}))).collect::<Map<_, _>>(),
            }),
        );
    }
    Value::Object(m)
}
