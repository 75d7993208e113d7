//! Conformance: an unmodified charm written with `ops` (tests/ops-charm, run by `ops.main` with
//! the Python of an ops venv) deployed in the emulator with the simulated Kafka, Kafka Connect
//! and self-signed-certificates providers. It proves the emulator serves any ops charm as Juju
//! would, not only the project's: ops parses every hook tool's output, reads the secrets the
//! providers granted, reads `status-get --application`, counts `goal-state` units, gets
//! Juju's own `ModelError`s from tools whose features the emulator lacks, returns action
//! results, and keeps its `.unit-state.db` across `refresh`.
//!
//! The venv: `$OPS_VENV` if set, else `build/ops-venv` (made by `cargo xtask setup`, which
//! installs the pinned ops). Without it the test fails under CI (`CI=true`) and is skipped
//! locally with the reason printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The ops venv, or why it cannot be used.
fn ops_venv() -> Result<PathBuf, String> {
    let venv = match std::env::var_os("OPS_VENV") {
        Some(v) => PathBuf::from(v),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build/ops-venv"),
    };
    let python = venv.join("bin/python3");
    let ok = Command::new(&python)
        .args(["-c", "import ops"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(venv)
    } else {
        Err(format!(
            "no usable ops venv at {} ({} cannot import ops): run `cargo xtask setup` (it \
             installs the pinned ops into build/ops-venv) or set OPS_VENV to a venv with ops",
            venv.display(),
            python.display()
        ))
    }
}

struct Model {
    tmp: tempfile::TempDir,
    venv: PathBuf,
}

impl Model {
    fn dir(&self) -> PathBuf {
        self.tmp.path().join("model")
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_juju-sim"))
            .arg("--model")
            .arg(self.dir())
            .args(args)
            .env("OPS_VENV", &self.venv)
            .env("JUJU_SIM_HOOK_TIMEOUT", "120")
            .env_remove("JUJU_SIM_MODEL")
            .output()
            .expect("run juju-sim");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "juju-sim {args:?} failed:\n{err}\n{out}");
        out
    }

    /// Results of an action, parsed from the YAML `juju-sim run` prints.
    fn action(&self, unit: &str, name: &str) -> Value {
        let out = self.ok(&["run", unit, name]);
        serde_yaml_ng::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    /// What the charm recorded in its charm dir.
    fn seen(&self, unit: &str) -> Value {
        let p = self
            .dir()
            .join("units")
            .join(unit.replace('/', "-"))
            .join("charm/ops-seen.json");
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        serde_json::from_str(&text).unwrap()
    }

    fn assert_no_failed_hook(&self) {
        let hooks = self.ok(&["hooks"]);
        let failed: Vec<&str> = hooks.lines().filter(|l| !l.ends_with(" 0")).collect();
        assert!(
            failed.is_empty(),
            "failed hooks: {failed:?}\n{}",
            self.ok(&["debug-log"])
        );
    }
}

fn dispatches(seen: &Value) -> Vec<String> {
    seen["dispatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

/// Proves an unmodified ops charm runs under the emulator as under Juju: every hook reaches
/// `ops.main` and succeeds; ops reads the Kafka and Kafka Connect users from the secrets the
/// providers granted (`secret-user`) and the CA the certificate_transfer provider sent; the
/// `report` action's results (action-set) carry the unit status, the application status from
/// `status-get --application` (derived from the units until the leader sets one, then the
/// one it set), the planned units from `goal-state`, the loopback ingress address from
/// `network-get`, the opened port, and the `ModelError` ops raised for `resource-get` (never
/// uploaded) and `credential-get` (untrusted) with Juju's own error text; `refresh` runs
/// upgrade-charm and keeps ops' `.unit-state.db` (StoredState counters continue) and files the
/// charm wrote.
#[test]
fn ops_charm_runs_unmodified() {
    let venv = match ops_venv() {
        Ok(v) => v,
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("the ops conformance test cannot run under CI: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED ops_charm_runs_unmodified: {why}");
            return;
        }
    };
    let m = Model {
        tmp: tempfile::tempdir().unwrap(),
        venv,
    };
    let charm = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ops-charm");
    m.ok(&[
        "deploy",
        charm.to_str().unwrap(),
        "ops-conformance",
        "-n",
        "2",
    ]);
    m.ok(&["deploy", "--sim", "kafka", "kafka-a"]);
    m.ok(&["deploy", "--sim", "kafka-connect", "connect"]);
    m.ok(&["deploy", "--sim", "self-signed-certificates", "ca"]);
    m.ok(&["integrate", "ops-conformance:kafka", "kafka-a"]);
    m.ok(&["integrate", "ops-conformance:connect", "connect"]);
    m.ok(&["integrate", "ops-conformance:certificates", "ca"]);
    m.assert_no_failed_hook();

    for unit in ["ops-conformance/0", "ops-conformance/1"] {
        let seen = m.seen(unit);
        let d = dispatches(&seen);
        assert_eq!(d[0], "hooks/install", "{unit}: {d:?}");
        for hook in [
            "hooks/config-changed",
            "hooks/start",
            "hooks/peer-relation-joined",
            "hooks/kafka-relation-changed",
            "hooks/connect-relation-changed",
            "hooks/certificates-relation-changed",
        ] {
            assert!(d.iter().any(|x| x == hook), "{unit} missed {hook}: {d:?}");
        }
        assert_eq!(
            d.iter().any(|x| x == "hooks/leader-elected"),
            unit.ends_with("/0"),
            "{unit}: {d:?}"
        );
        // Secrets the providers own and granted to the relation, read through ops.
        assert_eq!(seen["kafka-username"], "relation-1", "{unit}: {seen}");
        assert_eq!(seen["kafka-password-length"], 32);
        assert_eq!(seen["connect-username"], "relation-2", "{unit}: {seen}");
        assert_eq!(seen["connect-password-length"], 32);
        assert!(seen["kafka-endpoints"]
            .as_str()
            .unwrap()
            .starts_with("127.71."));
        assert_eq!(seen["ca-first-line"], "-----BEGIN CERTIFICATE-----");
    }

    let uuid = serde_json::from_str::<Value>(&m.ok(&["dump"])).unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let r = m.action("ops-conformance/0", "report");
    assert_eq!(r["unit-status"], "active:unit ready", "{r}");
    assert_eq!(
        r["app-status"], "active:unit ready",
        "no app status set: derived from the units"
    );
    assert_eq!(r["planned-units"], "2");
    assert_eq!(r["opened-ports"], "8080/tcp");
    assert!(r["ingress-address"]
        .as_str()
        .unwrap()
        .starts_with("127.71."));
    assert_eq!(
        r["resource-error"],
        format!(
            "ERROR could not download resource: HTTP request failed: Get https://127.71.0.1:17070/model/{uuid}/units/unit-ops-conformance-0/resources/blob: resource#ops-conformance/blob not found"
        )
    );
    assert_eq!(
        r["cloud-spec-error"],
        "ERROR cannot access cloud credentials: permission denied"
    );
    assert_eq!(r["kafka-username"], "relation-1");
    assert_eq!(r["stored-installs"], "1");
    assert_eq!(r["stored-upgrades"], "0");
    // A non-leader cannot read the application status; everything else works the same.
    let r1 = m.action("ops-conformance/1", "report");
    assert!(r1.get("app-status").is_none(), "{r1}");
    assert_eq!(r1["unit-status"], "active:unit ready");

    // The leader sets an application status; status-get --application returns it.
    m.ok(&["config", "ops-conformance", "app-status=hello"]);
    m.assert_no_failed_hook();
    let r = m.action("ops-conformance/0", "report");
    assert_eq!(r["app-status"], "blocked:hello");
    let st: Value = serde_json::from_str(&m.ok(&["status", "--format", "json"])).unwrap();
    let app = &st["applications"]["ops-conformance"];
    assert_eq!(app["version"], "1.2.3");
    assert_eq!(app["application-status"]["current"], "blocked");

    // refresh: upgrade-charm runs, ops' StoredState (.unit-state.db) and ops-seen.json survive.
    let before = dispatches(&m.seen("ops-conformance/0")).len();
    m.ok(&["refresh", "ops-conformance"]);
    m.assert_no_failed_hook();
    let d = dispatches(&m.seen("ops-conformance/0"));
    assert!(d.len() > before, "ops-seen.json was wiped by refresh");
    assert!(
        d[before..].iter().any(|x| x == "hooks/upgrade-charm"),
        "{d:?}"
    );
    let r = m.action("ops-conformance/0", "report");
    assert_eq!(r["stored-installs"], "1", "{r}");
    assert_eq!(r["stored-upgrades"], "1", "{r}");

    let log = m.ok(&["debug-log"]);
    assert!(
        log.contains("ops-conformance/0: DEBUG Emitting Juju event install."),
        "ops' logging goes through juju-log"
    );
}
