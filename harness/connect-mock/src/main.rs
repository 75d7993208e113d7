//! `connect-mock`: an in-memory Kafka Connect REST server for benchmarks (plain HTTP,
//! HTTP/1.1 keep-alive, any basic-auth credentials accepted). Not a fidelity mock — the
//! wiremock tests and the real worker of harness/kafka-bed are for behaviour; this one exists
//! to take Connect's own latency out of a whole-hook measurement and to count requests.
//!
//!   connect-mock [--port N] [--port-file F] [--log F] [--foreign N] [--fault F]
//!
//! * `--fault F` answers every request with a fault instead (benches/faults.sh):
//!   `blackhole` accepts and never answers; `401` plain-text basic-auth refusal; `500-timeout`
//!   Connect's herder timeout; `huge` a 200 whose chunked body is 1 GiB of `{`.
//! * `--foreign N` preloads N foreign connectors (RUNNING, one task, ~20-key configs).
//! * `--log F` appends `<epoch ns> <METHOD> <path>` per request (joined with hook times by
//!   benches/hooks.sh).
//! * Every connector has a status as soon as it exists (no 404 window).
//! * `GET /__count` answers the number of requests served so far (not logged, not counted).
//! * Crash injection (tests/crash_safety.rs): `GET /__arm?kill-after-writes=N&pid-file=F`
//!   resets the write counter; the N-th write after it (PUT of a config, DELETE, PUT
//!   pause/resume/stop, POST restart — not validate) is applied, then the process whose pid is
//!   in F (juju-sim's `<model>/hook.pid`: the running hook) gets SIGKILL and the request is
//!   left unanswered, i.e. the hook dies right after its write took effect. `N` = 0 only counts.
//!   `GET /__stats` answers `{"writes": n, "killed": pid or null}` since the last arm.
//!   Every write is counted, so arm only around steps in which the charm is the only writer
//!   (juju-sim's simulated Kafka Connect also DELETEs when `connect-client` departs).

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct Conn {
    config: BTreeMap<String, String>,
    state: String,
}

#[derive(Default)]
struct State {
    connectors: BTreeMap<String, Conn>,
    /// Source offsets by connector name; like Connect's offsets topic they outlive a deletion.
    offsets: BTreeMap<String, Value>,
    count: u64,
    log: Option<std::fs::File>,
    crash: Crash,
}

/// Crash injection: kill the running hook right after its `kill_at`-th write.
#[derive(Default)]
struct Crash {
    kill_at: u64,
    pid_file: Option<String>,
    writes: u64,
    killed: Option<i32>,
}

impl Crash {
    fn arm(&mut self, query: &str) -> Value {
        *self = Crash::default();
        for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            match k {
                "kill-after-writes" => self.kill_at = v.parse().unwrap_or(0),
                "pid-file" => self.pid_file = Some(v.to_string()),
                _ => {}
            }
        }
        json!({"kill_after_writes": self.kill_at})
    }

    fn stats(&self) -> Value {
        json!({"writes": self.writes, "killed": self.killed})
    }

    /// Counts a write that Connect accepted; true when the hook was killed after it.
    fn after_write(&mut self) -> bool {
        self.writes += 1;
        if self.kill_at == 0 || self.writes != self.kill_at {
            return false;
        }
        let pid = self
            .pid_file
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .and_then(|p| p.trim().parse::<i32>().ok());
        let Some(pid) = pid else {
            eprintln!(
                "connect-mock: write {} reached but no hook pid to kill",
                self.writes
            );
            return false;
        };
        // SAFETY: kill(2) with a pid read from the emulator's pid file; no memory involved.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        self.killed = Some(pid);
        true
    }
}

/// Requests that change Connect's state (what a crash point follows).
fn is_write(method: &str, target: &str) -> bool {
    let path = target.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        (method, parts.as_slice()),
        (
            "PUT",
            ["connectors", _, "config" | "pause" | "resume" | "stop"]
        ) | ("DELETE", ["connectors", _])
            | ("POST", ["connectors", _, "restart"])
    )
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn foreign_config(i: usize) -> BTreeMap<String, String> {
    let mut c = BTreeMap::new();
    let name = format!("foreign_jdbc_sink_{i:05}");
    c.insert("name".into(), name);
    c.insert(
        "connector.class".into(),
        "io.confluent.connect.jdbc.JdbcSinkConnector".into(),
    );
    c.insert("tasks.max".into(), "2".into());
    c.insert("topics".into(), format!("orders.{i},payments.{i}"));
    c.insert(
        "connection.url".into(),
        format!("jdbc:postgresql://db-{i}.example:5432/app"),
    );
    c.insert("connection.user".into(), "app".into());
    c.insert("connection.password".into(), "not-a-real-password".into());
    for k in 0..13 {
        c.insert(format!("transforms.t{k}.type"), format!("org.example.T{k}"));
    }
    c
}

fn status_json(name: &str, c: &Conn) -> Value {
    let tasks = if c.state == "RUNNING" {
        json!([{"id": 0, "state": "RUNNING", "worker_id": "127.0.0.1:8083"}])
    } else {
        json!([])
    };
    json!({"name": name, "connector": {"state": c.state, "worker_id": "127.0.0.1:8083"},
           "tasks": tasks, "type": "source"})
}

fn info_json(name: &str, c: &Conn) -> Value {
    let tasks = if c.state == "RUNNING" {
        json!([{"connector": name, "task": 0}])
    } else {
        json!([])
    };
    json!({"name": name, "config": c.config, "tasks": tasks, "type": "source"})
}

fn not_found(name: &str) -> (u16, Value) {
    (
        404,
        json!({"error_code": 404, "message": format!("Connector {name} not found")}),
    )
}

/// Routes one request; returns (status, JSON body or Null for no body).
fn route(st: &mut State, method: &str, target: &str, body: &[u8]) -> (u16, Value) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        ("GET", [""]) => (
            200,
            json!({"version": "3.9.1", "commit": "mock", "kafka_cluster_id": "mock-cluster"}),
        ),
        ("GET", ["connector-plugins"]) => (
            200,
            json!([
                {"class": "org.apache.kafka.connect.mirror.MirrorSourceConnector", "type": "source", "version": "3.9.1"},
                {"class": "org.apache.kafka.connect.mirror.MirrorCheckpointConnector", "type": "source", "version": "3.9.1"},
                {"class": "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector", "type": "source", "version": "3.9.1"}
            ]),
        ),
        ("PUT", ["connector-plugins", class, "config", "validate"]) => (
            200,
            json!({"name": class, "error_count": 0, "groups": [], "configs": []}),
        ),
        ("GET", ["connectors"]) => {
            let expand: Vec<&str> = query
                .split('&')
                .filter_map(|kv| kv.strip_prefix("expand="))
                .collect();
            if expand.is_empty() {
                let names: Vec<&String> = st.connectors.keys().collect();
                return (200, json!(names));
            }
            let mut out = Map::new();
            for (n, c) in &st.connectors {
                let mut e = Map::new();
                for x in &expand {
                    match *x {
                        "status" => e.insert("status".into(), status_json(n, c)),
                        "info" => e.insert("info".into(), info_json(n, c)),
                        _ => None,
                    };
                }
                out.insert(n.clone(), Value::Object(e));
            }
            (200, Value::Object(out))
        }
        ("GET", ["connectors", name]) => match st.connectors.get(*name) {
            Some(c) => (200, info_json(name, c)),
            None => not_found(name),
        },
        ("GET", ["connectors", name, "config"]) => match st.connectors.get(*name) {
            Some(c) => (200, json!(c.config)),
            None => not_found(name),
        },
        ("GET", ["connectors", name, "status"]) => match st.connectors.get(*name) {
            Some(c) => (200, status_json(name, c)),
            None => not_found(name),
        },
        ("PUT", ["connectors", name, "config"]) => {
            let mut config: BTreeMap<String, String> = match serde_json::from_slice(body) {
                Ok(c) => c,
                Err(e) => return (400, json!({"error_code": 400, "message": e.to_string()})),
            };
            config.insert("name".into(), name.to_string());
            let created = !st.connectors.contains_key(*name);
            let c = st.connectors.entry(name.to_string()).or_insert(Conn {
                config: BTreeMap::new(),
                state: "RUNNING".into(),
            });
            c.config = config;
            let info = info_json(name, c);
            (if created { 201 } else { 200 }, info)
        }
        ("POST", ["connectors"]) => create(st, body),
        ("GET", ["connectors", name, "offsets"]) => match st.connectors.get(*name) {
            Some(_) => (
                200,
                json!({"offsets": st.offsets.get(*name).cloned().unwrap_or(json!([]))}),
            ),
            None => not_found(name),
        },
        ("PATCH", ["connectors", name, "offsets"]) => match st.connectors.get(*name) {
            Some(c) if c.state == "STOPPED" => {
                let offsets = serde_json::from_slice::<Value>(body)
                    .ok()
                    .and_then(|v| v.get("offsets").cloned())
                    .unwrap_or(json!([]));
                st.offsets.insert(name.to_string(), offsets);
                (
                    200,
                    json!({"message": "The offsets for this connector have been altered successfully"}),
                )
            }
            Some(_) => (
                400,
                json!({"error_code": 400, "message": "Connectors must be in the STOPPED state before their offsets can be modified."}),
            ),
            None => not_found(name),
        },
        ("DELETE", ["connectors", name]) => match st.connectors.remove(*name) {
            Some(_) => (204, Value::Null),
            None => not_found(name),
        },
        ("PUT", ["connectors", name, verb @ ("pause" | "resume" | "stop")]) => {
            match st.connectors.get_mut(*name) {
                Some(c) => {
                    c.state = match *verb {
                        "pause" => "PAUSED",
                        "stop" => "STOPPED",
                        _ => "RUNNING",
                    }
                    .into();
                    (if *verb == "stop" { 204 } else { 202 }, Value::Null)
                }
                None => not_found(name),
            }
        }
        ("POST", ["connectors", name, "restart"]) => match st.connectors.get(*name) {
            Some(_) => (204, Value::Null),
            None => not_found(name),
        },
        _ => (
            404,
            json!({"error_code": 404, "message": format!("HTTP 404 Not Found: {method} {path}")}),
        ),
    }
}

/// `POST /connectors` `{"name", "config", "initial_state"}` (KIP-980): 201, or 409 when it exists.
fn create(st: &mut State, body: &[u8]) -> (u16, Value) {
    let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let (Some(name), Some(config)) = (req["name"].as_str(), req["config"].as_object()) else {
        return (
            400,
            json!({"error_code": 400, "message": "name and config are required"}),
        );
    };
    if st.connectors.contains_key(name) {
        return (
            409,
            json!({"error_code": 409, "message": format!("Connector {name} already exists")}),
        );
    }
    let mut config: BTreeMap<String, String> = config
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    config.insert("name".into(), name.to_string());
    let state = req["initial_state"]
        .as_str()
        .unwrap_or("RUNNING")
        .to_string();
    let c = Conn { config, state };
    let info = info_json(name, &c);
    st.connectors.insert(name.to_string(), c);
    (201, info)
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        409 => "Conflict",
        _ => "Not Found",
    }
}

/// Answers every request on `stream` with `fault` (see the module docs).
fn serve_fault(stream: TcpStream, fault: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.trim().eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        let reply = |code: &str, ctype: &str, text: &str| {
            format!(
                "HTTP/1.1 {code}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{text}",
                text.len()
            )
        };
        match fault {
            "blackhole" => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            "401" => out.write_all(
                reply(
                    "401 Unauthorized",
                    "text/plain",
                    "User cannot access the resource.",
                )
                .as_bytes(),
            )?,
            "500-timeout" => out.write_all(
                reply(
                    "500 Internal Server Error",
                    "application/json",
                    r#"{"error_code":500,"message":"Request timed out"}"#,
                )
                .as_bytes(),
            )?,
            _ => {
                out.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")?;
                let block = vec![b'{'; 64 << 10];
                let chunk = [
                    format!("{:x}\r\n", block.len()).into_bytes(),
                    block,
                    b"\r\n".to_vec(),
                ]
                .concat();
                for _ in 0..(1usize << 30) / (64 << 10) {
                    out.write_all(&chunk)?;
                }
                out.write_all(b"0\r\n\r\n")?;
            }
        }
        out.flush()?;
    }
}

fn serve(stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut it = line.split_whitespace();
        let (method, target) = match (it.next(), it.next()) {
            (Some(m), Some(t)) => (m.to_string(), t.to_string()),
            _ => return Ok(()),
        };
        let mut len = 0usize;
        let mut close = false;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                if k == "content-length" {
                    len = v.trim().parse().unwrap_or(0);
                } else if k == "connection" && v.trim().eq_ignore_ascii_case("close") {
                    close = true;
                }
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        let (code, value) = {
            let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
            if target == "/__count" {
                (200, json!(st.count))
            } else if let Some(q) = target.strip_prefix("/__arm?") {
                (200, st.crash.arm(q))
            } else if target == "/__stats" {
                (200, st.crash.stats())
            } else {
                st.count += 1;
                let stamp = now_ns();
                if let Some(f) = st.log.as_mut() {
                    let _ = writeln!(f, "{stamp} {method} {target}");
                }
                let (code, value) = route(&mut st, &method, &target, &body);
                if code < 300 && is_write(&method, &target) && st.crash.after_write() {
                    // The hook is dead: its write took effect, no answer ever reaches it.
                    return Ok(());
                }
                (code, value)
            }
        };
        let text = if value.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&value).unwrap_or_default()
        };
        let head = format!(
            "HTTP/1.1 {code} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            reason(code),
            text.len()
        );
        out.write_all(head.as_bytes())?;
        out.write_all(&text)?;
        out.flush()?;
        if close {
            return Ok(());
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let port: u16 = opt("--port").and_then(|p| p.parse().ok()).unwrap_or(0);
    let foreign: usize = opt("--foreign").and_then(|p| p.parse().ok()).unwrap_or(0);
    let mut st = State::default();
    for i in 0..foreign {
        let config = foreign_config(i);
        st.connectors.insert(
            config["name"].clone(),
            Conn {
                config,
                state: "RUNNING".into(),
            },
        );
    }
    if let Some(path) = opt("--log") {
        st.log = Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .unwrap_or_else(|e| panic!("cannot open {path}: {e}")),
        );
    }
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("local addr").port();
    if let Some(f) = opt("--port-file") {
        std::fs::write(&f, port.to_string()).expect("write the port file");
    }
    println!("{port}");
    if let Some(fault) = opt("--fault") {
        for stream in listener.incoming().flatten() {
            let fault = fault.clone();
            std::thread::spawn(move || {
                let _ = serve_fault(stream, &fault);
            });
        }
        return;
    }
    let state = Arc::new(Mutex::new(st));
    for stream in listener.incoming().flatten() {
        let state = state.clone();
        std::thread::spawn(move || {
            let _ = serve(stream, state);
        });
    }
}
