//! config-get, is-leader, status-set/-get, juju-log, application-version-set, leader-get/-set,
//! open-port/close-port/opened-ports.

use serde_json::{Map, Value};

use super::{emit, flag, no_more, parse, Tool};
use crate::error::{Error, Result};
use crate::state::Status;

const FORMAT: super::Flag = flag(&["format"], true);
const STATUSES: [&str; 4] = ["maintenance", "blocked", "waiting", "active"];

pub fn config_get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT, flag(&["a", "all"], false)])?;
    let fmt = a.format()?;
    let mut pos = a.pos.clone();
    let key = if pos.is_empty() {
        None
    } else {
        Some(pos.remove(0))
    };
    no_more(&pos)?;
    let app = t.cf.model.app(t.app())?;
    let value = |k: &str| {
        app.config
            .get(k)
            .cloned()
            .or_else(|| app.meta.config.get(k).and_then(|o| o.default.clone()))
    };
    let v = match key {
        Some(k) => value(&k).unwrap_or(Value::Null),
        None => {
            let mut m = Map::new();
            for k in app.meta.config.keys() {
                match value(k) {
                    Some(v) => {
                        m.insert(k.clone(), v);
                    }
                    None if a.bool("a")? => {
                        m.insert(k.clone(), Value::Null);
                    }
                    None => {}
                }
            }
            Value::Object(m)
        }
    };
    out.push_str(&emit(&v, fmt));
    Ok(())
}

pub fn is_leader(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT])?;
    let fmt = a.format()?;
    no_more(&a.pos)?;
    out.push_str(&emit(&Value::Bool(t.is_leader()), fmt));
    Ok(())
}

pub fn status_set(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[flag(&["application"], false)])?;
    let Some(status) = a.pos.first() else {
        return Err(Error::usage(
            "invalid args, require <status> [message] [data]",
        ));
    };
    if !STATUSES.contains(&status.as_str()) {
        return Err(Error::usage(format!(
            "invalid status {status:?}, expected one of [maintenance blocked waiting active]"
        )));
    }
    // `status-set <status> [message] [data]`: a third (data) argument is accepted and ignored.
    if a.pos.len() > 3 {
        no_more(&a.pos[3..])?;
    }
    let msg = a.pos.get(1).cloned().unwrap_or_default();
    let st = Status::new(status, &msg);
    if a.bool("application")? {
        if !t.is_leader() {
            return Err(Error::run("this unit is not the leader"));
        }
        let app = t.app().to_string();
        t.cf.model.app_mut(&app)?.status = Some(st);
    } else {
        let unit = t.unit().to_string();
        t.cf.model.unit_mut(&unit)?.status = st;
    }
    t.touch();
    Ok(())
}

/// One status as jujuc's `toDetails` prints it: `status`, plus `message` and `status-data`
/// with `--include-data`.
fn details(s: &Status, include_data: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("status".into(), Value::from(s.status.clone()));
    if include_data {
        m.insert("message".into(), Value::from(s.message.clone()));
        m.insert("status-data".into(), Value::Object(Map::new()));
    }
    m
}

/// A unit's status as Juju's state `Unit.Status()` reports it: the agent's error status (the
/// failed hook) overrides the workload status.
fn unit_status(u: &crate::state::Unit) -> Status {
    match &u.agent {
        crate::state::Agent::Error { hook } => {
            Status::new("error", &format!("hook failed: \"{hook}\""))
        }
        crate::state::Agent::Idle => u.status.clone(),
    }
}

/// Juju's `deriveApplicationStatus` severities; an application status nobody has set is the
/// most severe unit status (the first unit wins a tie).
fn severity(s: &str) -> u8 {
    match s {
        "error" => 100,
        "blocked" => 90,
        "waiting" => 80,
        "maintenance" => 70,
        "active" => 60,
        "terminated" => 50,
        "unknown" => 40,
        _ => 0,
    }
}

/// The application status `status-get --application` reports (juju state
/// `Application.Status`): the one the leader set, else derived from the units.
pub fn app_status(model: &crate::state::Model, app: &str) -> Result<Status> {
    if let Some(s) = &model.app(app)?.status {
        return Ok(s.clone());
    }
    let mut result = Status::new("", "");
    for u in model.units_of(app) {
        let us = unit_status(&model.units[&u]);
        if severity(&us.status) > severity(&result.status) {
            result = us;
        }
    }
    if result.status.is_empty() {
        result = Status::new("unknown", "");
    }
    Ok(result)
}

/// `status-get [--include-data] [--application]` as jujuc's status-get.go prints it: the
/// status string alone for the smart format without `--include-data`; otherwise a map (unit:
/// `{status[, message, status-data]}`; application: `{"application-status": {…, "units":
/// {<unit>: {…}}}}`).
pub fn status_get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(
        argv,
        &[
            FORMAT,
            flag(&["include-data"], false),
            flag(&["application"], false),
        ],
    )?;
    let fmt = a.format()?;
    no_more(&a.pos)?;
    let include = a.bool("include-data")?;
    let model = &t.cf.model;
    let v = if a.bool("application")? {
        if !t.is_leader() {
            return Err(Error::run(
                "finding application status: this unit is not the leader",
            ));
        }
        let st = app_status(model, t.app())?;
        if !include && fmt == "smart" {
            Value::from(st.status)
        } else {
            let mut d = details(&st, include);
            let mut units = Map::new();
            for u in model.units_of(t.app()) {
                let us = unit_status(&model.units[&u]);
                units.insert(u.clone(), Value::Object(details(&us, include)));
            }
            d.insert("units".into(), Value::Object(units));
            let mut top = Map::new();
            top.insert("application-status".into(), Value::Object(d));
            Value::Object(top)
        }
    } else {
        let s = &model.unit(t.unit())?.status;
        if !include && fmt == "smart" {
            Value::from(s.status.clone())
        } else {
            Value::Object(details(s, include))
        }
    };
    out.push_str(&emit(&v, fmt));
    Ok(())
}

pub fn juju_log(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(
        argv,
        &[
            flag(&["l", "log-level"], true),
            flag(&["debug"], false),
            FORMAT,
        ],
    )?;
    if a.pos.is_empty() {
        return Err(Error::usage("no message specified"));
    }
    let mut msg = a.pos.join(" ");
    let mut level = a.get("l").unwrap_or("INFO").to_uppercase();
    if a.bool("debug")? {
        level = "DEBUG".into();
    }
    if !["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"].contains(&level.as_str()) {
        crate::logs::append(
            &t.dir,
            t.unit(),
            "WARNING",
            &format!("Specified log level ({level}) is not valid"),
        );
        level = "INFO".into();
    }
    if let Some(rid) = t.cf.ctx.relation {
        if let Some(r) = t.cf.model.relations.get(&rid) {
            msg = format!("{}: {msg}", r.key_for(t.app()));
        }
    }
    crate::logs::append(&t.dir, t.unit(), &level, &msg);
    Ok(())
}

pub fn version_set(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    let Some(v) = a.pos.first() else {
        return Err(Error::usage("no version specified"));
    };
    no_more(&a.pos[1..])?;
    let app = t.app().to_string();
    t.cf.model.app_mut(&app)?.version = v.clone();
    t.touch();
    Ok(())
}

pub fn leader_get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT])?;
    let fmt = a.format()?;
    let mut pos = a.pos.clone();
    let key = if pos.is_empty() {
        "-".into()
    } else {
        pos.remove(0)
    };
    no_more(&pos)?;
    let bag = &t.cf.model.app(t.app())?.leader_settings;
    let v = if key == "-" {
        Value::Object(
            bag.iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect(),
        )
    } else {
        bag.get(&key)
            .map(|v| Value::from(v.clone()))
            .unwrap_or(Value::Null)
    };
    out.push_str(&emit(&v, fmt));
    Ok(())
}

pub fn leader_set(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    let mut kvs = vec![];
    for kv in &a.pos {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(Error::usage(format!("expected \"key=value\", got {kv:?}")));
        };
        kvs.push((k.to_string(), v.to_string()));
    }
    if !t.is_leader() {
        return Err(Error::run(
            "cannot write leadership settings: cannot write settings: not the leader",
        ));
    }
    let app = t.app().to_string();
    let bag = &mut t.cf.model.app_mut(&app)?.leader_settings;
    for (k, v) in kvs {
        if v.is_empty() {
            bag.remove(&k);
        } else {
            bag.insert(k, v);
        }
    }
    t.touch();
    Ok(())
}

/// Normalise `80`, `80/tcp`, `8000-8100/udp`, `icmp`.
fn port_spec(raw: &str) -> Option<String> {
    if raw == "icmp" {
        return Some("icmp".into());
    }
    let (range, proto) = match raw.split_once('/') {
        Some((r, p)) => (r, p.to_lowercase()),
        None => (raw, "tcp".into()),
    };
    if proto != "tcp" && proto != "udp" {
        return None;
    }
    let ok = |p: &str| p.parse::<u16>().is_ok_and(|n| n > 0);
    let valid = match range.split_once('-') {
        Some((a, b)) => ok(a) && ok(b),
        None => ok(range),
    };
    valid.then(|| format!("{range}/{proto}"))
}

pub fn port(t: &mut Tool, argv: &[String], open: bool) -> Result<()> {
    let a = parse(argv, &[flag(&["endpoints"], true), FORMAT])?;
    let Some(raw) = a.pos.first() else {
        return Err(Error::usage("no port or range specified"));
    };
    no_more(&a.pos[1..])?;
    let spec = port_spec(raw).ok_or_else(|| {
        Error::usage(format!(
            "expected <port>[/<protocol>] or <from>-<to>[/<protocol>] or icmp; got {raw:?}"
        ))
    })?;
    let unit = t.unit().to_string();
    let u = t.cf.model.unit_mut(&unit)?;
    if open {
        u.ports.insert(spec);
    } else {
        u.ports.remove(&spec);
    }
    t.touch();
    Ok(())
}

/// Sort key of a port spec as Juju's `PortRange.LessThan`: protocol, then from, then to.
fn port_key(spec: &str) -> (String, u32, u32) {
    let (range, proto) = spec.split_once('/').unwrap_or(("", spec));
    let (from, to) = range.split_once('-').unwrap_or((range, range));
    (
        proto.to_string(),
        from.parse().unwrap_or(0),
        to.parse().unwrap_or(0),
    )
}

/// `opened-ports [--endpoints]`: the ports opened when the hook started (pending
/// open-port/close-port commit with the hook), sorted as Juju sorts them; with `--endpoints`
/// each is followed by ` (*)` (every port here applies to all endpoints).
pub fn opened_ports(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT, flag(&["endpoints"], false)])?;
    let fmt = a.format()?;
    no_more(&a.pos)?;
    let mut ports = t.cf.ctx.ports_at_start.clone();
    ports.sort_by_key(|p| port_key(p));
    if a.bool("endpoints")? {
        ports = ports.into_iter().map(|p| format!("{p} (*)")).collect();
    }
    out.push_str(&emit(&Value::from(ports), fmt));
    Ok(())
}
