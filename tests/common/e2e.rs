//! Process-level end-to-end support: the packed charm under the juju-sim emulator, with the
//! real Kafka and Kafka Connect of harness/kafka-bed behind the simulated provider apps.

use super::{packed_charm, repo_root};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Builds the harness binaries once (`juju-sim`, `kafka-bed`) and returns target/debug.
pub fn harness_bin_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "juju-sim",
                "-p",
                "kafka-bed",
                "--bins",
            ])
            .current_dir(repo_root())
            .output()
            .expect("run cargo build for the harness");
        assert!(
            out.status.success(),
            "building the harness failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target"));
        target.join("debug")
    })
    .clone()
}

/// A juju-sim model in a directory.
pub struct Sim {
    pub model: PathBuf,
    bin: PathBuf,
}

impl Sim {
    pub fn new(model: &Path) -> Sim {
        Sim {
            model: model.to_path_buf(),
            bin: harness_bin_dir().join("juju-sim"),
        }
    }

    /// Runs a verb; returns (exit code, stdout, stderr).
    pub fn try_run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(&self.bin)
            .arg("--model")
            .arg(&self.model)
            .args(args)
            .output()
            .expect("run juju-sim");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs a verb that must succeed; returns stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let (code, out, err) = self.try_run(args);
        assert_eq!(
            code,
            0,
            "juju-sim {args:?} failed:\n{out}\n{err}\n{}",
            self.tail_log(40)
        );
        out
    }

    pub fn deploy_charm(&self, app: &str) {
        let charm = packed_charm();
        self.run(&["deploy", charm.to_str().unwrap(), app]);
    }

    pub fn status(&self) -> Value {
        serde_json::from_str(&self.run(&["status", "--format", "json"])).expect("status json")
    }

    /// (status, message) of an application.
    pub fn app_status(&self, app: &str) -> (String, String) {
        let s = self.status();
        let st = &s["applications"][app]["application-status"];
        (
            st["current"].as_str().unwrap_or("").into(),
            st["message"].as_str().unwrap_or("").into(),
        )
    }

    pub fn unit_status(&self, unit: &str) -> (String, String) {
        let app = unit.split('/').next().unwrap();
        let s = self.status();
        let st = &s["applications"][app]["units"][unit]["workload-status"];
        (
            st["current"].as_str().unwrap_or("").into(),
            st["message"].as_str().unwrap_or("").into(),
        )
    }

    /// Lines of the model's debug log.
    pub fn debug_log(&self) -> Vec<String> {
        self.run(&["debug-log"]).lines().map(String::from).collect()
    }

    pub fn tail_log(&self, n: usize) -> String {
        let (_, out, _) = self.try_run(&["debug-log"]);
        let lines: Vec<&str> = out.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Number of hooks run so far (all units).
    pub fn hook_count(&self) -> usize {
        let v: Value =
            serde_json::from_str(&self.run(&["hooks", "--format", "json"])).expect("hooks json");
        v.as_array().map(Vec::len).unwrap_or(0)
    }
}

/// Polls `check` (which runs `update-status` ticks or reads state) until it returns `Some`,
/// or fails after `limit` with `what` and the last observation. Waits on readiness, not on
/// fixed sleeps; the limit only bounds a broken run.
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < limit {
        match check() {
            Ok(v) => return v,
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    panic!("gave up waiting for {what} after {limit:?}; last: {last}");
}
