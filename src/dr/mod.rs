//! Disaster recovery, the pure part (issue 15): how far the target is behind, what each
//! consumer group would resume from on the target, and whether a failover could happen now.
//! No I/O: the `lag` and `failover-check` actions gather the facts (Kafka Connect, both Kafka
//! clusters) and call these functions; tests feed them plain values.
//!
//! MirrorMaker facts these rules rest on (apache/kafka `connect/mirror`):
//! * the source connector's Connect offset of a partition is the last source offset it
//!   replicated; the task resumes at +1 (`MirrorSourceTask.loadOffset`);
//! * a checkpoint maps a group's committed source offset (`upstream`) to the offset on the
//!   target it resumes from (`downstream`); it is emitted only when that moves, so its age
//!   says nothing — it is current when `upstream` equals what the group has committed now.

pub mod failover;
pub mod loops;
pub mod records;
#[cfg(test)]
mod tests;

use crate::kafka::Tp;
use crate::mirror::ReplicationPolicy;
use crate::plan::RunState;
use records::Checkpoint;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// How remote names are formed on the target (kafka-connect.md §4.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    pub source: String,
    pub policy: ReplicationPolicy,
    pub separator: String,
}

impl Naming {
    /// The name `topic` has on the target.
    pub fn remote(&self, topic: &str) -> String {
        match self.policy {
            ReplicationPolicy::Default => format!("{}{}{topic}", self.source, self.separator),
            ReplicationPolicy::Identity => topic.to_string(),
        }
    }
    /// `<src>.checkpoints.internal` on the target.
    pub fn checkpoints_topic(&self) -> String {
        let s = &self.separator;
        format!("{}{s}checkpoints{s}internal", self.source)
    }
    /// `mm2-offset-syncs.<src>.internal` (offset-syncs.topic.location=target, as rendered).
    pub fn offset_syncs_topic(&self) -> String {
        let s = &self.separator;
        format!("mm2-offset-syncs{s}{}{s}internal", self.source)
    }
    /// The source's `heartbeats` as replicated onto the target (also under the identity
    /// policy, which keeps the prefix for heartbeats).
    pub fn remote_heartbeats(&self) -> String {
        format!("{}{}heartbeats", self.source, self.separator)
    }
}

/// The positions MirrorMaker's source connector holds in Connect (KIP-875), for partitions of
/// `cluster`: partition `{cluster, topic, partition}` → offset `{offset}`. Entries of other
/// shapes are skipped.
pub fn mirror_positions(
    offsets: &[(serde_json::Value, serde_json::Value)],
    cluster: &str,
) -> BTreeMap<Tp, i64> {
    offsets
        .iter()
        .filter(|(p, _)| p["cluster"].as_str() == Some(cluster))
        .filter_map(|(p, o)| {
            let topic = p["topic"].as_str()?;
            let partition = i32::try_from(p["partition"].as_i64()?).ok()?;
            Some((Tp::new(topic, partition), o["offset"].as_i64()?))
        })
        .collect()
}

/// One replicated partition: its end on the source and how far MirrorMaker is behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// The source's end offset (high watermark).
    pub end: i64,
    /// The next source offset MirrorMaker replicates (`None`: it has replicated nothing yet).
    pub next: Option<i64>,
    /// Records on the source MirrorMaker has not replicated yet.
    pub behind: i64,
}

/// Lag per partition MirrorMaker replicates: `end − (stored + 1)`, never negative (an end
/// read just before MirrorMaker's last commit may be older). Partitions Connect holds no
/// offset for, or whose end is unknown, are left out. `heartbeats` is left out (the
/// heartbeat age reports it).
pub fn lag(positions: &BTreeMap<Tp, i64>, ends: &BTreeMap<Tp, i64>) -> Vec<PartitionLag> {
    positions
        .iter()
        .filter(|(tp, _)| !is_heartbeats(&tp.topic))
        .filter_map(|(tp, stored)| {
            let end = *ends.get(tp)?;
            let next = stored.saturating_add(1);
            Some(PartitionLag {
                topic: tp.topic.clone(),
                partition: tp.partition,
                end,
                next: Some(next),
                behind: end.saturating_sub(next).max(0),
            })
        })
        .collect()
}

/// `heartbeats` and its replicas (`x.heartbeats`): MirrorMaker replicates them whatever the
/// topic filter says.
pub fn is_heartbeats(topic: &str) -> bool {
    topic == "heartbeats" || topic.ends_with(".heartbeats")
}

/// Records behind per topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicLag {
    pub topic: String,
    pub partitions: usize,
    pub behind: i64,
}

pub fn totals(rows: &[PartitionLag]) -> Vec<TopicLag> {
    let mut by: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
    for r in rows {
        let e = by.entry(&r.topic).or_default();
        e.0 += 1;
        e.1 = e.1.saturating_add(r.behind);
    }
    by.into_iter()
        .map(|(t, (partitions, behind))| TopicLag {
            topic: t.to_string(),
            partitions,
            behind,
        })
        .collect()
}

/// The latest checkpoint of each (group, remote partition), from the checkpoints topic's
/// records in offset order (a later record replaces an earlier one, as compaction would).
pub fn latest_checkpoints(
    cps: impl IntoIterator<Item = Checkpoint>,
) -> BTreeMap<(String, Tp), Checkpoint> {
    cps.into_iter()
        .map(|c| ((c.group.clone(), Tp::new(c.topic.clone(), c.partition)), c))
        .collect()
}

/// Whether a group's position on the source has been translated for the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    /// The latest checkpoint translates exactly what the group has committed.
    Translated,
    /// A checkpoint exists for an older commit (MirrorMaker has not caught up with it yet).
    Stale,
    /// No checkpoint (not replicated yet, filtered out by `groups`, or no offset sync).
    Untranslated,
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Translated => "translated",
            GroupStatus::Stale => "stale",
            GroupStatus::Untranslated => "untranslated",
        }
    }
}

/// One group on one replicated partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupRow {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    /// The topic's name on the target.
    pub target_topic: String,
    /// Committed on the source.
    pub committed: i64,
    /// Where the group resumes on the target (the checkpoint's downstream offset).
    pub resume: Option<i64>,
    /// The source offset that checkpoint translates.
    pub checkpoint_of: Option<i64>,
    /// What the group has committed on the target (MirrorMaker writes it with
    /// sync-group-offsets while the group is empty there).
    pub target_committed: Option<i64>,
    pub status: GroupStatus,
}

/// What the groups committed on the source, their checkpoints and their commits on the
/// target, joined per replicated partition (`replicated`: the source topics MirrorMaker
/// holds positions for).
pub fn group_rows(
    naming: &Naming,
    source_committed: &BTreeMap<String, BTreeMap<Tp, i64>>,
    checkpoints: &BTreeMap<(String, Tp), Checkpoint>,
    target_committed: &BTreeMap<String, BTreeMap<Tp, i64>>,
    replicated: &BTreeMap<Tp, i64>,
) -> Vec<GroupRow> {
    let mut rows = Vec::new();
    for (group, offsets) in source_committed {
        for (tp, committed) in offsets
            .iter()
            .filter(|(tp, _)| replicated.contains_key(*tp))
        {
            let remote = Tp::new(naming.remote(&tp.topic), tp.partition);
            let cp = checkpoints.get(&(group.clone(), remote.clone()));
            let status = match cp {
                Some(c) if c.upstream == *committed => GroupStatus::Translated,
                Some(_) => GroupStatus::Stale,
                None => GroupStatus::Untranslated,
            };
            rows.push(GroupRow {
                group: group.clone(),
                topic: tp.topic.clone(),
                partition: tp.partition,
                target_committed: target_committed
                    .get(group)
                    .and_then(|m| m.get(&remote))
                    .copied(),
                target_topic: remote.topic,
                committed: *committed,
                resume: cp.map(|c| c.downstream),
                checkpoint_of: cp.map(|c| c.upstream),
                status,
            });
        }
    }
    rows
}

/// Thresholds of `failover-check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Records behind allowed per topic.
    pub max_lag: i64,
    /// Age of the newest heartbeat on the target allowed, in seconds.
    pub max_heartbeat_age: u64,
}

/// One of our connectors as Connect reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorRun {
    pub name: String,
    pub state: Option<RunState>,
    pub tasks: Vec<(u32, RunState)>,
}

/// Why a failover is not ready (or a note that a rule was skipped). Stable snake_case names
/// for JSON; the text names the connector, topic or group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    NotRunning {
        connector: String,
        state: String,
    },
    TaskNotRunning {
        connector: String,
        task: u32,
        state: String,
    },
    NoTasks {
        connector: String,
    },
    NoHeartbeat {
        topic: String,
    },
    HeartbeatOld {
        topic: String,
        age: u64,
        max: u64,
    },
    /// heartbeats=off: the end-to-end freshness rule cannot be checked (not a blocker).
    HeartbeatsOff,
    LagOver {
        topic: String,
        behind: i64,
        max: i64,
    },
    GroupUntranslated {
        group: String,
        tp: Tp,
    },
    GroupStale {
        group: String,
        tp: Tp,
        committed: i64,
        checkpoint_of: i64,
    },
}

impl Reason {
    pub fn name(&self) -> &'static str {
        match self {
            Reason::NotRunning { .. } => "connector_not_running",
            Reason::TaskNotRunning { .. } => "task_not_running",
            Reason::NoTasks { .. } => "no_tasks",
            Reason::NoHeartbeat { .. } => "no_heartbeat",
            Reason::HeartbeatOld { .. } => "heartbeat_old",
            Reason::HeartbeatsOff => "heartbeats_off",
            Reason::LagOver { .. } => "lag_over_threshold",
            Reason::GroupUntranslated { .. } => "group_untranslated",
            Reason::GroupStale { .. } => "group_stale",
        }
    }
    /// False for notes that do not make a failover unready.
    pub fn blocks(&self) -> bool {
        !matches!(self, Reason::HeartbeatsOff)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotRunning { connector, state } => write!(f, "{connector} is {state}, not RUNNING"),
            Reason::TaskNotRunning { connector, task, state } => write!(f, "{connector} task {task} is {state}"),
            Reason::NoTasks { connector } => write!(f, "{connector} runs no task"),
            Reason::NoHeartbeat { topic } => write!(f, "no heartbeat in {topic} on the target"),
            Reason::HeartbeatOld { topic, age, max } => write!(f, "last heartbeat in {topic} is {age}s old (max-heartbeat-age {max}s)"),
            Reason::HeartbeatsOff => write!(f, "heartbeats=off: end-to-end freshness not checked"),
            Reason::LagOver { topic, behind, max } => write!(f, "{topic} is {behind} records behind (max-lag {max})"),
            Reason::GroupUntranslated { group, tp } => write!(f, "group {group} on {tp} has no checkpoint on the target"),
            Reason::GroupStale { group, tp, committed, checkpoint_of } => write!(f, "group {group} on {tp}: committed {committed}, last checkpoint translates {checkpoint_of}"),
        }
    }
}

/// The heartbeat evidence: which topic was read and the age of its newest record (`None`:
/// no record); `None` altogether when heartbeats are off.
pub type HeartbeatAge = Option<(String, Option<u64>)>;

/// Ready when every connector and task of ours runs, heartbeats are fresh, every topic is
/// within `max_lag` and every group's latest commit is translated.
pub fn readiness(
    connectors: &[ConnectorRun],
    topics: &[TopicLag],
    heartbeat: &HeartbeatAge,
    groups: &[GroupRow],
    t: Thresholds,
) -> Vec<Reason> {
    let mut reasons = connector_reasons(connectors);
    match heartbeat {
        None => reasons.push(Reason::HeartbeatsOff),
        Some((topic, None)) => reasons.push(Reason::NoHeartbeat {
            topic: topic.clone(),
        }),
        Some((topic, Some(age))) if *age > t.max_heartbeat_age => {
            reasons.push(Reason::HeartbeatOld {
                topic: topic.clone(),
                age: *age,
                max: t.max_heartbeat_age,
            })
        }
        Some(_) => {}
    }
    for tl in topics.iter().filter(|tl| tl.behind > t.max_lag) {
        reasons.push(Reason::LagOver {
            topic: tl.topic.clone(),
            behind: tl.behind,
            max: t.max_lag,
        });
    }
    for g in groups {
        let tp = Tp::new(g.topic.clone(), g.partition);
        match (g.status, g.checkpoint_of) {
            (GroupStatus::Translated, _) => {}
            (GroupStatus::Stale, Some(of)) => reasons.push(Reason::GroupStale {
                group: g.group.clone(),
                tp,
                committed: g.committed,
                checkpoint_of: of,
            }),
            _ => reasons.push(Reason::GroupUntranslated {
                group: g.group.clone(),
                tp,
            }),
        }
    }
    reasons
}

/// Our connectors or tasks that do not run (a stopped pair cannot deliver the last records).
pub fn connector_reasons(connectors: &[ConnectorRun]) -> Vec<Reason> {
    let mut reasons = Vec::new();
    for c in connectors {
        match &c.state {
            Some(RunState::Running) => {}
            other => reasons.push(Reason::NotRunning {
                connector: c.name.clone(),
                state: other
                    .as_ref()
                    .map_or("UNASSIGNED".to_string(), ToString::to_string),
            }),
        }
        if c.tasks.is_empty() && c.state == Some(RunState::Running) {
            reasons.push(Reason::NoTasks {
                connector: c.name.clone(),
            });
        }
        for (id, st) in c.tasks.iter().filter(|(_, s)| *s != RunState::Running) {
            reasons.push(Reason::TaskNotRunning {
                connector: c.name.clone(),
                task: *id,
                state: st.to_string(),
            });
        }
    }
    reasons
}
