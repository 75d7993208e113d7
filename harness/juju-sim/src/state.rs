//! The model: one serialisable `Model` value (like ops Scenario's `State`) kept as
//! `<model dir>/state.json`. Verbs load it, change it, and save it; hook tools work on a copy
//! held in the hook's context file (see `runner`). This module owns the data shapes and the
//! small queries/updates every other module needs; its only I/O is load/save.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::charm::CharmMeta;
use crate::error::{Error, Result};

/// A relation or leader databag: string keys to string values.
pub type Bag = BTreeMap<String, String>;

/// The whole model.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Model {
    pub name: String,
    pub uuid: String,
    pub next_relation_id: u64,
    pub next_seq: u64,
    pub next_action_id: u64,
    pub next_address: u32,
    pub apps: BTreeMap<String, App>,
    pub units: BTreeMap<String, Unit>,
    pub relations: BTreeMap<u64, Relation>,
    pub secrets: BTreeMap<String, Secret>,
    pub actions: BTreeMap<u64, ActionRun>,
}

/// Which built-in provider charm an application simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimKind {
    Kafka,
    KafkaConnect,
    SelfSignedCertificates,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub status: String,
    pub message: String,
}

impl Status {
    pub fn new(status: &str, message: &str) -> Self {
        Status {
            status: status.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct App {
    pub name: String,
    pub meta: CharmMeta,
    /// Where the charm came from (a directory or a .charm file); None for simulated apps.
    pub charm_source: Option<PathBuf>,
    pub sim: Option<SimKind>,
    /// Parsed `--backend` file of a simulated provider.
    pub backend: Option<Value>,
    /// Which real library behaviour a simulated provider follows (`deploy --flavour`,
    /// checked by `providers::flavour`); empty for charms.
    #[serde(default)]
    pub flavour: String,
    /// Values set with `config`; defaults live in `meta.config`.
    pub config: BTreeMap<String, Value>,
    pub leader: Option<String>,
    /// Application status set by the leader (None = derived from units).
    pub status: Option<Status>,
    pub version: String,
    pub next_unit: u32,
    pub leader_settings: Bag,
    /// State of a simulated provider per relation id.
    pub provider: BTreeMap<u64, ProviderRel>,
}

/// What a simulated provider has done on one relation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProviderRel {
    pub answered: bool,
    pub password: String,
    pub last_error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Agent {
    Idle,
    Error { hook: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unit {
    pub name: String,
    pub app: String,
    pub charm_dir: PathBuf,
    pub status: Status,
    pub agent: Agent,
    pub queue: VecDeque<Event>,
    /// Relation id → remote units this unit has seen join.
    pub rels: BTreeMap<u64, RelUnit>,
    pub ports: BTreeSet<String>,
    pub address: String,
    /// Removal requested: the unit is deleted once its queue is empty.
    pub dying: bool,
    /// Juju's per-unit charm state (`state-get`/`state-set`/`state-delete`).
    #[serde(default)]
    pub charm_state: Bag,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RelUnit {
    pub joined: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub app: String,
    pub endpoint: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Relation {
    pub id: u64,
    /// One entry for a peer relation, two otherwise.
    pub endpoints: Vec<Endpoint>,
    pub interface: String,
    pub app_data: BTreeMap<String, Bag>,
    pub unit_data: BTreeMap<String, Bag>,
    /// remove-relation was asked for; deleted once every unit ran -broken.
    pub dying: bool,
}

impl Relation {
    pub fn is_peer(&self) -> bool {
        self.endpoints.len() == 1
    }
    /// The endpoint name `app` uses in this relation.
    pub fn endpoint_of(&self, app: &str) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|e| e.app == app)
            .map(|e| e.endpoint.as_str())
    }
    /// The application on the other side (the app itself for a peer relation).
    pub fn remote_app(&self, app: &str) -> Option<&str> {
        if self.is_peer() {
            return self.endpoints.first().map(|e| e.app.as_str());
        }
        self.endpoints
            .iter()
            .find(|e| e.app != app)
            .map(|e| e.app.as_str())
    }
    pub fn has_app(&self, app: &str) -> bool {
        self.endpoints.iter().any(|e| e.app == app)
    }
    /// `endpoint:N` as Juju prints relation ids.
    pub fn key_for(&self, app: &str) -> String {
        format!("{}:{}", self.endpoint_of(app).unwrap_or("?"), self.id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    pub id: String,
    /// `application` or `unit`.
    pub owner_kind: String,
    /// App name or unit name.
    pub owner: String,
    /// Revision number → content.
    pub revisions: BTreeMap<u32, Bag>,
    pub label: Option<String>,
    pub description: Option<String>,
    pub expire: Option<String>,
    pub rotate: Option<String>,
    pub grants: Vec<Grant>,
    /// Consumer unit → its label and tracked revision.
    pub consumers: BTreeMap<String, Consumer>,
}

impl Secret {
    pub fn latest(&self) -> u32 {
        self.revisions.keys().next_back().copied().unwrap_or(0)
    }
    pub fn content(&self, rev: u32) -> Option<&Bag> {
        self.revisions.get(&rev)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub relation: u64,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Consumer {
    pub label: Option<String>,
    pub revision: u32,
}

/// A queued event for one unit; `seq` orders events model-wide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    Install,
    LeaderElected,
    LeaderSettingsChanged,
    ConfigChanged,
    Start,
    UpdateStatus,
    UpgradeCharm,
    Stop,
    Remove,
    RelationCreated {
        rel: u64,
    },
    RelationJoined {
        rel: u64,
        unit: String,
    },
    RelationChanged {
        rel: u64,
        unit: Option<String>,
        app: String,
    },
    RelationDeparted {
        rel: u64,
        unit: String,
        departing: String,
    },
    RelationBroken {
        rel: u64,
        app: String,
    },
    SecretChanged {
        id: String,
    },
    Action {
        id: u64,
    },
}

/// One entry of the hook history (`juju-sim hooks`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HookRecord {
    pub unit: String,
    pub hook: String,
    pub code: i32,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// An action invocation and its results.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ActionRun {
    pub id: u64,
    pub unit: String,
    pub name: String,
    pub uuid: String,
    pub params: Value,
    /// Nested map of results (action-set `a.b=c` → {"a":{"b":"c"}}).
    pub results: serde_json::Map<String, Value>,
    pub failed: Option<String>,
    pub logs: Vec<String>,
    pub done: bool,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Model {
    pub fn state_path(dir: &Path) -> PathBuf {
        dir.join("state.json")
    }

    pub fn load(dir: &Path) -> Result<Model> {
        let p = Model::state_path(dir);
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        serde_json::from_str(&text).map_err(|e| Error::parse(p.display().to_string(), e))
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        write_json_atomic(&Model::state_path(dir), self)
    }

    pub fn app(&self, name: &str) -> Result<&App> {
        self.apps
            .get(name)
            .ok_or_else(|| Error::run(format!("application \"{name}\" not found")))
    }
    pub fn app_mut(&mut self, name: &str) -> Result<&mut App> {
        self.apps
            .get_mut(name)
            .ok_or_else(|| Error::run(format!("application \"{name}\" not found")))
    }
    pub fn unit(&self, name: &str) -> Result<&Unit> {
        self.units
            .get(name)
            .ok_or_else(|| Error::run(format!("unit \"{name}\" not found")))
    }
    pub fn unit_mut(&mut self, name: &str) -> Result<&mut Unit> {
        self.units
            .get_mut(name)
            .ok_or_else(|| Error::run(format!("unit \"{name}\" not found")))
    }
    pub fn units_of(&self, app: &str) -> Vec<String> {
        let mut v: Vec<(u32, String)> = self
            .units
            .values()
            .filter(|u| u.app == app)
            .map(|u| (unit_number(&u.name), u.name.clone()))
            .collect();
        v.sort();
        v.into_iter().map(|(_, n)| n).collect()
    }
    pub fn is_leader(&self, unit: &str) -> bool {
        let app = app_of(unit);
        self.apps
            .get(app)
            .and_then(|a| a.leader.as_deref())
            .is_some_and(|l| l == unit)
    }

    /// Queue an event for a unit. Identical pending relation-changed, secret-changed,
    /// config-changed, update-status and leader-settings-changed events are coalesced as Juju does.
    pub fn enqueue(&mut self, unit: &str, kind: EventKind) {
        let coalesce = matches!(
            kind,
            EventKind::RelationChanged { .. }
                | EventKind::SecretChanged { .. }
                | EventKind::ConfigChanged
                | EventKind::UpdateStatus
                | EventKind::LeaderSettingsChanged
        );
        let seq = self.next_seq;
        let Some(u) = self.units.get_mut(unit) else {
            return;
        };
        if coalesce && u.queue.iter().any(|e| e.kind == kind) {
            return;
        }
        u.queue.push_back(Event { seq, kind });
        self.next_seq += 1;
    }

    /// Allocate the next unit address: 127.71.X.Y, in the loopback range 127.0.0.0/8, so a
    /// charm under test that connects to a unit address never sends traffic off the machine
    /// (Linux answers every 127.x.y.z address on `lo`). 127.71.0.1 is kept for the simulated
    /// controller ([`CONTROLLER_ADDRESS`]).
    pub fn new_address(&mut self) -> String {
        self.next_address += 1;
        loopback_address(self.next_address)
    }
}

/// The simulated controller's address (`JUJU_API_ADDRESSES`, resource URLs): loopback too.
pub const CONTROLLER_ADDRESS: &str = "127.71.0.1";

/// The `n`-th unit address (n ≥ 1): `127.71.<n / 250>.<n % 250 + 1>`, never 127.71.0.1.
pub fn loopback_address(n: u32) -> String {
    let n = n.max(1);
    format!("127.71.{}.{}", (n / 250) % 256, n % 250 + 1)
}

pub fn app_of(unit: &str) -> &str {
    unit.split('/').next().unwrap_or(unit)
}

pub fn unit_number(unit: &str) -> u32 {
    unit.rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Write JSON through a temp file and rename, so readers never see half a file.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::parse("state", e))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Random bytes from the kernel.
pub fn random_bytes(n: usize) -> Vec<u8> {
    use std::io::Read;
    let mut buf = vec![0u8; n];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut buf);
    }
    buf
}

/// A random v4 UUID with dashes.
pub fn new_uuid() -> String {
    let mut b = random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Random string over an alphabet.
pub fn random_string(alphabet: &[u8], n: usize) -> String {
    random_bytes(n)
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

/// A Juju secret URI: `secret:` + 20 chars of xid's base32hex alphabet.
pub fn new_secret_id() -> String {
    format!(
        "secret:{}",
        random_string(b"0123456789abcdefghijklmnopqrstuv", 20)
    )
}
