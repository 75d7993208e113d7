//! `run UNIT ACTION k=v…`: validate params, queue the action, settle, print like `juju run`.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::state::{Agent, Model};
use crate::{charm, engine};

use super::view::render;

pub(super) fn run_action(model: &mut Model, dir: &Path, mut args: Vec<String>) -> Result<i32> {
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
