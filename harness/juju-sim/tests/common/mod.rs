//! Shared helpers for the emulator's tests: a model in a temp dir, the `juju-sim` binary, and
//! small shell test charms whose `dispatch` runs per-hook handler scripts from a directory the
//! test controls (`$SIM_TEST_HOOKS/<hook name>`), so a test can change a charm's behaviour
//! between verbs.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub struct Sim {
    pub tmp: tempfile::TempDir,
    pub model: PathBuf,
    pub hooks_dir: PathBuf,
}

pub struct Res {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Res {
    fn from(o: Output) -> Self {
        Res {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Dispatch of the test charms: runs `$SIM_TEST_HOOKS/<unit-app>/<hook or action>` (or the
/// `<app>/any` fallback) if present; exits with its code.
const DISPATCH: &str = r#"#!/bin/sh
name="${JUJU_DISPATCH_PATH#*/}"
app="${JUJU_UNIT_NAME%/*}"
dir="$SIM_TEST_HOOKS/$app"
out="$SIM_TEST_HOOKS/out"
mkdir -p "$out"
# t NAME CMD...: run a hook tool and keep its stdout, stderr and exit code.
t() { n="$1"; shift; "$@" >"$out/$n.out" 2>"$out/$n.err"; echo $? >"$out/$n.rc"; }
if [ -f "$dir/$name" ]; then . "$dir/$name"; exit $?; fi
if [ -f "$dir/any" ]; then . "$dir/any"; exit $?; fi
exit 0
"#;

impl Sim {
    pub fn new() -> Sim {
        let tmp = tempfile::tempdir().expect("tempdir");
        let model = tmp.path().join("model");
        let hooks_dir = tmp.path().join("hooks");
        std::fs::create_dir_all(hooks_dir.join("out")).unwrap();
        Sim {
            tmp,
            model,
            hooks_dir,
        }
    }

    pub fn cmd(&self, args: &[&str]) -> Res {
        Command::new(env!("CARGO_BIN_EXE_juju-sim"))
            .arg("--model")
            .arg(&self.model)
            .args(args)
            .env("SIM_TEST_HOOKS", &self.hooks_dir)
            .env_remove("JUJU_SIM_MODEL")
            .output()
            .expect("run juju-sim")
            .into()
    }

    /// Run a verb that must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.cmd(args);
        assert_eq!(
            r.code, 0,
            "juju-sim {args:?} failed: {}\n{}",
            r.stderr, r.stdout
        );
        r.stdout
    }

    /// Write a handler script for `app`'s hook or action `name` (sourced by dispatch).
    pub fn handler(&self, app: &str, name: &str, body: &str) {
        let d = self.hooks_dir.join(app);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), body).unwrap();
    }

    pub fn clear_handler(&self, app: &str, name: &str) {
        let _ = std::fs::remove_file(self.hooks_dir.join(app).join(name));
    }

    /// (stdout, stderr, rc) recorded by `t NAME ...` in a handler.
    pub fn out(&self, name: &str) -> (String, String, i32) {
        let d = self.hooks_dir.join("out");
        let rd = |ext: &str| {
            std::fs::read_to_string(d.join(format!("{name}.{ext}"))).unwrap_or_default()
        };
        let rc = rd("rc").trim().parse().unwrap_or(-99);
        (rd("out"), rd("err"), rc)
    }

    /// Hook history as (unit, hook, code).
    pub fn hooks(&self) -> Vec<(String, String, i32)> {
        self.ok(&["hooks"])
            .lines()
            .map(|l| {
                let p: Vec<&str> = l.split(' ').collect();
                (p[0].to_string(), p[1].to_string(), p[2].parse().unwrap())
            })
            .collect()
    }

    /// Hook names run by one unit, in order.
    pub fn hooks_of(&self, unit: &str) -> Vec<String> {
        self.hooks()
            .into_iter()
            .filter(|h| h.0 == unit)
            .map(|h| h.1)
            .collect()
    }

    pub fn hooks_json(&self) -> Vec<Value> {
        serde_json::from_str(&self.ok(&["hooks", "--format", "json"])).unwrap()
    }

    pub fn status(&self) -> Value {
        serde_json::from_str(&self.ok(&["status", "--format", "json"])).unwrap()
    }

    pub fn dump(&self) -> Value {
        serde_json::from_str(&self.ok(&["dump"])).unwrap()
    }

    /// App databag of `app` on relation `id`.
    pub fn app_bag(&self, id: u64, app: &str) -> Value {
        let r: Value = serde_json::from_str(&self.ok(&["show-relation", &id.to_string()])).unwrap();
        r["app_data"][app].clone()
    }

    pub fn unit_bag(&self, id: u64, unit: &str) -> Value {
        let r: Value = serde_json::from_str(&self.ok(&["show-relation", &id.to_string()])).unwrap();
        r["unit_data"][unit].clone()
    }

    /// Create a test charm directory; returns its path.
    pub fn charm(&self, name: &str, metadata_extra: &str, config: &str, actions: &str) -> PathBuf {
        let d = self.tmp.path().join("charms").join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("metadata.yaml"),
            format!("name: {name}\nsummary: test\ndescription: test\n{metadata_extra}"),
        )
        .unwrap();
        if !config.is_empty() {
            std::fs::write(d.join("config.yaml"), config).unwrap();
        }
        if !actions.is_empty() {
            std::fs::write(d.join("actions.yaml"), actions).unwrap();
        }
        write_exec(&d.join("dispatch"), DISPATCH);
        d
    }
}

pub fn write_exec(p: &Path, body: &str) {
    std::fs::write(p, body).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A requirer test charm with a peer relation, config and a `probe` action.
pub const REQUIRER_META: &str = "requires:
  source:
    interface: kafka_client
  target:
    interface: kafka_client
    limit: 1
  connect-client:
    interface: connect_client
    limit: 1
peers:
  peer:
    interface: peer_iface
";

pub const CONFIG: &str = "options:
  topics:
    type: string
    default: '.*'
    description: x
  replicas:
    type: int
    default: 3
    description: x
  enabled:
    type: boolean
    description: x
  secret-name:
    type: string
    description: no default
";

pub const ACTIONS: &str = "probe:
  description: run the probe handler
status:
  description: x
  params:
    verbose:
      type: boolean
      default: false
    name:
      type: string
    count:
      type: integer
      default: 5
  required: [name]
";
