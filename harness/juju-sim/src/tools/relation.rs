//! relation-ids, relation-list, relation-get, relation-set with Juju's rules: ids `endpoint:N`,
//! `-r` errors raised while parsing flags (exit 2, "relation not found"), own app databag only
//! for the leader, writes only to the own unit/app bag, `""` deletes a key.

use serde_json::{Map, Value};

use super::{emit, flag, no_more, parse, Flag, Tool};
use crate::error::{Error, Result};
use crate::state::app_of;

const R: Flag = flag(&["r", "relation"], true);
const FORMAT: Flag = flag(&["format"], true);
const APP: Flag = flag(&["app"], false);

/// Resolve `-r` (`N` or `endpoint:N`) or the hook's own relation.
fn relation_id(t: &Tool, raw: Option<&str>) -> Result<Option<u64>> {
    let Some(v) = raw else {
        return Ok(t.cf.ctx.relation);
    };
    let num = v.rsplit(':').next().unwrap_or(v);
    let id: u64 = num.parse().map_err(|_| {
        Error::usage(format!(
            "invalid value {v:?} for option -r: invalid relation id"
        ))
    })?;
    match t.cf.model.relations.get(&id) {
        Some(r) if r.has_app(t.app()) => Ok(Some(id)),
        _ => Err(Error::usage(format!(
            "invalid value {v:?} for option -r: relation not found"
        ))),
    }
}

fn required_id(t: &Tool, raw: Option<&str>) -> Result<u64> {
    relation_id(t, raw)?.ok_or_else(|| Error::usage("no relation id specified"))
}

pub fn ids(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT])?;
    let fmt = a.format()?;
    let mut pos = a.pos.clone();
    let endpoint = if pos.is_empty() {
        let rid =
            t.cf.ctx
                .relation
                .ok_or_else(|| Error::usage("no endpoint name specified"))?;
        t.cf.model.relations[&rid]
            .endpoint_of(t.app())
            .unwrap_or_default()
            .to_string()
    } else {
        pos.remove(0)
    };
    no_more(&pos)?;
    let mut ids: Vec<String> =
        t.cf.model
            .relations
            .values()
            .filter(|r| r.endpoint_of(t.app()) == Some(endpoint.as_str()))
            .map(|r| r.key_for(t.app()))
            .collect();
    ids.sort();
    out.push_str(&emit(&Value::from(ids), fmt));
    Ok(())
}

pub fn list(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[R, FORMAT, APP])?;
    let fmt = a.format()?;
    let rid = required_id(t, a.get("r"))?;
    no_more(&a.pos)?;
    if a.bool("app")? {
        let rel = &t.cf.model.relations[&rid];
        let remote = rel.remote_app(t.app()).unwrap_or_default();
        out.push_str(&emit(&Value::from(remote), fmt));
        return Ok(());
    }
    let mut units: Vec<String> =
        t.cf.model
            .units
            .get(t.unit())
            .and_then(|u| u.rels.get(&rid))
            .map(|r| r.joined.iter().cloned().collect())
            .unwrap_or_default();
    units.sort();
    out.push_str(&emit(&Value::from(units), fmt));
    Ok(())
}

pub fn get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[R, FORMAT, APP])?;
    let fmt = a.format()?;
    let rid = required_id(t, a.get("r"))?;
    let mut pos = a.pos.clone();
    let key = if pos.is_empty() {
        "-".to_string()
    } else {
        pos.remove(0)
    };
    let member = if pos.is_empty() {
        None
    } else {
        Some(pos.remove(0))
    };
    no_more(&pos)?;
    let mut want_app = a.bool("app")?;
    let member = match member {
        Some(m) => m,
        None => match (&t.cf.ctx.remote_unit, &t.cf.ctx.remote_app) {
            (Some(u), _) if !u.is_empty() && !want_app => u.clone(),
            (_, Some(app)) if !app.is_empty() => {
                want_app = true;
                app.clone()
            }
            _ => return Err(Error::usage("no unit or application specified")),
        },
    };
    let rel = &t.cf.model.relations[&rid];
    let bag = if want_app || !member.contains('/') {
        let app = app_of(&member);
        // Juju: on a regular relation only the leader reads its own app databag; on a peer
        // relation every unit of the app reads it (that is how peer app data is shared).
        if app == t.app() && !t.is_leader() && !rel.is_peer() {
            return Err(Error::run(
                "cannot read relation application settings: permission denied",
            ));
        }
        rel.app_data.get(app).ok_or_else(|| {
            Error::run(format!(
                "cannot read relation application settings: application {app:?} not found in relation {:?}",
                rel.key_for(t.app())
            ))
        })?
    } else {
        rel.unit_data.get(&member).ok_or_else(|| {
            Error::run(format!(
                "cannot read settings for unit {member:?} in relation {:?}: unit {member:?}: settings not found",
                rel.key_for(t.app())
            ))
        })?
    };
    let v = if key == "-" {
        Value::Object(
            bag.iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect::<Map<_, _>>(),
        )
    } else {
        bag.get(&key)
            .map(|s| Value::from(s.clone()))
            .unwrap_or(Value::Null)
    };
    out.push_str(&emit(&v, fmt));
    Ok(())
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

pub fn set(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[R, APP, flag(&["file"], true), FORMAT])?;
    let rid = required_id(t, a.get("r"))?;
    let mut settings: Vec<(String, String)> = vec![];
    if let Some(file) = a.get("file") {
        let text = if file == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| Error::io("stdin", e))?;
            s
        } else {
            std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?
        };
        if !text.trim().is_empty() {
            let v: Value = serde_yaml_ng::from_str(&text)
                .map_err(|e| Error::usage(format!("cannot parse settings file: {e}")))?;
            let Value::Object(m) = v else {
                return Err(Error::usage("expected settings file to contain a map"));
            };
            for (k, v) in m {
                settings.push((k, scalar_string(&v).unwrap_or_default()));
            }
        }
    }
    for kv in &a.pos {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(Error::usage(format!("expected \"key=value\", got {kv:?}")));
        };
        if k.is_empty() {
            return Err(Error::usage(format!("expected \"key=value\", got {kv:?}")));
        }
        settings.push((k.into(), v.into()));
    }
    let to_app = a.bool("app")?;
    if to_app && !t.is_leader() {
        return Err(Error::run("cannot write relation settings"));
    }
    let unit = t.unit().to_string();
    let app = t.app().to_string();
    let rel = t.cf.model.relations.get_mut(&rid).expect("checked");
    let bag = if to_app {
        rel.app_data.entry(app).or_default()
    } else {
        rel.unit_data.entry(unit).or_default()
    };
    for (k, v) in settings {
        if v.is_empty() {
            bag.remove(&k);
        } else {
            bag.insert(k, v);
        }
    }
    t.touch();
    Ok(())
}

/// `relation-model-get [-r ID]` → `{"uuid": <model uuid>}` (no cross-model relations here).
pub fn model_get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[R, FORMAT])?;
    let fmt = a.format()?;
    required_id(t, a.get("r"))?;
    no_more(&a.pos)?;
    let mut m = Map::new();
    m.insert("uuid".into(), Value::from(t.cf.model.uuid.clone()));
    out.push_str(&emit(&Value::Object(m), fmt));
    Ok(())
}

/// The CIDR of the subnet unit addresses live in (`lo`'s 127.0.0.0/8).
const UNIT_SUBNET: &str = "127.0.0.0/8";

/// `network-get [-r ID] BINDING [--bind-address] [--ingress-address] [--egress-subnets]
/// [--primary-address]` as jujuc's network-get.go prints it, for the unit's one (loopback)
/// address on interface `lo`. An unknown binding has no network config: `no network config
/// found for binding "<name>"` (exit 1).
pub fn network_get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(
        argv,
        &[
            R,
            FORMAT,
            flag(&["primary-address"], false),
            flag(&["bind-address"], false),
            flag(&["ingress-address"], false),
            flag(&["egress-subnets"], false),
        ],
    )?;
    let fmt = a.format()?;
    relation_id(t, a.get("r"))?;
    let Some(binding) = a.pos.first() else {
        return Err(Error::usage("no arguments specified"));
    };
    if binding.is_empty() {
        return Err(Error::usage("no binding name specified"));
    }
    no_more(&a.pos[1..])?;
    let meta = &t.cf.model.app(t.app())?.meta;
    if meta.endpoint(binding).is_none() && !meta.extra_bindings.contains(binding) {
        return Err(Error::run(format!(
            "no network config found for binding {binding:?}"
        )));
    }
    let addr = t.cf.model.unit(t.unit())?.address.clone();
    let egress = vec![Value::from(format!("{addr}/32"))];
    let mut keys: Vec<(&str, Value)> = vec![];
    if a.bool("bind-address")? {
        keys.push(("bind-address", Value::from(addr.clone())));
    }
    if a.bool("ingress-address")? {
        keys.push(("ingress-address", Value::from(addr.clone())));
    }
    if a.bool("egress-subnets")? {
        keys.push(("egress-subnets", Value::Array(egress.clone())));
    }
    let v = if a.bool("primary-address")? {
        if !keys.is_empty() {
            return Err(Error::run(
                "--primary-address must be the only flag specified",
            ));
        }
        Value::from(addr)
    } else if keys.len() == 1 {
        keys.remove(0).1
    } else if !keys.is_empty() {
        Value::Object(keys.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    } else {
        // JSON leaves out the YAML-only copies (`macaddress`, `interfacename`, `address`).
        let yaml = fmt != "json";
        let mut address = Map::new();
        address.insert("hostname".into(), Value::from(""));
        address.insert("value".into(), Value::from(addr.clone()));
        address.insert("cidr".into(), Value::from(UNIT_SUBNET));
        if yaml {
            address.insert("address".into(), Value::from(addr.clone()));
        }
        let mut iface = Map::new();
        iface.insert("mac-address".into(), Value::from(""));
        iface.insert("interface-name".into(), Value::from("lo"));
        iface.insert(
            "addresses".into(),
            Value::Array(vec![Value::Object(address)]),
        );
        if yaml {
            iface.insert("macaddress".into(), Value::from(""));
            iface.insert("interfacename".into(), Value::from("lo"));
        }
        let mut m = Map::new();
        m.insert(
            "bind-addresses".into(),
            Value::Array(vec![Value::Object(iface)]),
        );
        m.insert("egress-subnets".into(), Value::Array(egress));
        m.insert(
            "ingress-addresses".into(),
            Value::Array(vec![Value::from(addr)]),
        );
        Value::Object(m)
    };
    out.push_str(&emit(&v, fmt));
    Ok(())
}
