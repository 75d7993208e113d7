//! Hook tools modelled from the emulator's model that Juju answers from the unit's machine and
//! the controller: unit-get, goal-state, state-get/-set/-delete (the unit's charm state),
//! storage-list/-get/-add (storage is not modelled: a unit has none). Flags, texts and exit
//! codes follow jujuc's unit-get.go, goal-state.go, state-*.go and storage-*.go (Juju 3.6) and
//! the uniter facade's GoalStates.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{emit, flag, no_more, parse, Flag, Tool};
use crate::error::{Error, Result};
use crate::state::{Agent, Model};

const FORMAT: Flag = flag(&["format"], true);

/// `unit-get private-address|public-address`: the unit's (loopback) address for both.
pub fn unit_get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT])?;
    let fmt = a.format()?;
    let Some(key) = a.pos.first() else {
        return Err(Error::usage("no setting specified"));
    };
    if key != "private-address" && key != "public-address" {
        return Err(Error::usage(format!("unknown setting {key:?}")));
    }
    no_more(&a.pos[1..])?;
    let addr = t.cf.model.unit(t.unit())?.address.clone();
    out.push_str(&emit(&Value::from(addr), fmt));
    Ok(())
}

/// The current time as Juju's `common.FormatTime(t, true)` prints it: `2006-01-02 15:04:05Z`.
pub fn now_juju() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn goal(status: &str, since: &str) -> Value {
    let mut m = Map::new();
    m.insert("status".into(), Value::from(status));
    m.insert("since".into(), Value::from(since));
    Value::Object(m)
}

/// Goal state of an application's units: the workload status (the agent's `error` when a hook
/// failed), `dying` for a unit being removed.
fn goal_units(model: &Model, app: &str, since: &str, into: &mut Map<String, Value>) {
    for u in model.units_of(app) {
        let unit = &model.units[&u];
        let status = if unit.dying {
            "dying".to_string()
        } else if let Agent::Error { .. } = unit.agent {
            "error".to_string()
        } else {
            unit.status.status.clone()
        };
        into.insert(u.clone(), goal(&status, since));
    }
}

/// `goal-state [--format yaml|json]` as the uniter facade's GoalStates builds it: `units` = this
/// application's units; `relations` = per local endpoint of every non-peer relation, the
/// remote application (relation status `joining`/`joined`/`broken`) and its units. `since` is
/// the time of the call (the emulator keeps no status history).
pub fn goal_state(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT])?;
    let fmt = match a.get("format") {
        None => "yaml",
        Some("yaml") => "yaml",
        Some("json") => "json",
        Some(other) => {
            return Err(Error::usage(format!(
                "invalid value {other:?} for option --format: unknown format {other:?}"
            )))
        }
    };
    no_more(&a.pos)?;
    let since = now_juju();
    let model = &t.cf.model;
    let app = t.app();
    let mut units = Map::new();
    goal_units(model, app, &since, &mut units);
    let mut relations: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for r in model.relations.values() {
        if r.is_peer() || !r.has_app(app) {
            continue;
        }
        let (Some(ep), Some(remote)) = (r.endpoint_of(app), r.remote_app(app)) else {
            continue;
        };
        let joined = model
            .units
            .values()
            .any(|u| u.rels.get(&r.id).is_some_and(|m| !m.joined.is_empty()));
        let status = if r.dying {
            "broken"
        } else if joined {
            "joined"
        } else {
            "joining"
        };
        let entry = relations.entry(ep.to_string()).or_default();
        entry.insert(remote.to_string(), goal(status, &since));
        goal_units(model, remote, &since, entry);
    }
    let mut top = Map::new();
    top.insert("units".into(), Value::Object(units));
    top.insert(
        "relations".into(),
        Value::Object(
            relations
                .into_iter()
                .map(|(k, v)| (k, Value::Object(v)))
                .collect(),
        ),
    );
    out.push_str(&emit(&Value::Object(top), fmt));
    Ok(())
}

/// juju/utils `keyvalues.Parse`: `key=value` pairs, trimmed; duplicate keys are an error.
pub fn parse_key_values(args: &[String], allow_empty: bool) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for kv in args {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(Error::usage(format!("expected \"key=value\", got {kv:?}")));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || (!allow_empty && v.is_empty()) {
            return Err(Error::usage(format!(
                "expected \"key=value\", got \"{k}={v}\""
            )));
        }
        if out.contains_key(k) {
            return Err(Error::usage(format!("key {k:?} specified more than once")));
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

/// `state-get [KEY|-] [--strict]`: the unit's charm state (`{}` when empty, as Juju 3.6
/// prints it); a missing key is `""`, or with `--strict` the error `"KEY" not found` (1).
pub fn state_get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT, flag(&["strict"], false)])?;
    let fmt = a.format()?;
    let mut pos = a.pos.clone();
    let key = if pos.is_empty() {
        String::new()
    } else {
        pos.remove(0)
    };
    no_more(&pos)?;
    let state = &t.cf.model.unit(t.unit())?.charm_state;
    let v = if key.is_empty() || key == "-" {
        Value::Object(
            state
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect(),
        )
    } else {
        match state.get(&key) {
            Some(v) => Value::from(v.clone()),
            None if a.bool("strict")? => {
                return Err(Error::run(format!("{key:?} not found")));
            }
            None => Value::from(""),
        }
    };
    out.push_str(&emit(&v, fmt));
    Ok(())
}

/// `state-set [--file F|-] key=value…`: arguments override the file's YAML map; committed
/// with the hook.
pub fn state_set(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[flag(&["file"], true)])?;
    let overrides = parse_key_values(&a.pos, true)?;
    let mut values = BTreeMap::new();
    if let Some(file) = a.get("file") {
        let text = super::read_file_arg(file)?;
        if !text.trim().is_empty() {
            let v: Value = serde_yaml_ng::from_str(&text).map_err(|e| Error::run(e.to_string()))?;
            let Value::Object(m) = v else {
                return Err(Error::run("expected settings file to contain a map"));
            };
            for (k, v) in m {
                let s = match v {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                values.insert(k, s);
            }
        }
    }
    values.extend(overrides);
    let unit = t.unit().to_string();
    t.cf.model.unit_mut(&unit)?.charm_state.extend(values);
    t.touch();
    Ok(())
}

/// `state-delete KEY`: deleting a missing key (or no key) is not an error.
pub fn state_delete(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    let Some(key) = a.pos.first().cloned() else {
        return Ok(());
    };
    no_more(&a.pos[1..])?;
    let unit = t.unit().to_string();
    if t.cf
        .model
        .unit_mut(&unit)?
        .charm_state
        .remove(&key)
        .is_some()
    {
        t.touch();
    }
    Ok(())
}

/// `storage-list [NAME]`: the unit's storage instances — none, storage is not modelled.
pub fn storage_list(_t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT])?;
    let fmt = a.format()?;
    if a.pos.len() > 1 {
        no_more(&a.pos[1..])?;
    }
    out.push_str(&emit(&Value::Array(vec![]), fmt));
    Ok(())
}

/// names.IsValidStorage: `<storage name>/<number>`.
fn valid_storage_id(id: &str) -> bool {
    let Some((name, n)) = id.split_once('/') else {
        return false;
    };
    let name_ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('-').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    name_ok && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
}

/// `storage-get [-s ID] [KEY]`: outside a storage hook `-s` is required (`no storage instance
/// specified`, exit 2); since a unit has no storage attached, every valid id is `storage
/// attachment <id>:<unit> not found`, raised while parsing `-s` (exit 2), as Juju does.
pub fn storage_get(t: &mut Tool, argv: &[String], _out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT, flag(&["s"], true)])?;
    a.format()?;
    let Some(id) = a.get("s") else {
        return Err(Error::usage("no storage instance specified"));
    };
    if !valid_storage_id(id) {
        return Err(Error::usage(format!(
            "invalid value {id:?} for option -s: invalid storage ID {id:?}"
        )));
    }
    Err(Error::usage(format!(
        "invalid value {id:?} for option -s: storage attachment {id}:{} not found",
        t.unit()
    )))
}

/// `storage-add NAME[=COUNT]…`: accepted; Juju adds the storage when it commits the hook. A
/// storage the charm does not declare makes that commit fail (the hook fails after dispatch
/// exits 0); a declared one is accepted and, storage not being modelled, only logged.
pub fn storage_add(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    if a.pos.is_empty() {
        return Err(Error::usage("storage add requires a storage directive"));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut names = vec![];
    for d in &a.pos {
        let mut parts = d.split('=');
        let name = parts.next().unwrap_or_default();
        let count = parts.next();
        if parts.next().is_some() || name.is_empty() {
            return Err(Error::usage(format!(
                "expected \"name=constraints\" or \"name\", got {d:?}"
            )));
        }
        if let Some(c) = count {
            if !c.is_empty() && !c.chars().all(|ch| ch.is_ascii_digit()) {
                return Err(Error::usage(format!(
                    "only count can be specified for {name:?}"
                )));
            }
        }
        if !seen.insert(name.to_string()) {
            return Err(Error::usage(format!(
                "storage {name:?} specified more than once"
            )));
        }
        names.push(name.to_string());
    }
    let meta = &t.cf.model.app(t.app())?.meta;
    if let Some(missing) = names.iter().find(|n| !meta.storage.contains_key(*n)) {
        t.cf.commit_error = Some(format!("charm storage {missing:?} not found"));
        t.touch();
    } else {
        crate::logs::append(
            &t.dir,
            t.unit(),
            "WARNING",
            &format!(
                "storage-add {}: storage is not modelled by juju-sim; nothing is added",
                names.join(" ")
            ),
        );
    }
    Ok(())
}
