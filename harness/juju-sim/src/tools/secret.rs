//! secret-get, secret-add, secret-set, secret-info-get, secret-grant/-revoke, secret-remove,
//! secret-ids: owner vs consumer, owner label vs consumer label, tracked revision per consumer
//! unit moved by `--refresh`, `--peek` reading the latest without moving it.

use base64::Engine;
use serde_json::{Map, Value};

use super::{emit, flag, no_more, parse, Flag, Tool};
use crate::error::{Error, Result};
use crate::secrets;
use crate::state::{Bag, Consumer};

const FORMAT: Flag = flag(&["format"], true);
const LABEL: Flag = flag(&["label"], true);

/// Juju's `secrets.ParseURI`: `secret:<xid>`, `secret://<model>/<xid>` or a bare 20-char xid.
fn check_uri(r: &str) -> Result<()> {
    let x = secrets::short_id(r);
    if x.len() == 20
        && x.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'v').contains(&c))
    {
        Ok(())
    } else {
        Err(Error::usage(format!("secret URI {r:?} not valid")))
    }
}

fn not_found(r: &str) -> Error {
    Error::run(format!("secret {r:?} not found"))
}

pub fn get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(
        argv,
        &[
            FORMAT,
            LABEL,
            flag(&["refresh"], false),
            flag(&["peek"], false),
        ],
    )?;
    let fmt = a
        .get("format")
        .map(|_| a.format())
        .transpose()?
        .unwrap_or("yaml");
    let (refresh, peek) = (a.bool("refresh")?, a.bool("peek")?);
    if refresh && peek {
        return Err(Error::usage(
            "specify one of --peek or --refresh but not both",
        ));
    }
    let mut pos = a.pos.clone();
    let label = a.get("label").map(String::from);
    let id_arg = if pos.is_empty() {
        None
    } else {
        Some(pos.remove(0))
    };
    if let Some(i) = &id_arg {
        check_uri(i)?;
    }
    let key = if pos.is_empty() {
        None
    } else {
        Some(pos.remove(0))
    };
    no_more(&pos)?;
    let unit = t.unit().to_string();
    let id = match (&id_arg, &label) {
        (None, None) => return Err(Error::usage("require either a secret URI or label")),
        (Some(i), _) => secrets::find(&t.cf.model, i)
            .map(|s| s.id.clone())
            .ok_or_else(|| not_found(i))?,
        (None, Some(l)) => secrets::find_by_label(&t.cf.model, &unit, l)
            .map(|s| s.id.clone())
            .ok_or_else(|| not_found(l))?,
    };
    let owner = secrets::is_owner_side(&t.cf.model.secrets[&id], &unit);
    if !owner && !secrets::is_granted(&t.cf.model, &t.cf.model.secrets[&id], &unit) {
        return Err(Error::run("permission denied"));
    }
    let s = t.cf.model.secrets.get_mut(&id).expect("found");
    let latest = s.latest();
    let rev = if owner {
        if id_arg.is_some() {
            if let Some(l) = &label {
                s.label = Some(l.clone());
            }
        }
        latest
    } else {
        let c = s.consumers.entry(unit.clone()).or_insert(Consumer {
            label: None,
            revision: latest,
        });
        if id_arg.is_some() && label.is_some() {
            c.label = label.clone();
        }
        if refresh {
            c.revision = latest;
        }
        if peek {
            latest
        } else {
            c.revision
        }
    };
    let content = s
        .content(rev)
        .cloned()
        .ok_or_else(|| Error::run(format!("secret revision {rev} not found")))?;
    t.touch();
    let v = match key {
        None => Value::Object(
            content
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect::<Map<_, _>>(),
        ),
        Some(k) => {
            let (name, b64) = match k.strip_suffix("#base64") {
                Some(n) => (n.to_string(), true),
                None => (k.clone(), false),
            };
            let v = content
                .get(&name)
                .ok_or_else(|| Error::run(format!("secret key {name:?} not found")))?;
            Value::from(if b64 {
                base64::engine::general_purpose::STANDARD.encode(v)
            } else {
                v.clone()
            })
        }
    };
    out.push_str(&emit(&v, fmt));
    Ok(())
}

/// Parse `key=value`, `key#base64=value`, `key#file=path` content args.
fn content_args(pos: &[String]) -> Result<Bag> {
    let mut bag = Bag::new();
    for kv in pos {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(Error::usage(format!("key value {kv:?} not valid")));
        };
        let (name, value) = if let Some(n) = k.strip_suffix("#base64") {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(v)
                .map_err(|e| Error::usage(format!("invalid base64 value for key {n:?}: {e}")))?;
            (n, String::from_utf8_lossy(&raw).into_owned())
        } else if let Some(n) = k.strip_suffix("#file") {
            let text = std::fs::read_to_string(v).map_err(|e| Error::io(v, e))?;
            (n, text)
        } else {
            (k, v.to_string())
        };
        if !secrets::valid_key(name) {
            return Err(Error::usage(format!("key {name:?} not valid")));
        }
        bag.insert(name.into(), value);
    }
    Ok(bag)
}

const META: [Flag; 4] = [
    flag(&["label"], true),
    flag(&["description"], true),
    flag(&["expire"], true),
    flag(&["rotate"], true),
];

fn meta_flags() -> Vec<Flag> {
    let mut v: Vec<Flag> = META.into_iter().collect();
    v.push(flag(&["owner"], true));
    v
}

fn apply_meta(s: &mut crate::state::Secret, a: &super::Args) {
    if let Some(v) = a.get("description") {
        s.description = Some(v.into());
    }
    if let Some(v) = a.get("expire") {
        s.expire = Some(v.into());
    }
    if let Some(v) = a.get("rotate") {
        s.rotate = Some(v.into());
    }
}

pub fn add(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &meta_flags())?;
    let owner_kind = a.get("owner").unwrap_or("application").to_string();
    if owner_kind != "application" && owner_kind != "unit" {
        return Err(Error::usage(format!(
            "secret owner {owner_kind:?} not valid, expected \"application\" or \"unit\""
        )));
    }
    if a.pos.is_empty() {
        return Err(Error::usage("missing secret value or filename"));
    }
    let content = content_args(&a.pos)?;
    if owner_kind == "application" && !t.is_leader() {
        return Err(Error::run(
            "cannot create an application-owned secret: this unit is not the leader",
        ));
    }
    let owner = if owner_kind == "unit" {
        t.unit().to_string()
    } else {
        t.app().to_string()
    };
    let id = secrets::create(
        &mut t.cf.model,
        &owner_kind,
        &owner,
        content,
        a.get("label").map(String::from),
    )?;
    apply_meta(t.cf.model.secrets.get_mut(&id).expect("new"), &a);
    t.touch();
    out.push_str(&format!("{id}\n"));
    Ok(())
}

/// Resolve the id positional of a managing command and check ownership.
fn managed(t: &Tool, pos: &mut Vec<String>) -> Result<String> {
    if pos.is_empty() {
        return Err(Error::usage("missing secret URI"));
    }
    let r = pos.remove(0);
    check_uri(&r)?;
    let s = secrets::find(&t.cf.model, &r).ok_or_else(|| not_found(&r))?;
    if !secrets::can_manage(&t.cf.model, s, t.unit()) {
        return Err(Error::run("permission denied"));
    }
    Ok(s.id.clone())
}

pub fn set(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &meta_flags())?;
    let mut pos = a.pos.clone();
    let id = managed(t, &mut pos)?;
    let content = content_args(&pos)?;
    if !content.is_empty() {
        secrets::set_content(&mut t.cf.model, &id, content);
    }
    let s = t.cf.model.secrets.get_mut(&id).expect("found");
    if let Some(l) = a.get("label") {
        s.label = Some(l.into());
    }
    apply_meta(s, &a);
    t.touch();
    Ok(())
}

pub fn info_get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT, LABEL])?;
    let fmt = a
        .get("format")
        .map(|_| a.format())
        .transpose()?
        .unwrap_or("yaml");
    let mut pos = a.pos.clone();
    let id_arg = if pos.is_empty() {
        None
    } else {
        Some(pos.remove(0))
    };
    no_more(&pos)?;
    let unit = t.unit().to_string();
    let s = match (&id_arg, a.get("label")) {
        (Some(_), Some(_)) => {
            return Err(Error::usage(
                "specify either a secret URI or label but not both",
            ))
        }
        (None, None) => return Err(Error::usage("require either a secret URI or label")),
        (Some(i), None) => secrets::find(&t.cf.model, i).ok_or_else(|| not_found(i))?,
        (None, Some(l)) => {
            t.cf.model
                .secrets
                .values()
                .find(|s| secrets::is_owner_side(s, &unit) && s.label.as_deref() == Some(l))
                .ok_or_else(|| not_found(l))?
        }
    };
    if !secrets::is_owner_side(s, &unit) {
        return Err(not_found(id_arg.as_deref().unwrap_or(&s.id)));
    }
    let mut info = Map::new();
    info.insert("revision".into(), Value::from(s.latest()));
    if let Some(l) = &s.label {
        info.insert("label".into(), Value::from(l.clone()));
    }
    info.insert("owner".into(), Value::from(s.owner_kind.clone()));
    if let Some(d) = &s.description {
        info.insert("description".into(), Value::from(d.clone()));
    }
    if let Some(x) = &s.expire {
        info.insert("expiry".into(), Value::from(x.clone()));
    }
    info.insert(
        "rotation".into(),
        Value::from(s.rotate.clone().unwrap_or_else(|| "never".into())),
    );
    let mut top = Map::new();
    top.insert(secrets::short_id(&s.id).to_string(), Value::Object(info));
    out.push_str(&emit(&Value::Object(top), fmt));
    Ok(())
}

pub fn grant(t: &mut Tool, argv: &[String], add: bool) -> Result<()> {
    let a = parse(
        argv,
        &[
            flag(&["r", "relation"], true),
            flag(&["unit"], true),
            flag(&["app"], true),
        ],
    )?;
    let mut pos = a.pos.clone();
    let Some(rraw) = a.get("r") else {
        return Err(Error::usage("missing relation or application"));
    };
    let num = rraw.rsplit(':').next().unwrap_or(rraw);
    let rid: u64 = num.parse().map_err(|_| {
        Error::usage(format!(
            "invalid value {rraw:?} for option --relation: invalid relation id"
        ))
    })?;
    if !t
        .cf
        .model
        .relations
        .get(&rid)
        .is_some_and(|r| r.has_app(t.app()))
    {
        return Err(Error::usage(format!(
            "invalid value {rraw:?} for option --relation: relation not found"
        )));
    }
    let id = managed(t, &mut pos)?;
    no_more(&pos)?;
    let unit = a.get("unit").map(String::from);
    if add {
        secrets::grant(&mut t.cf.model, &id, rid, unit);
    } else if let Some(s) = t.cf.model.secrets.get_mut(&id) {
        s.grants
            .retain(|g| !(g.relation == rid && (unit.is_none() || g.unit == unit)));
    }
    t.touch();
    Ok(())
}

pub fn remove(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[flag(&["revision"], true)])?;
    let mut pos = a.pos.clone();
    let id = managed(t, &mut pos)?;
    no_more(&pos)?;
    match a.get("revision") {
        None => {
            t.cf.model.secrets.remove(&id);
        }
        Some(r) => {
            let rev: u32 = r
                .parse()
                .map_err(|_| Error::usage(format!("invalid value {r:?} for option --revision")))?;
            let s = t.cf.model.secrets.get_mut(&id).expect("found");
            if s.revisions.remove(&rev).is_none() {
                return Err(Error::run(format!("secret revision {rev} not found")));
            }
            if s.revisions.is_empty() {
                t.cf.model.secrets.remove(&id);
            }
        }
    }
    t.touch();
    Ok(())
}

pub fn ids(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[FORMAT])?;
    let fmt = a
        .get("format")
        .map(|_| a.format())
        .transpose()?
        .unwrap_or("yaml");
    no_more(&a.pos)?;
    let unit = t.unit().to_string();
    let ids: Vec<String> =
        t.cf.model
            .secrets
            .values()
            .filter(|s| secrets::is_owner_side(s, &unit))
            .map(|s| s.id.clone())
            .collect();
    out.push_str(&emit(&Value::from(ids), fmt));
    Ok(())
}
