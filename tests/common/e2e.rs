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
                "-p",
                "connect-mock",
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
        self.try_run_env(&[], args)
    }

    /// Runs a verb with extra environment for its hooks (juju-sim passes its environment on
    /// to `dispatch`), e.g. the charm's injected clock `MMI_NOW_EPOCH_SECS`. Every verb runs
    /// with the secret canary on: the simulated providers put [`CANARY`] in every password.
    pub fn try_run_env(&self, env: &[(&str, String)], args: &[&str]) -> (i32, String, String) {
        let out = Command::new(&self.bin)
            .arg("--model")
            .arg(&self.model)
            .args(args)
            .env("MMI_CANARY", CANARY)
            .envs(env.iter().map(|(k, v)| (k, v.as_str())))
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

    /// `juju config app` with short MirrorMaker intervals (tests wait seconds, not minutes)
    /// and `more` options.
    pub fn config_fast(&self, app: &str, more: &[&str]) {
        let mut args = vec![
            "config",
            app,
            "refresh-topics-interval=5",
            "sync-topic-configs-interval=5",
            "refresh-groups-interval=5",
            "emit-checkpoints-interval=5",
            "sync-group-offsets-interval=5",
            "emit-heartbeats-interval=1",
        ];
        args.extend_from_slice(more);
        self.run(&args);
    }

    /// An `update-status` tick at the wall clock (for the charm's injected clock), whatever
    /// it returns.
    pub fn tick(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        self.try_run_env(
            &[("MMI_NOW_EPOCH_SECS", now.to_string())],
            &["update-status"],
        );
    }

    pub fn deploy_charm(&self, app: &str) {
        let charm = packed_charm();
        self.run(&["deploy", charm.to_str().unwrap(), app]);
    }

    pub fn status(&self) -> Value {
        serde_json::from_str(&self.run(&["status", "--format", "json"])).expect("status json")
    }

    /// The id of the relation that has `endpoint` (`app:endpoint`) on one side.
    pub fn relation_id(&self, endpoint: &str) -> u64 {
        let s = self.status();
        s["relations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["endpoints"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e == endpoint)
            })
            .and_then(|r| r["id"].as_u64())
            .unwrap_or_else(|| panic!("no relation with {endpoint}"))
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

    /// The secret canary: fails naming the place when [`CANARY`] (in every password the
    /// simulated providers made) appears in anything the model shows — a debug-log line
    /// (juju-log, hook stdout/stderr, panics, hook failures), a unit or app status, an action's
    /// results, failure message, log or output. Returns how many texts were scanned.
    pub fn assert_no_canary(&self) -> usize {
        let mut texts: Vec<(String, String)> = self
            .debug_log()
            .into_iter()
            .map(|l| ("debug-log".to_string(), l))
            .collect();
        texts.push(("status".into(), self.run(&["status", "--format", "json"])));
        let state: Value = serde_json::from_str(
            &std::fs::read_to_string(self.model.join("state.json")).expect("read state.json"),
        )
        .expect("state.json");
        for (id, a) in state["actions"].as_object().into_iter().flatten() {
            texts.push((format!("action {id}"), a.to_string()));
        }
        for (place, text) in &texts {
            assert!(
                !text.contains(CANARY),
                "secret canary leaked in {place}: {text}"
            );
        }
        assert!(
            state.to_string().contains(CANARY),
            "the canary is not in any secret: the scan above proves nothing"
        );
        texts.len()
    }

    /// Number of hooks run so far (all units).
    pub fn hook_count(&self) -> usize {
        let v: Value =
            serde_json::from_str(&self.run(&["hooks", "--format", "json"])).expect("hooks json");
        v.as_array().map(Vec::len).unwrap_or(0)
    }
}

/// The marker every simulated password carries (juju-sim `MMI_CANARY`).
pub const CANARY: &str = "CanaryX7q2";

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

/// Upper bound for anything MirrorMaker or the charm has to do once configured (the tests set
/// MirrorMaker's intervals to seconds); only a broken run waits this long.
pub const LIMIT: Duration = Duration::from_secs(300);

/// A fresh directory per run (the pid keeps concurrent runs of the same test apart).
pub fn run_dir(name: &str) -> PathBuf {
    let dir = repo_root()
        .join("target/e2e")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The stage of every end-to-end test: the real bed, juju-sim backend files for it, the four
/// provider apps (kafka-a, kafka-b, kafka-connect, and `tls`, a simulated
/// self-signed-certificates app whose `send-ca-cert` publishes the bed's Kafka Connect CA) and
/// the packed charm deployed as `mirrormaker`, not yet related.
pub struct Stage {
    pub dir: PathBuf,
    pub bed: kafka_bed::Bed,
    pub sim: Sim,
}

impl Stage {
    pub fn start(name: &str) -> Stage {
        Stage::start_with(name, &[])
    }

    /// Like [`Stage::start`], with extra `deploy` arguments per provider app, e.g.
    /// `[("kafka-a", &["--flavour", "kafka3"])]`.
    pub fn start_with(name: &str, extra: &[(&str, &[&str])]) -> Stage {
        Stage::start_bed(name, kafka_bed::bed::BedOptions::default(), extra)
    }

    /// Like [`Stage::start_with`] on a bed started with `options` (e.g. two Connect workers:
    /// the simulated kafka-connect then publishes both endpoints).
    pub fn start_bed(
        name: &str,
        options: kafka_bed::bed::BedOptions,
        extra: &[(&str, &[&str])],
    ) -> Stage {
        let dir = run_dir(name);
        let bin = harness_bin_dir();
        let bed = kafka_bed::Bed::start_with(&dir.join("bed"), options)
            .expect("start the Kafka/Connect bed (run harness/kafka-bed/fetch.sh first)");
        eprintln!("FIGURE: bed up in {:?}", bed.startup);
        let out = Command::new(bin.join("kafka-bed"))
            .args(["backend-files", "--dir"])
            .arg(dir.join("bed"))
            .arg("--out")
            .arg(dir.join("backends"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sim = Sim::new(&dir.join("model"));
        let stage = Stage { dir, bed, sim };
        for (kind, app, backend) in [
            ("kafka", "kafka-a", "kafka-a"),
            ("kafka", "kafka-b", "kafka-b"),
            ("kafka-connect", "kafka-connect", "kafka-connect"),
            ("self-signed-certificates", "tls", "ca-provider"),
        ] {
            let backend = stage.backend(backend);
            let mut args = vec!["deploy", "--sim", kind, app, "--backend", &backend];
            for (_, more) in extra.iter().filter(|(a, _)| *a == app) {
                args.extend_from_slice(more);
            }
            stage.sim.run(&args);
        }
        stage.sim.deploy_charm("mirrormaker");
        stage
    }

    /// The juju-sim backend file that provisions on the bed's `name` (kafka-a, kafka-b, kafka-connect).
    pub fn backend(&self, name: &str) -> String {
        self.dir
            .join("backends")
            .join(format!("{name}.json"))
            .to_string_lossy()
            .into_owned()
    }

    /// Relates the charm to all four providers (Kafka Connect serves https and, as the real
    /// Charmed Kafka Connect, sends no CA on a new relation: `tls` provides it), with short
    /// MirrorMaker intervals set first.
    pub fn integrate_all(&self, topics: &str) {
        self.integrate_kafka_and_connect(topics);
        self.sim.run(&[
            "integrate",
            "mirrormaker:receive-ca-cert",
            "tls:send-ca-cert",
        ]);
    }

    /// `integrate_all` without the CA relation.
    pub fn integrate_kafka_and_connect(&self, topics: &str) {
        self.sim
            .config_fast("mirrormaker", &[&format!("topics={topics}")]);
        self.sim
            .run(&["integrate", "mirrormaker:source", "kafka-a"]);
        self.sim
            .run(&["integrate", "mirrormaker:target", "kafka-b"]);
        self.sim
            .run(&["integrate", "mirrormaker:connect-client", "kafka-connect"]);
    }

    /// The test passed: stop the JVMs and remove the run directory (a failed run keeps it).
    pub fn passed(self) {
        let dir = self.dir.clone();
        drop(self);
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A GET on Connect's REST API as its admin, retried while Connect answers the 500 of a
/// pending rebalance (kafka-connect.md §3.2) — it follows every connector change.
pub fn connect_get<T: serde::de::DeserializeOwned>(bed: &kafka_bed::Bed, path: &str) -> T {
    let c = bed.connect_admin().unwrap();
    wait_for(&format!("GET {path}"), LIMIT, || {
        let r = c.get(path).map_err(|e| e.to_string())?;
        if r.status == 200 {
            serde_json::from_value(r.body).map_err(|e| e.to_string())
        } else {
            Err(format!("{} {}", r.status, r.body))
        }
    })
}

/// Every connector name on Connect (ours and others), sorted.
pub fn connectors(bed: &kafka_bed::Bed) -> Vec<String> {
    let mut v: Vec<String> = connect_get(bed, "/connectors");
    v.sort();
    v
}

pub fn connector_config(
    bed: &kafka_bed::Bed,
    name: &str,
) -> std::collections::BTreeMap<String, String> {
    connect_get(bed, &format!("/connectors/{name}/config"))
}
