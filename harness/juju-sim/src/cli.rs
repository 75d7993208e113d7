//! The `juju-sim` command line: juju-shaped verbs over a model directory
//! (`--model DIR` or `JUJU_SIM_MODEL`). Every verb loads the model, changes it, runs the event
//! cascade to quiescence (`engine::settle`) and saves it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::state::{Agent, Endpoint, Model, Status};
use crate::{charm, engine, logs, providers};

const USAGE: &str = "usage: juju-sim [--model DIR] <verb> [args]
verbs:
  add-model [NAME]                      create the model (done implicitly by the first verb)
  deploy CHARM APP [-n N] [--config k=v]...   CHARM = charm dir or .charm file
  deploy --sim kafka|kafka-connect APP [--backend FILE] [-n N]
  add-unit APP [-n N]        remove-unit UNIT...
  integrate A[:EP] B[:EP]    remove-relation A[:EP] B[:EP] | ID
  config APP [k=v ...] [--reset k[,k...]]     (no k=v: print the values)
  run UNIT ACTION [k=v ...]  status [--format json|tabular]
  refresh APP [--path CHARM]  (upgrade-charm → config-changed on every unit)
  update-status              elect UNIT      resolve UNIT [--no-retry]
  debug-log                  secrets [--format json]
  hooks [--unit UNIT] [--format json]        show-relation ID     dump";

/// Pull `--name value` / `--name=value` out of args (all occurrences).
fn take_opt(args: &mut Vec<String>, names: &[&str]) -> Result<Vec<String>> {
    let mut out = vec![];
    let mut i = 0;
    while i < args.len() {
        let a = args[i].clone();
        if let Some(n) = names.iter().find(|n| a == **n) {
            if i + 1 >= args.len() {
                return Err(Error::usage(format!("flag needs an argument: {n}")));
            }
            out.push(args[i + 1].clone());
            args.drain(i..i + 2);
            continue;
        }
        if let Some(v) = names
            .iter()
            .find_map(|n| a.strip_prefix(&format!("{n}=")).map(String::from))
        {
            out.push(v);
            args.remove(i);
            continue;
        }
        i += 1;
    }
    Ok(out)
}

fn take_flag(args: &mut Vec<String>, name: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != name);
    before != args.len()
}

fn one(v: Vec<String>) -> Option<String> {
    v.into_iter().last()
}

/// Entry point: returns the exit code.
pub fn main(argv: Vec<String>) -> i32 {
    match run(argv) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ERROR {e}");
            e.exit_code()
        }
    }
}

fn run(mut args: Vec<String>) -> Result<i32> {
    let dir = one(take_opt(&mut args, &["--model", "-m"])?)
        .or_else(|| std::env::var("JUJU_SIM_MODEL").ok())
        .ok_or_else(|| {
            Error::usage(format!(
                "no model: pass --model DIR or set JUJU_SIM_MODEL\n{USAGE}"
            ))
        })?;
    let dir = absolute(Path::new(&dir))?;
    if args.is_empty() {
        return Err(Error::usage(USAGE));
    }
    let verb = args.remove(0);
    if verb == "add-model" {
        let name = args.first().cloned();
        init(&dir, name)?;
        return Ok(0);
    }
    if !Model::state_path(&dir).exists() {
        init(&dir, None)?;
    }
    // One verb at a time per model (hook tools run inside the verb and do not take the lock).
    let lock_path = dir.join("lock");
    let lock = std::fs::File::create(&lock_path).map_err(|e| Error::io(&lock_path, e))?;
    lock.lock().map_err(|e| Error::io(&lock_path, e))?;
    let mut model = Model::load(&dir)?;
    let code = match verb.as_str() {
        "deploy" => deploy(&mut model, &dir, args)?,
        "add-unit" => {
            let n = count(&mut args)?;
            let app = args
                .first()
                .ok_or_else(|| Error::usage("usage: add-unit APP [-n N]"))?
                .clone();
            model.app(&app)?;
            for _ in 0..n {
                engine::add_unit(&mut model, &dir, &app)?;
            }
            0
        }
        "remove-unit" => {
            if args.is_empty() {
                return Err(Error::usage("usage: remove-unit UNIT..."));
            }
            for u in &args {
                engine::remove_unit(&mut model, u)?;
            }
            0
        }
        "integrate" | "relate" => integrate(&mut model, &args)?,
        "remove-relation" => remove_relation(&mut model, &args)?,
        "config" => config(&mut model, args)?,
        "refresh" | "upgrade-charm" => refresh(&mut model, &dir, args)?,
        "run" => return run_action(&mut model, &dir, args),
        "status" => {
            let fmt = one(take_opt(&mut args, &["--format"])?).unwrap_or_else(|| "tabular".into());
            print!("{}", status(&model, &fmt)?);
            return Ok(0);
        }
        "update-status" => {
            for u in model.units.keys().cloned().collect::<Vec<_>>() {
                model.enqueue(&u, crate::state::EventKind::UpdateStatus);
            }
            0
        }
        "elect" => {
            let u = args
                .first()
                .ok_or_else(|| Error::usage("usage: elect UNIT"))?
                .clone();
            engine::elect(&mut model, &u)?;
            0
        }
        "resolve" | "resolved" => {
            let no_retry = take_flag(&mut args, "--no-retry");
            let u = args
                .first()
                .ok_or_else(|| Error::usage("usage: resolve UNIT [--no-retry]"))?
                .clone();
            let unit = model.unit_mut(&u)?;
            if unit.agent == Agent::Idle {
                return Err(Error::run(format!("unit \"{u}\" is not in an error state")));
            }
            unit.agent = Agent::Idle;
            if no_retry {
                unit.queue.pop_front();
            }
            0
        }
        "debug-log" => {
            for l in logs::read(&dir) {
                println!("{}: {} {}", l.unit, l.level, l.message);
            }
            return Ok(0);
        }
        "secrets" => {
            let fmt = one(take_opt(&mut args, &["--format"])?).unwrap_or_else(|| "yaml".into());
            let v = secrets_view(&model);
            print!("{}", render(&v, &fmt));
            return Ok(0);
        }
        "hooks" => {
            let unit = one(take_opt(&mut args, &["--unit"])?);
            let fmt = one(take_opt(&mut args, &["--format"])?).unwrap_or_else(|| "text".into());
            let all = logs::read_hooks(&dir);
            let hooks: Vec<_> = all
                .iter()
                .filter(|h| unit.as_deref().is_none_or(|u| h.unit == u))
                .collect();
            if fmt == "json" {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&hooks).unwrap_or_default()
                );
            } else {
                for h in hooks {
                    println!("{} {} {}", h.unit, h.hook, h.code);
                }
            }
            return Ok(0);
        }
        "show-relation" => {
            let id: u64 = args
                .first()
                .and_then(|a| a.rsplit(':').next())
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| Error::usage("usage: show-relation ID"))?;
            let r = model
                .relations
                .get(&id)
                .ok_or_else(|| Error::run(format!("relation {id} not found")))?;
            println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
            return Ok(0);
        }
        "dump" => {
            println!(
                "{}",
                serde_json::to_string_pretty(&model).unwrap_or_default()
            );
            return Ok(0);
        }
        other => return Err(Error::usage(format!("unknown verb {other:?}\n{USAGE}"))),
    };
    model.save(&dir)?;
    engine::settle(&mut model, &dir)?;
    Ok(code)
}

fn absolute(p: &Path) -> Result<PathBuf> {
    if p.is_absolute() {
        Ok(p.to_path_buf())
    } else {
        Ok(std::env::current_dir()
            .map_err(|e| Error::io(".", e))?
            .join(p))
    }
}

fn init(dir: &Path, name: Option<String>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    if Model::state_path(dir).exists() {
        return Err(Error::run(format!(
            "model {} already exists",
            dir.display()
        )));
    }
    let name = name.unwrap_or_else(|| {
        dir.file_name()
            .map(|n| {
                n.to_string_lossy()
                    .to_lowercase()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
            })
            .unwrap_or_else(|| "sim".into())
    });
    let model = Model {
        name,
        uuid: crate::state::new_uuid(),
        ..Default::default()
    };
    model.save(dir)
}

fn count(args: &mut Vec<String>) -> Result<u32> {
    match one(take_opt(args, &["-n", "--num-units"])?) {
        None => Ok(1),
        Some(n) => n
            .parse()
            .map_err(|_| Error::usage(format!("invalid value {n:?} for option -n"))),
    }
}

fn deploy(model: &mut Model, dir: &Path, mut args: Vec<String>) -> Result<i32> {
    let n = count(&mut args)?;
    let sim = one(take_opt(&mut args, &["--sim"])?);
    let backend = one(take_opt(&mut args, &["--backend"])?);
    let config = take_opt(&mut args, &["--config"])?;
    let (meta, source, sim_kind, app) = match sim {
        Some(kind) => {
            let k = providers::parse_kind(&kind).ok_or_else(|| {
                Error::usage(format!(
                    "unknown --sim {kind:?}: expected kafka or kafka-connect"
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

fn is_valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.ends_with('-')
}

/// Candidate (endpoint, role, interface) triples for `app[:ep]`.
fn candidates(model: &Model, spec: &str) -> Result<Vec<(String, String, &'static str, String)>> {
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

type Pair = ((String, String), (String, String), String);

fn resolve_pair(model: &Model, a: &str, b: &str) -> Result<Pair> {
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

fn find_relation(model: &Model, x: &(String, String), y: &(String, String)) -> Option<u64> {
    model.relations.values().find_map(|r| {
        let has = |e: &(String, String)| r.endpoint_of(&e.0) == Some(e.1.as_str());
        (r.endpoints.len() == 2 && has(x) && has(y)).then_some(r.id)
    })
}

fn integrate(model: &mut Model, args: &[String]) -> Result<i32> {
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

fn remove_relation(model: &mut Model, args: &[String]) -> Result<i32> {
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

fn set_config(model: &mut Model, app: &str, kvs: &[String], reset: &[String]) -> Result<bool> {
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

fn config(model: &mut Model, mut args: Vec<String>) -> Result<i32> {
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

fn refresh(model: &mut Model, dir: &Path, mut args: Vec<String>) -> Result<i32> {
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
    for u in model.units_of(&app) {
        let d = model.units[&u].charm_dir.clone();
        let _ = std::fs::remove_dir_all(&d);
        charm::install(&src, &d)?;
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

fn run_action(model: &mut Model, dir: &Path, mut args: Vec<String>) -> Result<i32> {
    if args.len() < 2 {
        return Err(Error::usage("usage: run UNIT ACTION [k=v ...]"));
    }
    let unit = args.remove(0);
    let action = args.remove(0);
    let u = model.unit(&unit)?;
    if let Agent::Error { hook } = &u.agent {
        return Err(Error::run(format!(
            "unit \"{unit}\" is in error (hook failed: \"{hook}\"); resolve it first"
        )));
    }
    let meta = &model.app(&u.app)?.meta;
    let mut raw = vec![];
    for kv in &args {
        let (k, v) = kv.split_once('=').ok_or_else(|| {
            Error::usage(format!("argument {kv:?} must be of the form key=value"))
        })?;
        raw.push((k.to_string(), v.to_string()));
    }
    let params = charm::action_params(meta, &action, &raw)?;
    let id = model.next_action_id;
    model.next_action_id += 1;
    model.actions.insert(
        id,
        crate::state::ActionRun {
            id,
            unit: unit.clone(),
            name: action,
            uuid: crate::state::new_uuid(),
            params,
            ..Default::default()
        },
    );
    model.enqueue(&unit, crate::state::EventKind::Action { id });
    model.save(dir)?;
    engine::settle(model, dir)?;
    let run = model.actions.get(&id).cloned().unwrap_or_default();
    if !run.done {
        return Err(Error::run(format!(
            "action {id} did not run (unit blocked by a hook error)"
        )));
    }
    for l in &run.logs {
        eprintln!("{l}");
    }
    if !run.results.is_empty() {
        print!("{}", render(&Value::Object(run.results.clone()), "yaml"));
    }
    if run.code != 0 {
        eprintln!(
            "ERROR the following task failed:\n id \"{id}\" with return code {}\n\nuse 'juju show-task' to inspect the failure",
            run.code
        );
        return Ok(1);
    }
    if let Some(msg) = &run.failed {
        eprintln!("Action id {id} failed: {msg}");
        return Ok(1);
    }
    Ok(0)
}

fn render(v: &Value, fmt: &str) -> String {
    if fmt == "json" {
        format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
    } else {
        serde_yaml_ng::to_string(v).unwrap_or_default()
    }
}

fn rank(s: &str) -> u8 {
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
fn unit_workload(u: &crate::state::Unit) -> Status {
    match &u.agent {
        Agent::Error { hook } => Status::new("error", &format!("hook failed: \"{hook}\"")),
        Agent::Idle => u.status.clone(),
    }
}

fn status_view(model: &Model) -> Value {
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

fn status(model: &Model, fmt: &str) -> Result<String> {
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

fn secrets_view(model: &Model) -> Value {
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
