//! Verbs that change the model's shape: deploy, integrate, remove-relation, config, refresh.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::view::render;
use super::{absolute, count, one, take_opt};
use crate::error::{Error, Result};
use crate::state::{Endpoint, Model};
use crate::{charm, engine, providers};

pub(super) fn deploy(model: &mut Model, dir: &Path, mut args: Vec<String>) -> Result<i32> {
    let n = count(&mut args)?;
    let sim = one(take_opt(&mut args, &["--sim"])?);
    let backend = one(take_opt(&mut args, &["--backend"])?);
    let flavour = one(take_opt(&mut args, &["--flavour"])?);
    let config = take_opt(&mut args, &["--config"])?;
    let (meta, source, sim_kind, app) = match sim {
        Some(kind) => {
            let k = providers::parse_kind(&kind).ok_or_else(|| {
                Error::usage(format!(
                    "unknown --sim {kind:?}: expected kafka, kafka-connect or self-signed-certificates"
                ))
            })?;
            let app = args.first().cloned().unwrap_or_else(|| kind.clone());
            (providers::meta(k), None, Some(k), app)
        }
        None => {
            let src = args
                .first()
                .ok_or_else(|| Error::usage("usage: deploy CHARM APP [-n N]"))?;
            let src = absolute(Path::new(src))?;
            let tmp = dir
                .join("charms")
                .join(format!("probe-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&tmp);
            charm::install(&src, &tmp)?;
            let meta = charm::read_meta(&tmp)?;
            let _ = std::fs::remove_dir_all(&tmp);
            let app = args.get(1).cloned().unwrap_or_else(|| meta.name.clone());
            (meta, Some(src), None, app)
        }
    };
    let flavour = match sim_kind {
        Some(k) => providers::flavour(k, flavour.as_deref())?,
        None if flavour.is_some() => return Err(Error::usage("--flavour needs --sim")),
        None => String::new(),
    };
    if model.apps.contains_key(&app) {
        return Err(Error::run(format!(
            "cannot add application \"{app}\": application already exists"
        )));
    }
    if !is_valid_name(&app) {
        return Err(Error::usage(format!("invalid application name {app:?}")));
    }
    let backend = match backend {
        Some(f) => {
            let text = std::fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?;
            Some(serde_json::from_str(&text).map_err(|e| Error::parse(f.clone(), e))?)
        }
        None => None,
    };
    let backend = match sim_kind {
        Some(k) => providers::initial_backend(k, backend)?,
        None => backend,
    };
    let peers: Vec<(String, String)> = meta
        .peers
        .iter()
        .map(|(k, v)| (k.clone(), v.interface.clone()))
        .collect();
    model.apps.insert(
        app.clone(),
        crate::state::App {
            name: app.clone(),
            meta,
            charm_source: source,
            sim: sim_kind,
            backend,
            flavour,
            config: BTreeMap::new(),
            leader: None,
            status: None,
            version: String::new(),
            next_unit: 0,
            leader_settings: Default::default(),
            provider: Default::default(),
        },
    );
    set_config(model, &app, &config, &[])?;
    for (ep, iface) in peers {
        engine::add_relation(
            model,
            vec![Endpoint {
                app: app.clone(),
                endpoint: ep,
            }],
            &iface,
        );
    }
    for _ in 0..n {
        engine::add_unit(model, dir, &app)?;
    }
    Ok(0)
}

pub(super) fn is_valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.ends_with('-')
}

/// Candidate (endpoint, role, interface) triples for `app[:ep]`.
pub(super) fn candidates(
    model: &Model,
    spec: &str,
) -> Result<Vec<(String, String, &'static str, String)>> {
    let (app, ep) = match spec.split_once(':') {
        Some((a, e)) => (a, Some(e)),
        None => (spec, None),
    };
    let a = model.app(app)?;
    let mut out = vec![];
    for (role, eps) in [
        ("requires", &a.meta.requires),
        ("provides", &a.meta.provides),
    ] {
        for (name, m) in eps {
            if ep.is_none_or(|e| e == name) {
                out.push((app.to_string(), name.clone(), role, m.interface.clone()));
            }
        }
    }
    if let Some(e) = ep {
        if out.is_empty() {
            return Err(Error::run(format!(
                "application \"{app}\" has no \"{e}\" relation"
            )));
        }
    }
    Ok(out)
}

pub(super) type Pair = ((String, String), (String, String), String);

pub(super) fn resolve_pair(model: &Model, a: &str, b: &str) -> Result<Pair> {
    let mut found = vec![];
    for x in candidates(model, a)? {
        for y in candidates(model, b)? {
            if x.3 == y.3 && x.2 != y.2 {
                found.push((
                    (x.0.clone(), x.1.clone()),
                    (y.0.clone(), y.1.clone()),
                    x.3.clone(),
                ));
            }
        }
    }
    match found.len() {
        0 => Err(Error::run(format!(
            "no relations found between {a:?} and {b:?}"
        ))),
        1 => Ok(found.remove(0)),
        _ => {
            let opts: Vec<String> = found
                .iter()
                .map(|(x, y, _)| format!("\"{}:{} {}:{}\"", x.0, x.1, y.0, y.1))
                .collect();
            Err(Error::run(format!(
                "ambiguous relation: \"{a} {b}\" could refer to {}",
                opts.join("; ")
            )))
        }
    }
}

pub(super) fn find_relation(
    model: &Model,
    x: &(String, String),
    y: &(String, String),
) -> Option<u64> {
    model.relations.values().find_map(|r| {
        let has = |e: &(String, String)| r.endpoint_of(&e.0) == Some(e.1.as_str());
        (r.endpoints.len() == 2 && has(x) && has(y)).then_some(r.id)
    })
}

pub(super) fn integrate(model: &mut Model, args: &[String]) -> Result<i32> {
    let [a, b] = args else {
        return Err(Error::usage("usage: integrate A[:EP] B[:EP]"));
    };
    let (x, y, iface) = resolve_pair(model, a, b)?;
    if find_relation(model, &x, &y).is_some() {
        return Err(Error::run(format!(
            "cannot add relation \"{}:{} {}:{}\": relation {}:{} {}:{} already exists",
            x.0, x.1, y.0, y.1, x.0, x.1, y.0, y.1
        )));
    }
    for e in [&x, &y] {
        let limit = model
            .app(&e.0)?
            .meta
            .endpoint(&e.1)
            .and_then(|(_, m)| m.limit);
        let used = model
            .relations
            .values()
            .filter(|r| !r.dying && r.endpoint_of(&e.0) == Some(e.1.as_str()) && !r.is_peer())
            .count() as u64;
        if limit.is_some_and(|l| used >= l) {
            return Err(Error::run(format!(
                "cannot add relation \"{}:{} {}:{}\": establishing a new relation for {}:{} would exceed its maximum relation limit of {}",
                x.0, x.1, y.0, y.1, e.0, e.1, limit.unwrap_or(0)
            )));
        }
    }
    engine::add_relation(
        model,
        vec![
            Endpoint {
                app: x.0,
                endpoint: x.1,
            },
            Endpoint {
                app: y.0,
                endpoint: y.1,
            },
        ],
        &iface,
    );
    Ok(0)
}

pub(super) fn remove_relation(model: &mut Model, args: &[String]) -> Result<i32> {
    let rid = match args {
        [id] => id
            .parse::<u64>()
            .map_err(|_| Error::usage("usage: remove-relation A[:EP] B[:EP] | ID"))?,
        [a, b] => {
            let (x, y, _) = resolve_pair(model, a, b)?;
            find_relation(model, &x, &y)
                .ok_or_else(|| Error::run(format!("relation \"{a} {b}\" not found")))?
        }
        _ => return Err(Error::usage("usage: remove-relation A[:EP] B[:EP] | ID")),
    };
    engine::remove_relation(model, rid)?;
    Ok(0)
}

pub(super) fn set_config(
    model: &mut Model,
    app: &str,
    kvs: &[String],
    reset: &[String],
) -> Result<bool> {
    let a = model.app_mut(app)?;
    let before = a.config.clone();
    for kv in kvs {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Error::usage(format!("expected \"key=value\", got {kv:?}")))?;
        let opt = a
            .meta
            .config
            .get(k)
            .ok_or_else(|| Error::run(format!("unknown option \"{k}\"")))?;
        let val = charm::typed_config(opt, k, v)?;
        a.config.insert(k.into(), val);
    }
    for k in reset {
        if !a.meta.config.contains_key(k) {
            return Err(Error::run(format!("unknown option \"{k}\"")));
        }
        a.config.remove(k);
    }
    Ok(before != a.config)
}

pub(super) fn config(model: &mut Model, mut args: Vec<String>) -> Result<i32> {
    let reset: Vec<String> = take_opt(&mut args, &["--reset"])?
        .iter()
        .flat_map(|r| r.split(',').map(String::from).collect::<Vec<_>>())
        .collect();
    if args.is_empty() {
        return Err(Error::usage("usage: config APP [k=v ...] [--reset k]"));
    }
    let app = args.remove(0);
    if args.is_empty() && reset.is_empty() {
        let a = model.app(&app)?;
        let mut m = Map::new();
        for (k, o) in &a.meta.config {
            let v = a
                .config
                .get(k)
                .cloned()
                .or(o.default.clone())
                .unwrap_or(Value::Null);
            m.insert(k.clone(), v);
        }
        print!("{}", render(&Value::Object(m), "yaml"));
        return Ok(0);
    }
    if set_config(model, &app, &args, &reset)? {
        for u in model.units_of(&app) {
            model.enqueue(&u, crate::state::EventKind::ConfigChanged);
        }
    }
    Ok(0)
}

pub(super) fn refresh(model: &mut Model, dir: &Path, mut args: Vec<String>) -> Result<i32> {
    let path = one(take_opt(&mut args, &["--path"])?);
    let app = args
        .first()
        .ok_or_else(|| Error::usage("usage: refresh APP [--path CHARM]"))?
        .clone();
    let a = model.app_mut(&app)?;
    if a.sim.is_some() {
        return Err(Error::run(format!(
            "application \"{app}\" is simulated; nothing to refresh"
        )));
    }
    if let Some(p) = path {
        a.charm_source = Some(absolute(Path::new(&p))?);
    }
    let src = a.charm_source.clone().expect("charm app has a source");
    // Juju's manifest deployer: files of the old charm that the new one does not ship are
    // deleted, the new charm is written over the dir, files the charm created (ops'
    // `.unit-state.db`) stay.
    for u in model.units_of(&app) {
        let d = model.units[&u].charm_dir.clone();
        charm::upgrade(&src, &d)?;
    }
    if let Some(u) = model.units_of(&app).first() {
        let meta = charm::read_meta(&model.units[u].charm_dir)?;
        model.app_mut(&app)?.meta = meta;
    }
    for u in model.units_of(&app) {
        model.enqueue(&u, crate::state::EventKind::UpgradeCharm);
        model.enqueue(&u, crate::state::EventKind::ConfigChanged);
    }
    let _ = dir;
    Ok(0)
}
