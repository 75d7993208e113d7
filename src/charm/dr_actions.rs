//! The read-only disaster-recovery actions (issue 15), on any unit:
//! * `lag`: per replicated partition, records behind (source end − MirrorMaker's position in
//!   Connect); per topic totals; per consumer group what it would resume from on the target;
//!   heartbeat and checkpoint ages on the target;
//! * `failover-check`: the same facts judged by [`crate::dr::readiness`]: ready or not, why.
//!
//! Facts come from Kafka Connect (our connectors, their offsets) and from both Kafka clusters
//! through [`crate::kafka::KafkaApi`] with the credentials the relations hold; the rules are
//! the pure ones in [`crate::dr`].

use super::actions::{result, scrub};
use super::gate::{self, Ready};
use super::{CharmError, ConnectApi, ConnectFactory, Snapshot};
use crate::dr::failover::{self, Syncs};
use crate::dr::records::{checkpoint, heartbeat, offset_sync};
use crate::dr::{
    self, ConnectorRun, GroupRow, HeartbeatAge, Naming, PartitionLag, Reason, TopicLag,
};
use crate::juju::HookTools;
use crate::kafka::{KafkaApi, KafkaFactory, OffsetAt, Tp};
use crate::mirror::javaregex::{matcher, Matcher};
use crate::mirror::{Cluster, ConnectorKind, Heartbeats, MirrorConfig};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Records of the checkpoints topic read at most (compacted: one per group and partition).
const CHECKPOINT_RECORDS: usize = 5000;
/// Records of a heartbeats topic read (the newest is what counts).
const HEARTBEAT_RECORDS: usize = 20;
/// Records of the offset-syncs topic read at most (compacted: the newest per partition, and
/// the recent ones not compacted yet).
const SYNC_RECORDS: usize = 5000;

/// What one source → target pair looks like now.
pub(super) struct View {
    pub(super) source: String,
    pub(super) target: String,
    pub(super) connectors: Vec<ConnectorRun>,
    pub(super) partitions: Vec<PartitionLag>,
    pub(super) topics: Vec<TopicLag>,
    pub(super) heartbeat: HeartbeatAge,
    pub(super) checkpoint_age: Option<u64>,
    pub(super) groups: Vec<GroupRow>,
    /// MirrorMaker's offset syncs read from the target, per source partition.
    pub(super) syncs: Syncs,
    /// Groups with members on the target (MirrorMaker commits only for empty groups).
    pub(super) active_on_target: Vec<String>,
    /// Groups with members on the source (their commits still move).
    pub(super) active_on_source: Vec<String>,
}

/// Consumer group states with members (ListGroups).
fn active(groups: &crate::kafka::Groups, of: &BTreeMap<String, BTreeMap<Tp, i64>>) -> Vec<String> {
    groups
        .iter()
        .filter(|(g, st)| of.contains_key(*g) && !matches!(st.as_str(), "Empty" | "Dead" | ""))
        .map(|(g, _)| g.clone())
        .collect()
}

pub(super) fn lag(
    s: &Snapshot,
    tools: &dyn HookTools,
    connect: ConnectFactory,
    kafka: KafkaFactory,
    params: &Map<String, Value>,
) -> Result<(), CharmError> {
    let views = match gather(s, connect, kafka, params) {
        Ok(v) => v,
        Err(m) => return Ok(tools.action_fail(&scrub(s, &format!("lag: {m}")))?),
    };
    let text = if json_wanted(params) {
        let all: Vec<Value> = views.iter().map(view_json).collect();
        json!({ "sources": all }).to_string()
    } else {
        views.iter().map(view_table).collect::<Vec<_>>().join("\n")
    };
    result(tools, scrub(s, &text))
}

pub(super) fn failover_check(
    s: &Snapshot,
    tools: &dyn HookTools,
    connect: ConnectFactory,
    kafka: KafkaFactory,
    params: &Map<String, Value>,
) -> Result<(), CharmError> {
    let views = match gather(s, connect, kafka, params) {
        Ok(v) => v,
        Err(m) => return Ok(tools.action_fail(&scrub(s, &format!("failover-check: {m}")))?),
    };
    let num = |k: &str, d: u64| params.get(k).and_then(Value::as_u64).unwrap_or(d);
    let t = dr::Thresholds {
        max_lag: i64::try_from(num("max-lag", 100)).unwrap_or(i64::MAX),
        max_heartbeat_age: num("max-heartbeat-age", 60),
    };
    let judged: Vec<(&View, Vec<Reason>)> = views
        .iter()
        .map(|v| {
            (
                v,
                dr::readiness(&v.connectors, &v.topics, &v.heartbeat, &v.groups, t),
            )
        })
        .collect();
    let ready = judged.iter().all(|(_, r)| r.iter().all(|r| !r.blocks()));
    let text = if json_wanted(params) {
        check_json(ready, &judged).to_string()
    } else {
        check_table(ready, &judged)
    };
    tools.action_set(&BTreeMap::from([
        ("ready".to_string(), ready.to_string()),
        ("result".to_string(), scrub(s, &text)),
    ]))?;
    Ok(())
}

fn json_wanted(params: &Map<String, Value>) -> bool {
    params.get("format").and_then(Value::as_str) == Some("json")
}

/// Every pair's facts, or why they cannot be read (names the system and the cause).
pub(super) fn gather(
    s: &Snapshot,
    connect: ConnectFactory,
    kafka: KafkaFactory,
    params: &Map<String, Value>,
) -> Result<Vec<View>, String> {
    let ready = gate::gate(s).map_err(|h| h.status().message)?;
    let config = s.config.as_ref().map_err(ToString::to_string)?;
    let wanted = params
        .get("source")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    let sources: Vec<&Cluster> = ready
        .sources
        .iter()
        .filter(|c| wanted.is_empty() || c.alias == wanted)
        .collect();
    if sources.is_empty() {
        let all: Vec<&str> = ready.sources.iter().map(|c| c.alias.as_str()).collect();
        return Err(format!(
            "no ready source '{wanted}'; sources: {}",
            all.join(", ")
        ));
    }
    let api = connect(&ready.connect).map_err(|e| format!("Kafka Connect: {e}"))?;
    let expected: Vec<&str> = ready.desired.iter().map(|d| d.name.as_str()).collect();
    let actual = api
        .list_for(&expected, &|n| ready.owner.owns(n))
        .map_err(|e| format!("Kafka Connect: {e}"))?;
    let target = kafka(&ready.target).map_err(|e| e.to_string())?;
    sources
        .into_iter()
        .map(|src| {
            let source = kafka(src).map_err(|e| e.to_string())?;
            let conns = connector_runs(&ready, &actual, &src.alias);
            view(
                s,
                config,
                &ready,
                src,
                api.as_ref(),
                source.as_ref(),
                target.as_ref(),
                conns,
            )
        })
        .collect()
}

/// Our connectors of one source, as Connect reports them (absent ones as not running).
fn connector_runs(ready: &Ready, actual: &crate::plan::Actual, alias: &str) -> Vec<ConnectorRun> {
    ready
        .desired
        .iter()
        .filter(|d| d.source_alias == alias)
        .map(|d| {
            let a = actual.connectors.get(&d.name);
            ConnectorRun {
                name: d.name.clone(),
                state: a.and_then(|a| a.state.clone()),
                tasks: a
                    .map(|a| a.tasks.iter().map(|t| (t.id, t.state.clone())).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn view(
    s: &Snapshot,
    config: &MirrorConfig,
    ready: &Ready,
    src: &Cluster,
    api: &dyn ConnectApi,
    source: &dyn KafkaApi,
    target: &dyn KafkaApi,
    connectors: Vec<ConnectorRun>,
) -> Result<View, String> {
    let naming = Naming {
        source: src.alias.clone(),
        policy: config.replication_policy,
        separator: config.replication_separator.clone(),
    };
    let name = ready
        .desired
        .iter()
        .find(|d| d.source_alias == src.alias && d.kind == ConnectorKind::Source)
        .map(|d| d.name.clone())
        .ok_or_else(|| format!("no source connector for {}", src.alias))?;
    let stored = api
        .source_offsets(&name)
        .map_err(|e| format!("Kafka Connect: {e}"))?;
    let raw: Vec<(Value, Value)> = stored
        .offsets
        .into_iter()
        .map(|o| (o.partition, o.offset))
        .collect();
    let positions = dr::mirror_positions(&raw, &src.alias);
    let tps: Vec<Tp> = positions.keys().cloned().collect();
    let kafka_err = |e: crate::kafka::KafkaFailure| e.to_string();
    let ends = source.offsets(&tps, OffsetAt::Latest).map_err(kafka_err)?;
    let partitions = without_markers(source, dr::lag(&positions, &ends)).map_err(kafka_err)?;
    let topics = dr::totals(&partitions);

    let now_ms = i64::try_from(s.now)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    let age = |ts: i64| u64::try_from(now_ms.saturating_sub(ts).max(0) / 1000).unwrap_or(0);
    let replicated = group_filter(config)?;
    let g = group_facts(&naming, &positions, &replicated, source, target, &age)?;
    let heartbeat = heartbeat_age(config.heartbeats, &naming, &src.alias, target, &age)?;
    Ok(View {
        source: src.alias.clone(),
        target: ready.target.alias.clone(),
        connectors,
        partitions,
        topics,
        heartbeat,
        checkpoint_age: g.checkpoint_age,
        groups: g.rows,
        syncs: g.syncs,
        active_on_target: g.active_on_target,
        active_on_source: g.active_on_source,
    })
}

/// Lags of at most this many offsets are checked record by record.
const MARKER_CHECK: i64 = 16;

/// Offsets that hold no record — the commit or abort marker a transaction leaves in each
/// partition — are not records behind: MirrorMaker never sees them, so a transactional
/// topic would otherwise look one behind forever (and a failover would wait for nothing).
/// Small lags are counted by reading them (bounded: [`MARKER_CHECK`] offsets a partition).
fn without_markers(
    source: &dyn KafkaApi,
    rows: Vec<PartitionLag>,
) -> Result<Vec<PartitionLag>, crate::kafka::KafkaFailure> {
    rows.into_iter()
        .map(|mut r| {
            if let (1..=MARKER_CHECK, Some(next)) = (r.behind, r.next) {
                let tp = Tp::new(r.topic.clone(), r.partition);
                let records = source.tail(&tp, usize::try_from(r.behind).unwrap_or(0))?;
                let data = records.iter().filter(|x| x.offset >= next).count();
                r.behind = i64::try_from(data).unwrap_or(r.behind);
            }
            Ok(r)
        })
        .collect()
}

/// The groups MirrorMaker translates (`DefaultGroupFilter`): matched by `groups` and not by
/// `groups-exclude`, each list one Java regex matched against the whole name.
fn group_filter(config: &MirrorConfig) -> Result<impl Fn(&str) -> bool, String> {
    let list = |raw: &str| -> Result<Matcher, String> {
        let entries: Vec<&str> = raw
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        matcher(&entries).map_err(|e| e.to_string())
    };
    let (include, exclude) = (list(&config.groups)?, list(&config.groups_exclude)?);
    Ok(move |g: &str| include.matches(g) && !exclude.matches(g))
}

/// The consumer-group side of a pair: commits on both clusters, checkpoints and offset syncs.
struct GroupFacts {
    rows: Vec<GroupRow>,
    checkpoint_age: Option<u64>,
    syncs: Syncs,
    active_on_target: Vec<String>,
    active_on_source: Vec<String>,
}

fn group_facts(
    naming: &Naming,
    positions: &BTreeMap<Tp, i64>,
    replicated: &dyn Fn(&str) -> bool,
    source: &dyn KafkaApi,
    target: &dyn KafkaApi,
    age: &dyn Fn(i64) -> u64,
) -> Result<GroupFacts, String> {
    let kafka_err = |e: crate::kafka::KafkaFailure| e.to_string();
    let mut source_committed = BTreeMap::new();
    let mut target_committed = BTreeMap::new();
    let source_groups = source.groups().map_err(kafka_err)?;
    for group in source_groups.keys().filter(|g| replicated(g)) {
        let c = source.committed(group).map_err(kafka_err)?;
        if c.keys().any(|tp| positions.contains_key(tp)) {
            target_committed.insert(group.clone(), target.committed(group).map_err(kafka_err)?);
            source_committed.insert(group.clone(), c);
        }
    }
    let cp_records = target
        .tail(&Tp::new(naming.checkpoints_topic(), 0), CHECKPOINT_RECORDS)
        .map_err(kafka_err)?;
    let checkpoints = dr::latest_checkpoints(
        cp_records
            .iter()
            .filter_map(|r| checkpoint(&r.key, &r.value)),
    );
    let sync_records = target
        .tail(&Tp::new(naming.offset_syncs_topic(), 0), SYNC_RECORDS)
        .map_err(kafka_err)?;
    let target_groups = if source_committed.is_empty() {
        Default::default()
    } else {
        target.groups().map_err(kafka_err)?
    };
    Ok(GroupFacts {
        rows: dr::group_rows(
            naming,
            &source_committed,
            &checkpoints,
            &target_committed,
            positions,
        ),
        checkpoint_age: cp_records.iter().map(|r| r.timestamp_ms).max().map(age),
        syncs: failover::syncs(
            sync_records
                .iter()
                .filter_map(|r| offset_sync(&r.key, &r.value)),
        ),
        active_on_target: active(&target_groups, &source_committed),
        active_on_source: active(&source_groups, &source_committed),
    })
}

/// The newest heartbeat on the target that proves this pair replicates: `<src>.heartbeats`
/// (reverse: written into the source, replicated by the source connector — the whole path) or
/// `heartbeats` keyed by this source (forward).
fn heartbeat_age(
    mode: Heartbeats,
    naming: &Naming,
    alias: &str,
    target: &dyn KafkaApi,
    age: &dyn Fn(i64) -> u64,
) -> Result<HeartbeatAge, String> {
    let topic = match mode {
        Heartbeats::Off => return Ok(None),
        Heartbeats::Reverse => naming.remote_heartbeats(),
        Heartbeats::Forward => "heartbeats".to_string(),
    };
    let records = target
        .tail(&Tp::new(topic.clone(), 0), HEARTBEAT_RECORDS)
        .map_err(|e| e.to_string())?;
    let newest = records
        .iter()
        .filter_map(|r| heartbeat(&r.key, &r.value))
        .filter(|h| mode == Heartbeats::Reverse || h.source == alias)
        .map(|h| h.timestamp_ms)
        .max();
    Ok(Some((topic, newest.map(age))))
}

fn ago(a: Option<u64>) -> String {
    a.map_or_else(|| "none".to_string(), |s| format!("{s}s ago"))
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn view_table(v: &View) -> String {
    let mut t = String::new();
    let hb = match &v.heartbeat {
        None => "off".to_string(),
        Some((topic, a)) => format!("{topic} {}", ago(*a)),
    };
    let _ = writeln!(
        t,
        "{} -> {}: heartbeat {hb}; last checkpoint {}",
        v.source,
        v.target,
        ago(v.checkpoint_age)
    );
    let _ = writeln!(
        t,
        "{:<32} {:>9} {:>12} {:>12} {:>8}",
        "topic", "partition", "source end", "next", "behind"
    );
    for p in &v.partitions {
        let _ = writeln!(
            t,
            "{:<32} {:>9} {:>12} {:>12} {:>8}",
            p.topic,
            p.partition,
            p.end,
            opt(p.next),
            p.behind
        );
    }
    for tl in &v.topics {
        let _ = writeln!(
            t,
            "{:<32} {:>9} {:>12} {:>12} {:>8}",
            tl.topic, "total", "", "", tl.behind
        );
    }
    if v.partitions.is_empty() {
        let _ = writeln!(t, "(MirrorMaker has replicated nothing yet)");
    }
    t.push_str(&groups_table(&v.groups));
    t
}

fn groups_table(groups: &[GroupRow]) -> String {
    let mut t = String::new();
    if groups.is_empty() {
        let _ = writeln!(t, "{NO_GROUPS}");
        return t;
    }
    let _ = writeln!(t, "{} status", group_header());
    for g in groups {
        let _ = writeln!(t, "{} {}", group_cells(g), g.status.as_str());
    }
    t
}

pub(super) const NO_GROUPS: &str = "no consumer group has committed offsets on a replicated topic";

/// The columns every group table starts with (`lag`, `failover-check`, `failover`).
pub(super) fn group_header() -> String {
    format!(
        "{:<24} {:<28} {:>10} {:<36} {:>10} {:>10}",
        "group", "source partition", "committed", "target partition", "resume at", "tgt commit"
    )
}

/// A group on one partition: committed on the source, where it resumes on the target and what
/// it has committed there.
pub(super) fn group_cells(g: &GroupRow) -> String {
    format!(
        "{:<24} {:<28} {:>10} {:<36} {:>10} {:>10}",
        g.group,
        format!("{}[{}]", g.topic, g.partition),
        g.committed,
        format!("{}[{}]", g.target_topic, g.partition),
        opt(g.resume),
        opt(g.target_committed),
    )
}

fn view_json(v: &View) -> Value {
    let (hb_topic, hb_age) = match &v.heartbeat {
        None => (Value::Null, Value::Null),
        Some((t, a)) => (json!(t), json!(a)),
    };
    json!({
        "source": v.source,
        "target": v.target,
        "heartbeat_topic": hb_topic,
        "heartbeat_age_s": hb_age,
        "checkpoint_age_s": v.checkpoint_age,
        "partitions": v.partitions,
        "topics": v.topics,
        "groups": v.groups,
    })
}

fn check_table(ready: bool, judged: &[(&View, Vec<Reason>)]) -> String {
    let mut t = format!("ready: {ready}\n");
    for (v, reasons) in judged {
        let _ = writeln!(t, "{} -> {}:", v.source, v.target);
        if reasons.is_empty() {
            let _ = writeln!(t, "  every connector and task RUNNING, heartbeat fresh, lag within bounds, groups translated");
        }
        for r in reasons {
            let mark = if r.blocks() { "not ready" } else { "note" };
            let _ = writeln!(t, "  {mark}: {r} ({})", r.name());
        }
        t.push_str(&groups_table(&v.groups));
    }
    t
}

fn check_json(ready: bool, judged: &[(&View, Vec<Reason>)]) -> Value {
    let pairs: Vec<Value> = judged
        .iter()
        .map(|(v, reasons)| {
            let rs: Vec<Value> = reasons
                .iter()
                .map(|r| json!({"reason": r.name(), "blocks": r.blocks(), "message": r.to_string()}))
                .collect();
            json!({"source": v.source, "target": v.target, "reasons": rs, "groups": v.groups, "topics": v.topics})
        })
        .collect();
    json!({"ready": ready, "sources": pairs})
}
