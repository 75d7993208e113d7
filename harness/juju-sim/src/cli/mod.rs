//! The `juju-sim` command line: juju-shaped verbs over a model directory
//! (`--model DIR` or `JUJU_SIM_MODEL`). Every verb loads the model, changes it, runs the event
//! cascade to quiescence (`engine::settle`) and saves it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::state::{Agent, Model};
use crate::{engine, logs};

mod action;
mod topology;
mod view;

use topology::{config, integrate, refresh, remove_relation};
use view::{render, secrets_view, status};

const USAGE: &str = "usage: juju-sim [--model DIR] <verb> [args]
verbs:
  add-model [NAME]                      create the model (done implicitly by the first verb)
  deploy CHARM APP [-n N] [--config k=v]...   CHARM = charm dir or .charm file
  deploy --sim kafka|kafka-connect|self-signed-certificates APP [--flavour F] [--backend FILE] [-n N]
  set-backend APP FILE       simulated app: new backend, config-changed on its units
  add-unit APP [-n N]        remove-unit UNIT...
  integrate A[:EP] B[:EP]    remove-relation A[:EP] B[:EP] | ID
  config APP [k=v ...] [--reset k[,k...]]     (no k=v: print the values)
  run UNIT ACTION [k=v ...]  status [--format json|tabular]
  exec UNIT -- CMD [ARGS]    run CMD in a hook context (like juju exec); exit code = CMD's
  refresh APP [--path CHARM]  (upgrade-charm → config-changed on every unit)
  rotate-credentials APP RELATION_ID   (simulated provider: new password, new secret revision)
  update-status              elect UNIT      resolve UNIT [--no-retry]
  debug-log                  secrets [--format json]
  hooks [--unit UNIT] [--format json]        show-relation ID     dump";

/// Pull `--name value` / `--name=value` out of args (all occurrences).
pub(super) fn take_opt(args: &mut Vec<String>, names: &[&str]) -> Result<Vec<String>> {
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

pub(super) fn take_flag(args: &mut Vec<String>, name: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != name);
    before != args.len()
}

pub(super) fn one(v: Vec<String>) -> Option<String> {
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
        "deploy" => topology::deploy(&mut model, &dir, args)?,
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
        "exec" => {
            let Some(sep) = args.iter().position(|a| a == "--") else {
                return Err(Error::usage("usage: exec UNIT -- COMMAND [ARGS...]"));
            };
            let [unit] = &args[..sep] else {
                return Err(Error::usage("usage: exec UNIT -- COMMAND [ARGS...]"));
            };
            engine::settle(&mut model, &dir)?;
            let (code, out, err) = engine::exec(&mut model, &dir, unit, &args[sep + 1..])?;
            print!("{out}");
            eprint!("{err}");
            model.save(&dir)?;
            engine::settle(&mut model, &dir)?;
            return Ok(code);
        }
        "rotate-credentials" => {
            let [app, rid] = args.as_slice() else {
                return Err(Error::usage("usage: rotate-credentials APP RELATION_ID"));
            };
            let rid: u64 = rid
                .rsplit(':')
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| Error::usage(format!("invalid relation id {rid:?}")))?;
            let before = model.clone();
            crate::providers::rotate(&mut model, app, rid)?;
            let actor = model.app(app)?.leader.clone().unwrap_or_default();
            engine::cascade(&before, &mut model, &actor);
            0
        }
        "set-backend" => {
            let [app, file] = args.as_slice() else {
                return Err(Error::usage("usage: set-backend APP FILE"));
            };
            let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
            let v = serde_json::from_str(&text).map_err(|e| Error::parse(file.clone(), e))?;
            crate::providers::set_backend(&mut model, app, v)?;
            0
        }
        "refresh" | "upgrade-charm" => refresh(&mut model, &dir, args)?,
        "run" => return action::run_action(&mut model, &dir, args),
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

pub(super) fn absolute(p: &Path) -> Result<PathBuf> {
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

pub(super) fn count(args: &mut Vec<String>) -> Result<u32> {
    match one(take_opt(args, &["-n", "--num-units"])?) {
        None => Ok(1),
        Some(n) => n
            .parse()
            .map_err(|_| Error::usage(format!("invalid value {n:?} for option -n"))),
    }
}
