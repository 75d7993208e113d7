//! The packed charm under juju-sim against harness/connect-mock (an in-memory Kafka Connect
//! REST server) instead of the real bed: plain simulated Kafka apps, the simulated Kafka
//! Connect pointing at the mock. For tests of what the charm does to Connect (crash points,
//! the secret canary) where no record has to flow.

use super::e2e::{harness_bin_dir, run_dir, Sim};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running connect-mock, killed on drop.
pub struct Mock {
    child: Child,
    pub port: u16,
}

impl Mock {
    pub fn start(dir: &Path) -> Mock {
        let port_file = dir.join("mock.port");
        let child = Command::new(harness_bin_dir().join("connect-mock"))
            .arg("--port-file")
            .arg(&port_file)
            .arg("--log")
            .arg(dir.join("mock-requests.log"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start connect-mock");
        let mut port = None;
        for _ in 0..500 {
            port = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|p| p.trim().parse().ok());
            if port.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Mock {
            child,
            port: port.expect("connect-mock wrote its port"),
        }
    }

    /// GET `path` on the mock; the JSON answer.
    pub fn get(&self, path: &str) -> Value {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the mock");
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        serde_json::from_str(body).unwrap_or(Value::Null)
    }

    /// Arms the crash: the `n`-th write from now kills the hook whose pid is in `pid_file`
    /// (0: only count).
    pub fn arm(&self, n: u64, pid_file: &Path) {
        self.get(&format!(
            "/__arm?kill-after-writes={n}&pid-file={}",
            pid_file.display()
        ));
    }

    /// (writes since the last arm, whether a hook was killed).
    pub fn stats(&self) -> (u64, bool) {
        let v = self.get("/__stats");
        (v["writes"].as_u64().unwrap_or(0), !v["killed"].is_null())
    }

    /// Every connector: name → (config, connector state).
    pub fn connectors(&self) -> std::collections::BTreeMap<String, (Value, String)> {
        let v = self.get("/connectors?expand=info&expand=status");
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(n, e)| {
                (
                    n.clone(),
                    (
                        e["info"]["config"].clone(),
                        e["status"]["connector"]["state"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                    ),
                )
            })
            .collect()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A model with the packed charm deployed as `mirrormaker`, simulated kafka-a and kafka-c
/// (sources), kafka-b (target) and kafka-connect (backed by the mock), topics set, nothing
/// related yet.
pub struct MockStage {
    pub dir: PathBuf,
    pub mock: Mock,
    pub sim: Sim,
}

impl MockStage {
    pub fn start(name: &str) -> MockStage {
        let dir = run_dir(name);
        let mock = Mock::start(&dir);
        let backend = dir.join("kafka-connect.json");
        std::fs::write(
            &backend,
            format!(
                r#"{{"endpoints": "http://127.0.0.1:{}", "admin_user": "admin", "admin_password": "admin"}}"#,
                mock.port
            ),
        )
        .unwrap();
        let sim = Sim::new(&dir.join("model"));
        for app in ["kafka-a", "kafka-b", "kafka-c"] {
            sim.run(&["deploy", "--sim", "kafka", app]);
        }
        sim.run(&[
            "deploy",
            "--sim",
            "kafka-connect",
            "kafka-connect",
            "--backend",
            backend.to_str().unwrap(),
        ]);
        sim.deploy_charm("mirrormaker");
        sim.run(&["config", "mirrormaker", "topics=orders\\..*"]);
        MockStage { dir, mock, sim }
    }

    /// juju-sim's pid file of the running hook.
    pub fn pid_file(&self) -> PathBuf {
        self.sim.model.join("hook.pid")
    }

    /// The model's uuid without dashes (the suffix of our connector names).
    pub fn uuid_hex(&self) -> String {
        self.sim.status()["model"]["uuid"]
            .as_str()
            .unwrap()
            .replace('-', "")
    }

    /// The passed test's directory goes (a failed one stays for reading).
    pub fn passed(self) {
        let dir = self.dir.clone();
        drop(self);
        let _ = std::fs::remove_dir_all(dir);
    }
}
