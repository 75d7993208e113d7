//! Shared fixtures of the in-process tests (tier 2): a Juju world as data for MemoryTools,
//! an in-memory Kafka Connect behind the driver's port, hooks and actions at an injected time.
#![allow(dead_code)]

use mirrormaker_integrator::charm::clock::{RealWait, Wait};
use mirrormaker_integrator::charm::{self, ConnectApi, ConnectFailure};
use mirrormaker_integrator::connect::ConnectorOffsets;
use mirrormaker_integrator::juju::memory::{MemoryTools, Relation, SecretRecord, State};
use mirrormaker_integrator::juju::Event;
use mirrormaker_integrator::kafka::memory::MemoryKafka;
use mirrormaker_integrator::kafka::{KafkaApi, KafkaFactory, KafkaFailure};
use mirrormaker_integrator::mirror::Cluster;
use mirrormaker_integrator::mirror::DesiredConnector;
use mirrormaker_integrator::plan::{Actual, RunState, TaskState};
use mirrormaker_integrator::relations::ConnectData;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

pub const UUID: &str = "5b2e4a3c-1d2e-4f60-8a9b-0c1d2e3f4a5b";
pub const UUID_HEX: &str = "5b2e4a3c1d2e4f608a9b0c1d2e3f4a5b";
/// The CA every Kafka fixture sends (a real X.509 certificate: the charm refuses anything else).
pub static PEM: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| mirrormaker_integrator::pem::test_ca("fixture-ca"));

/// An in-memory Connect: stored configs and statuses, and a log of every write.
#[derive(Default)]
pub struct Connect {
    pub actual: Actual,
    pub writes: Vec<String>,
    pub validation_errors: Vec<String>,
    /// Every call fails as if Connect were down.
    pub down: bool,
    /// A restart leaves FAILED things FAILED (the failure comes straight back).
    pub sticky_failure: bool,
    /// Source offsets by connector name, as Connect's offsets topic keeps them: they outlive
    /// a deleted connector (one number stands for MirrorMaker's position).
    pub offsets: BTreeMap<String, u64>,
    /// Writes Connect still accepts before it goes down (a crash or outage mid-rollout).
    pub writes_left: Option<usize>,
    /// What `GET /connectors/<name>/offsets` answers (the `lag` action reads it).
    pub source_offsets: BTreeMap<String, ConnectorOffsets>,
}

#[derive(Clone, Default)]
pub struct FakeConnect(pub Rc<RefCell<Connect>>);

impl FakeConnect {
    fn check(&self) -> Result<(), ConnectFailure> {
        if self.0.borrow().down {
            return Err(ConnectFailure::unavailable(
                "http://127.0.0.1:8083: connection refused",
            ));
        }
        Ok(())
    }

    /// [`Self::check`] for a write: also counts down `writes_left`.
    fn check_write(&self) -> Result<(), ConnectFailure> {
        self.check()?;
        let mut c = self.0.borrow_mut();
        match c.writes_left {
            Some(0) => Err(ConnectFailure::unavailable(
                "Kafka Connect went away mid-rollout",
            )),
            Some(n) => {
                c.writes_left = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn set_state(&self, name: &str, op: &str, state: &str) -> Result<(), ConnectFailure> {
        self.check_write()?;
        let mut c = self.0.borrow_mut();
        c.writes.push(format!("{op} {name}"));
        if let Some(x) = c.actual.connectors.get_mut(name) {
            if x.state == Some(RunState::Failed) && op != "STOP" {
                return Ok(()); // Connect ignores pause/resume of a FAILED connector
            }
            x.state = Some(state.into());
            if op == "STOP" {
                x.tasks.clear();
            }
            for t in &mut x.tasks {
                t.state = state.into();
            }
        }
        Ok(())
    }

    pub fn writes(&self) -> Vec<String> {
        self.0.borrow().writes.clone()
    }

    pub fn take_writes(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut().writes)
    }

    pub fn state_of(&self, name: &str) -> Option<String> {
        let c = self.0.borrow();
        c.actual.connectors[name]
            .state
            .as_ref()
            .map(ToString::to_string)
    }

    /// Task `task` of `name` FAILED with a trace naming a secret, to prove it never leaks.
    pub fn fail_task(&self, name: &str, task: u32) {
        self.fail_task_with(
            name,
            task,
            "org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during authentication due to invalid credentials (pw-kafka-secret)\n\tat org.apache.kafka.X",
        );
    }

    /// Task `task` of `name` FAILED with `trace`, as Connect stores it (unredacted).
    pub fn fail_task_with(&self, name: &str, task: u32, trace: &str) {
        let mut c = self.0.borrow_mut();
        let x = c.actual.connectors.get_mut(name).unwrap();
        let t = x.tasks.iter_mut().find(|t| t.id == task).unwrap();
        t.state = "FAILED".into();
        t.trace = Some(trace.into());
    }
}

impl ConnectApi for FakeConnect {
    fn list(&self) -> Result<Actual, ConnectFailure> {
        self.check()?;
        Ok(self.0.borrow().actual.clone())
    }
    fn validate(&self, _c: &DesiredConnector) -> Result<Vec<String>, ConnectFailure> {
        self.check()?;
        Ok(self.0.borrow().validation_errors.clone())
    }
    fn put(&self, name: &str, config: &BTreeMap<String, String>) -> Result<(), ConnectFailure> {
        self.check_write()?;
        let mut c = self.0.borrow_mut();
        c.writes.push(format!("PUT {name}"));
        let mut stored = config.clone();
        stored.insert("name".into(), name.into());
        c.actual
            .connectors
            .entry(name.to_string())
            .or_default()
            .config = stored;
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<(), ConnectFailure> {
        self.check_write()?;
        let mut c = self.0.borrow_mut();
        c.writes.push(format!("DELETE {name}"));
        c.actual.connectors.remove(name);
        Ok(())
    }
    fn pause(&self, name: &str) -> Result<(), ConnectFailure> {
        self.set_state(name, "PAUSE", "PAUSED")
    }
    fn create_stopped(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<(), ConnectFailure> {
        self.check_write()?;
        let mut c = self.0.borrow_mut();
        c.writes.push(format!("CREATE-STOPPED {name}"));
        let mut stored = config.clone();
        stored.insert("name".into(), name.into());
        let entry = c.actual.connectors.entry(name.to_string()).or_default();
        entry.config = stored;
        entry.state = Some(RunState::Stopped);
        entry.tasks.clear();
        Ok(())
    }
    fn carry_offsets(&self, from: &str, to: &str) -> Result<usize, ConnectFailure> {
        self.check()?;
        let mut c = self.0.borrow_mut();
        let stopped = |n: &str| {
            c.actual.connectors.get(n).and_then(|x| x.state.clone()) == Some(RunState::Stopped)
        };
        if !stopped(from) || !stopped(to) {
            return Err(ConnectFailure::unavailable(format!(
                "{from} or {to} is not STOPPED"
            )));
        }
        c.writes.push(format!("CARRY {from} -> {to}"));
        let Some(at) = c.offsets.get(from).copied() else {
            return Ok(0);
        };
        c.offsets.insert(to.to_string(), at);
        Ok(1)
    }
    fn stop(&self, name: &str) -> Result<(), ConnectFailure> {
        self.set_state(name, "STOP", "STOPPED")
    }
    fn source_offsets(&self, name: &str) -> Result<ConnectorOffsets, ConnectFailure> {
        self.check()?;
        Ok(self
            .0
            .borrow()
            .source_offsets
            .get(name)
            .cloned()
            .unwrap_or_default())
    }
    fn resume(&self, name: &str) -> Result<(), ConnectFailure> {
        self.set_state(name, "RESUME", "RUNNING")
    }
    fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), ConnectFailure> {
        self.check()?;
        let mut c = self.0.borrow_mut();
        c.writes.push(format!(
            "RESTART {name} includeTasks={include_tasks} onlyFailed={only_failed}"
        ));
        if c.sticky_failure {
            return Ok(());
        }
        if let Some(x) = c.actual.connectors.get_mut(name) {
            if !only_failed || x.state == Some(RunState::Failed) {
                x.state = Some("RUNNING".into());
                x.trace = None;
            }
            for t in x.tasks.iter_mut().filter(|_| include_tasks) {
                if !only_failed || t.state == "FAILED" {
                    t.state = "RUNNING".into();
                    t.trace = None;
                }
            }
        }
        Ok(())
    }
}

pub fn kafka_relation(endpoint: &str, id: u64, app: &str, secret: &str) -> Relation {
    Relation {
        endpoint: endpoint.into(),
        id,
        remote_app: app.into(),
        remote_units: vec![format!("{app}/0")],
        remote_app_data: [
            ("endpoints", format!("127.0.0.1:{}", 9000 + id)),
            ("tls", "enabled".to_string()),
            ("secret-user", format!("secret:{secret}-user")),
            ("secret-tls", format!("secret:{secret}-tls")),
            ("topic", "__mirrormaker-user".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        ..Default::default()
    }
}

pub fn secret(content: &[(&str, &str)]) -> SecretRecord {
    SecretRecord {
        revisions: vec![content
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()],
        ..Default::default()
    }
}

/// mirrormaker/0 (leader) with kafka-a on source, kafka-b on target, kafka-connect on connect-client.
pub fn world() -> State {
    let mut s = State {
        app: "mirrormaker".into(),
        unit: "mirrormaker/0".into(),
        leader: true,
        ..Default::default()
    };
    s.config.insert("topics".into(), "orders\\..*".into());
    s.relations
        .push(kafka_relation("source", 3, "kafka-a", "a"));
    s.relations
        .push(kafka_relation("target", 4, "kafka-b", "b"));
    s.relations.push(Relation {
        endpoint: "connect-client".into(),
        id: 5,
        remote_app: "kafka-connect".into(),
        remote_units: vec!["kafka-connect/0".into()],
        remote_app_data: [
            ("endpoints", "http://127.0.0.1:8083"),
            ("secret-user", "secret:c-user"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        ..Default::default()
    });
    s.relations.push(Relation {
        endpoint: "peer".into(),
        id: 1,
        remote_app: "mirrormaker".into(),
        ..Default::default()
    });
    for (id, user) in [("a", "relation-3"), ("b", "relation-4")] {
        s.secrets.insert(
            format!("secret:{id}-user"),
            secret(&[("username", user), ("password", "pw-kafka-secret")]),
        );
        s.secrets.insert(
            format!("secret:{id}-tls"),
            secret(&[("tls-ca", PEM.as_str())]),
        );
    }
    s.secrets.insert(
        "secret:c-user".into(),
        secret(&[
            ("username", "relation-5"),
            ("password", "pw-connect-secret"),
        ]),
    );
    s
}

pub fn hook(name: &str, relation: Option<(&str, u64, &str)>) -> Event {
    let mut env: BTreeMap<&str, String> = BTreeMap::new();
    env.insert("JUJU_UNIT_NAME", "mirrormaker/0".into());
    env.insert("JUJU_MODEL_UUID", UUID.into());
    env.insert("JUJU_DISPATCH_PATH", format!("hooks/{name}"));
    if let Some((ep, id, app)) = relation {
        env.insert("JUJU_RELATION_ID", format!("{ep}:{id}"));
        env.insert("JUJU_REMOTE_APP", app.into());
    }
    Event::from_vars(|k| env.get(k).cloned()).unwrap()
}

/// 2026-11-25T17:00:00Z, the fixtures' "now".
pub const T0: u64 = 1_795_626_000;

pub fn run(state: State, event: &Event, connect: &FakeConnect) -> State {
    run_at(state, event, connect, T0)
}

/// One hook or action at `now` (epoch seconds): the injected clock.
pub fn run_at(state: State, event: &Event, connect: &FakeConnect, now: u64) -> State {
    // The loop guard reads Kafka before it creates a source under replication-policy=identity:
    // empty in-memory clusters (no loop evidence), never the network.
    let kafka = |_: &Cluster| -> Result<Box<dyn KafkaApi>, KafkaFailure> {
        Ok(Box::new(MemoryKafka::default()))
    };
    run_with(state, event, connect, &kafka, &RealWait::new(), now)
}

/// [`run_at`] with the Kafka clusters `kafka` builds and `wait` as the clock the `failover`
/// action polls with.
pub fn run_with(
    state: State,
    event: &Event,
    connect: &FakeConnect,
    kafka: KafkaFactory,
    wait: &dyn Wait,
    now: u64,
) -> State {
    let mut event = event.clone();
    event.unit = state.unit.clone();
    let event = &event;
    let canaries = canaries(&state);
    let tools = MemoryTools::new(state);
    let c = connect.clone();
    let factory = move |_: &ConnectData| -> Result<Box<dyn ConnectApi>, ConnectFailure> {
        Ok(Box::new(c.clone()))
    };
    guarded(&canaries, event.name(), || {
        charm::run_with_wait(event, &tools, &factory, kafka, wait, now)
    });
    let out = tools.into_state();
    assert_no_canary(&canaries, event.name(), &everything_said(&out));
    out
}

/// The secret canary of the in-process suites (issue 14, item 6): every password in the world
/// before a hook (secret contents and plain `password` fields, 6 characters or more) and the
/// marker in `$MMI_CANARY`, if set. Connect's fakes echo these in clear, as Connect does.
pub fn canaries(s: &State) -> Vec<String> {
    let plain = s
        .relations
        .iter()
        .flat_map(|r| [&r.remote_app_data, &r.local_app, &r.local_unit])
        .filter_map(|bag| bag.get("password"));
    let secret = s
        .secrets
        .values()
        .flat_map(|r| &r.revisions)
        .filter_map(|rev| rev.get("password"));
    // A password that is also the text of something else (a generated world may set one to a
    // secret URI or an endpoint) is rightly shown as that thing: not a canary.
    let others: Vec<&String> = s
        .relations
        .iter()
        .flat_map(|r| [&r.remote_app_data, &r.local_app, &r.local_unit])
        .flatten()
        .chain(s.secrets.values().flat_map(|r| &r.revisions).flatten())
        .filter(|(k, _)| k.as_str() != "password")
        .map(|(_, v)| v)
        .chain(s.secrets.keys())
        .collect();
    let config = serde_json::Value::Object(s.config.clone()).to_string();
    let mut out: Vec<String> = plain
        .chain(secret)
        .filter(|p| p.len() >= 6)
        .filter(|p| !config.contains(p.as_str()) && !others.iter().any(|o| o.contains(p.as_str())))
        .cloned()
        .collect();
    out.extend(std::env::var("MMI_CANARY").ok().filter(|m| !m.is_empty()));
    out.sort();
    out.dedup();
    out
}

/// Fails naming the step when a canary appears in `said`.
pub fn assert_no_canary(canaries: &[String], step: &str, said: &str) {
    for c in canaries {
        assert!(
            !said.contains(c.as_str()),
            "secret canary: a password leaked in {step}:\n{said}"
        );
    }
}

/// Runs one hook, failing when its error or a panic message carries a canary (both reach
/// Juju's debug log in a real run); the hook must succeed.
pub fn guarded<E: std::fmt::Display + std::fmt::Debug>(
    canaries: &[String],
    step: &str,
    hook: impl FnOnce() -> Result<(), E>,
) {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(hook)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            assert_no_canary(canaries, step, &format!("{e} {e:?}"));
            panic!("hook succeeds: {e}");
        }
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            assert_no_canary(canaries, &format!("{step} (panic)"), &msg);
            std::panic::resume_unwind(payload);
        }
    }
}

/// The action event `name` on mirrormaker/0.
pub fn action(name: &str) -> Event {
    let mut env: BTreeMap<&str, String> = BTreeMap::new();
    env.insert("JUJU_UNIT_NAME", "mirrormaker/0".into());
    env.insert("JUJU_MODEL_UUID", UUID.into());
    env.insert("JUJU_DISPATCH_PATH", format!("actions/{name}"));
    env.insert("JUJU_ACTION_NAME", name.into());
    env.insert("JUJU_ACTION_UUID", "1".into());
    Event::from_vars(|k| env.get(k).cloned()).unwrap()
}

/// Runs action `name` with `params` and returns the world after (results in `action_results`).
pub fn run_action(
    state: State,
    name: &str,
    params: serde_json::Value,
    connect: &FakeConnect,
    now: u64,
) -> State {
    let out = run_at(with_params(state, params), &action(name), connect, now);
    let mut out = out;
    out.action_params.clear();
    out
}

/// `state` ready for an action with `params` (an earlier action's results cleared).
pub fn with_params(mut state: State, params: serde_json::Value) -> State {
    state.action_params = params.as_object().cloned().unwrap_or_default();
    state.action_results.clear();
    state.action_failed = None;
    state
}

/// A converged world: the leader created everything, Connect reports it all RUNNING on a
/// worker, and one more hook settled the peer data. Returns the state after it.
pub fn converged(connect: &FakeConnect) -> State {
    converge(world(), connect)
}

/// [`converged`] from the world `s` (e.g. with other passwords).
pub fn converge(s: State, connect: &FakeConnect) -> State {
    let s = run(s, &hook("config-changed", None), connect);
    all_running(connect);
    let s = run(s, &hook("update-status", None), connect);
    connect.take_writes();
    s
}

/// The peer relation's app databag.
pub fn peer_bag(s: &State) -> BTreeMap<String, String> {
    s.relations
        .iter()
        .find(|r| r.endpoint == "peer")
        .unwrap()
        .local_app
        .clone()
}

pub fn name(kind: &str, alias: &str) -> String {
    format!("mirror_{kind}_{alias}_r5_{UUID_HEX}")
}

/// Marks every stored connector RUNNING with one RUNNING task (what Connect converges to).
pub fn all_running(connect: &FakeConnect) {
    for c in connect.0.borrow_mut().actual.connectors.values_mut() {
        c.state = Some("RUNNING".into());
        c.worker_id = Some("10.0.0.5:8083".into());
        c.tasks = vec![TaskState {
            id: 0,
            state: "RUNNING".into(),
            worker_id: Some("10.0.0.6:8083".into()),
            trace: None,
        }];
    }
}

/// A leader change: unit 0 (`s`) loses leadership, unit 1 gets it. Both see the same
/// relations, peer databag included. Returns (unit 0, unit 1).
pub fn leader_moves(s: &State) -> (State, State) {
    let mut old = s.clone();
    old.leader = false;
    let mut new = s.clone();
    new.unit = "mirrormaker/1".into();
    new.leader = true;
    new.unit_status = None;
    new.app_status = None;
    (old, new)
}

/// Unit 1 sees the peer data unit 0 wrote (what Juju shares between the units).
pub fn share_peer(from: &State, to: &mut State) {
    let bag = peer_bag(from);
    to.relations
        .iter_mut()
        .find(|r| r.endpoint == "peer")
        .unwrap()
        .local_app = bag;
}

/// Prints an action's output the way `juju run` shows it, for docs/day2.md.
pub fn show(cmd: &str, s: &State) {
    println!("$ {cmd}");
    if let Some(r) = s.action_results.get("result") {
        println!("{r}");
    }
    if let Some(f) = &s.action_failed {
        println!("Action failed: {f}");
    }
    println!();
}

/// Every text the charm produced: statuses, logs, action results and failures, tool calls.
pub fn everything_said(s: &State) -> String {
    let mut text = format!(
        "{:?} {:?} {:?} {:?} {:?}",
        s.unit_status, s.app_status, s.action_results, s.action_failed, s.calls
    );
    for (_, l) in &s.logs {
        text.push_str(l);
    }
    for r in &s.relations {
        text.push_str(&format!("{:?}", r.local_app));
    }
    text
}

/// A connector's name as statuses show it (without the model-uuid suffix).
pub fn short(kind: &str, alias: &str) -> String {
    format!("mirror_{kind}_{alias}_r5")
}
