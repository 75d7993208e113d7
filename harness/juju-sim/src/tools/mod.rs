//! Hook tools: one multi-call entry point (`argv[0]`'s basename picks the tool) implementing
//! every hook tool of a Juju 3.6 machine unit (jujuc's `server.go` command registry) with their
//! flags, `--format` output shapes, `ERROR <msg>` texts and exit codes (2 for flag/argument
//! errors, 1 for run errors). Tools for features the emulator does not model answer as Juju
//! does when the feature is absent (`absent`). A tool finds its hook through `JUJU_SIM_MODEL` +
//! `JUJU_CONTEXT_ID` and reads/writes the hook's copy of the model.

mod absent;
mod action;
mod misc;
mod relation;
mod secret;
mod unit;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::runner::{ctx_path, CtxFile};

/// Every hook tool of a Juju 3.6 machine unit, as jujuc's `server.go` registers them (base,
/// storage, leader, resource, payload, secret and action commands); the tools dir links each
/// to the juju-sim binary.
pub const TOOL_NAMES: &[&str] = &[
    // base commands
    "close-port",
    "config-get",
    "juju-log",
    "open-port",
    "opened-ports",
    "relation-get",
    "relation-ids",
    "relation-list",
    "relation-model-get",
    "relation-set",
    "unit-get",
    "add-metric",
    "juju-reboot",
    "status-get",
    "status-set",
    "network-get",
    "application-version-set",
    "k8s-spec-set",
    "k8s-spec-get",
    "k8s-raw-set",
    "k8s-raw-get",
    "pod-spec-set",
    "pod-spec-get",
    "goal-state",
    "credential-get",
    "state-get",
    "state-delete",
    "state-set",
    // secret commands
    "secret-add",
    "secret-set",
    "secret-remove",
    "secret-get",
    "secret-info-get",
    "secret-grant",
    "secret-revoke",
    "secret-ids",
    // storage commands
    "storage-add",
    "storage-get",
    "storage-list",
    // leader commands
    "is-leader",
    "leader-get",
    "leader-set",
    // resource commands
    "resource-get",
    // payload commands
    "payload-register",
    "payload-unregister",
    "payload-status-set",
    // action commands
    "action-get",
    "action-set",
    "action-fail",
    "action-log",
];

/// The running hook as a tool sees it.
pub struct Tool {
    pub dir: PathBuf,
    pub cf: CtxFile,
    path: PathBuf,
    dirty: bool,
}

impl Tool {
    fn load() -> Result<Tool> {
        let dir = std::env::var("JUJU_SIM_MODEL").map_err(|_| {
            Error::run(
                "JUJU_SIM_MODEL is not set: hook tools only work inside a hook run by juju-sim",
            )
        })?;
        let id = std::env::var("JUJU_CONTEXT_ID").map_err(|_| {
            Error::run(
                "JUJU_CONTEXT_ID is not set: hook tools only work inside a hook run by juju-sim",
            )
        })?;
        let dir = PathBuf::from(dir);
        let path = ctx_path(&dir, &id);
        let text = std::fs::read_to_string(&path)
            .map_err(|_| Error::run(format!("bad context id {id:?}: no running hook has it")))?;
        let cf = serde_json::from_str(&text).map_err(|e| Error::parse("context file", e))?;
        Ok(Tool {
            dir,
            cf,
            path,
            dirty: false,
        })
    }
    fn save(&self) -> Result<()> {
        if self.dirty {
            crate::state::write_json_atomic(&self.path, &self.cf)?;
        }
        Ok(())
    }
    pub fn unit(&self) -> &str {
        &self.cf.ctx.unit
    }
    pub fn app(&self) -> &str {
        crate::state::app_of(&self.cf.ctx.unit)
    }
    pub fn is_leader(&self) -> bool {
        self.cf.model.is_leader(&self.cf.ctx.unit)
    }
    pub fn touch(&mut self) {
        self.dirty = true;
    }
}

/// Flag definition: names (without dashes, first is canonical) and whether it takes a value.
pub struct Flag {
    pub names: &'static [&'static str],
    pub value: bool,
}

pub const fn flag(names: &'static [&'static str], value: bool) -> Flag {
    Flag { names, value }
}

/// Parsed command line.
#[derive(Default)]
pub struct Args {
    pub flags: BTreeMap<&'static str, String>,
    pub pos: Vec<String>,
}

impl Args {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.flags.get(name).map(String::as_str)
    }
    /// A boolean flag (`--app`, `--app=false`).
    pub fn bool(&self, name: &str) -> Result<bool> {
        match self.get(name) {
            None => Ok(false),
            Some(v) => parse_bool(v).ok_or_else(|| {
                Error::usage(format!(
                    "invalid value {v:?} for flag --{name}: parse error"
                ))
            }),
        }
    }
    pub fn format(&self) -> Result<&str> {
        let f = self.get("format").unwrap_or("smart");
        match f {
            "json" | "smart" | "yaml" => Ok(f),
            other => Err(Error::usage(format!(
                "invalid value {other:?} for option --format: unknown format {other:?}"
            ))),
        }
    }
}

/// Go's strconv.ParseBool.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// gnuflag-style parsing: interspersed flags, `-x v`, `--x=v`, `--` ends flags.
pub fn parse(argv: &[String], spec: &[Flag]) -> Result<Args> {
    let mut out = Args::default();
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        i += 1;
        if a == "--" {
            out.pos.extend(argv[i..].iter().cloned());
            break;
        }
        if !a.starts_with('-') || a == "-" {
            out.pos.push(a.clone());
            continue;
        }
        let body = a.trim_start_matches('-');
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let Some(f) = spec.iter().find(|f| f.names.contains(&name)) else {
            return Err(Error::usage(format!(
                "flag provided but not defined: {}{name}",
                if a.starts_with("--") { "--" } else { "-" }
            )));
        };
        let value = if f.value {
            match inline {
                Some(v) => v,
                None => {
                    let Some(v) = argv.get(i) else {
                        return Err(Error::usage(format!("flag needs an argument: {a}")));
                    };
                    i += 1;
                    v.clone()
                }
            }
        } else {
            inline.unwrap_or_else(|| "true".into())
        };
        out.flags.insert(f.names[0], value);
    }
    Ok(out)
}

/// Print a value in the requested format (`json`, `yaml`, or jujuc's `smart`).
pub fn emit(v: &Value, format: &str) -> String {
    match format {
        "json" => format!("{v}\n"),
        "yaml" => serde_yaml_ng::to_string(v).unwrap_or_default(),
        _ => match v {
            Value::Null => String::new(),
            Value::String(s) => format!("{s}\n"),
            Value::Bool(b) => format!("{}\n", if *b { "True" } else { "False" }),
            Value::Number(n) => format!("{n}\n"),
            Value::Array(a) if a.iter().all(Value::is_string) => a
                .iter()
                .map(|s| format!("{}\n", s.as_str().unwrap_or_default()))
                .collect(),
            other => serde_yaml_ng::to_string(other).unwrap_or_default(),
        },
    }
}

/// Content of a `--file` argument: `-` is stdin.
pub fn read_file_arg(file: &str) -> Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| Error::io("stdin", e))?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).map_err(|e| Error::io(file, e))
    }
}

/// Reject extra positional arguments the way jujuc does.
pub fn no_more(pos: &[String]) -> Result<()> {
    if pos.is_empty() {
        Ok(())
    } else {
        let quoted: Vec<String> = pos.iter().map(|p| format!("{p:?}")).collect();
        Err(Error::usage(format!(
            "unrecognized args: [{}]",
            quoted.join(" ")
        )))
    }
}

/// Entry point for `argv[0]` = a tool name. Returns the process exit code.
pub fn main(tool: &str, argv: &[String]) -> i32 {
    let mut stdout = String::new();
    let res = Tool::load().and_then(|mut t| {
        let r = run(&mut t, tool, argv, &mut stdout);
        t.save()?;
        r
    });
    let _ = std::io::stdout().write_all(stdout.as_bytes());
    match res {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("ERROR {e}");
            e.exit_code()
        }
    }
}

fn run(t: &mut Tool, tool: &str, argv: &[String], out: &mut String) -> Result<()> {
    match tool {
        "relation-ids" => relation::ids(t, argv, out),
        "relation-list" => relation::list(t, argv, out),
        "relation-get" => relation::get(t, argv, out),
        "relation-set" => relation::set(t, argv),
        "secret-get" => secret::get(t, argv, out),
        "secret-set" => secret::set(t, argv),
        "secret-add" => secret::add(t, argv, out),
        "secret-info-get" => secret::info_get(t, argv, out),
        "secret-grant" => secret::grant(t, argv, true),
        "secret-revoke" => secret::grant(t, argv, false),
        "secret-remove" => secret::remove(t, argv),
        "secret-ids" => secret::ids(t, argv, out),
        "action-get" => action::get(t, argv, out),
        "action-set" => action::set(t, argv),
        "action-fail" => action::fail(t, argv),
        "action-log" => action::log(t, argv),
        "config-get" => misc::config_get(t, argv, out),
        "is-leader" => misc::is_leader(t, argv, out),
        "status-set" => misc::status_set(t, argv),
        "status-get" => misc::status_get(t, argv, out),
        "juju-log" => misc::juju_log(t, argv),
        "application-version-set" => misc::version_set(t, argv),
        "leader-get" => misc::leader_get(t, argv, out),
        "leader-set" => misc::leader_set(t, argv),
        "open-port" => misc::port(t, argv, true),
        "close-port" => misc::port(t, argv, false),
        "opened-ports" => misc::opened_ports(t, argv, out),
        "relation-model-get" => relation::model_get(t, argv, out),
        "network-get" => relation::network_get(t, argv, out),
        "unit-get" => unit::unit_get(t, argv, out),
        "goal-state" => unit::goal_state(t, argv, out),
        "state-get" => unit::state_get(t, argv, out),
        "state-set" => unit::state_set(t, argv),
        "state-delete" => unit::state_delete(t, argv),
        "storage-list" => unit::storage_list(t, argv, out),
        "storage-get" => unit::storage_get(t, argv, out),
        "storage-add" => unit::storage_add(t, argv),
        "resource-get" => absent::resource_get(t, argv),
        "credential-get" => absent::credential_get(t, argv),
        "add-metric" => absent::add_metric(t, argv),
        "juju-reboot" => absent::juju_reboot(t, argv),
        "k8s-spec-set" | "pod-spec-set" | "k8s-raw-set" => absent::spec_set(t, tool, argv),
        "k8s-spec-get" | "pod-spec-get" | "k8s-raw-get" => absent::spec_get(t, argv),
        "payload-register" => absent::payload_register(t, argv),
        "payload-unregister" => absent::payload_unregister(t, argv),
        "payload-status-set" => absent::payload_status_set(t, argv),
        other => Err(Error::usage(format!("unknown hook tool {other:?}"))),
    }
}
