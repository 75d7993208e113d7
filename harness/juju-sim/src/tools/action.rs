//! action-get, action-set (Juju's key rules, reserved keys, dotted keys build nested maps),
//! action-fail, action-log. Outside an action they fail with "not running an action".

use serde_json::{Map, Value};

use super::{emit, flag, no_more, parse, Tool};
use crate::error::{Error, Result};
use crate::state::ActionRun;

const RESERVED: [&str; 4] = ["stdout", "stdout-encoding", "stderr", "stderr-encoding"];

fn current(t: &mut Tool) -> Result<&mut ActionRun> {
    let id =
        t.cf.ctx
            .action
            .ok_or_else(|| Error::run("not running an action"))?;
    t.cf.model
        .actions
        .get_mut(&id)
        .ok_or_else(|| Error::run("not running an action"))
}

/// Juju's action key rule: lowercase alphanumerics and hyphens, alphanumeric at both ends.
pub fn valid_key(k: &str) -> bool {
    let b = k.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

pub fn get(t: &mut Tool, argv: &[String], out: &mut String) -> Result<()> {
    let a = parse(argv, &[flag(&["format"], true)])?;
    let fmt = a.format()?;
    let mut pos = a.pos.clone();
    let key = if pos.is_empty() {
        None
    } else {
        Some(pos.remove(0))
    };
    no_more(&pos)?;
    let params = current(t)?.params.clone();
    let v = match key {
        None => params,
        Some(k) => k
            .split('.')
            .try_fold(&params, |v, seg| v.get(seg))
            .cloned()
            .unwrap_or(Value::Null),
    };
    out.push_str(&emit(&v, fmt));
    Ok(())
}

pub fn set(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    let mut parsed = vec![];
    for arg in &a.pos {
        let Some((k, v)) = arg.split_once('=') else {
            return Err(Error::usage(format!(
                "argument {arg:?} must be of the form key...=value"
            )));
        };
        let segs: Vec<&str> = k.split('.').collect();
        for s in &segs {
            if !valid_key(s) {
                return Err(Error::usage(format!(
                    "key {s:?} must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods"
                )));
            }
            if RESERVED.contains(s) {
                return Err(Error::usage(format!(
                    "cannot set reserved action key {s:?}"
                )));
            }
        }
        parsed.push((
            segs.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            v.to_string(),
        ));
    }
    let run = current(t)?;
    for (segs, v) in parsed {
        let mut m: &mut Map<String, Value> = &mut run.results;
        for s in &segs[..segs.len() - 1] {
            let e = m
                .entry(s.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !e.is_object() {
                *e = Value::Object(Map::new());
            }
            m = e.as_object_mut().expect("object");
        }
        m.insert(segs[segs.len() - 1].clone(), Value::from(v));
    }
    t.touch();
    Ok(())
}

pub fn fail(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    if a.pos.len() > 1 {
        no_more(&a.pos[1..])?;
    }
    let msg =
        a.pos.first().cloned().unwrap_or_else(|| {
            "action failed without reason given, check action for errors".into()
        });
    current(t)?.failed = Some(msg);
    t.touch();
    Ok(())
}

pub fn log(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    if a.pos.is_empty() {
        return Err(Error::usage("no message specified"));
    }
    let msg = a.pos.join(" ");
    current(t)?.logs.push(msg);
    t.touch();
    Ok(())
}
