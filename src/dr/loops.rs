//! The replication-loop guard (issue 15), the pure part. With `replication-policy=identity`
//! remote topics keep their names, so MirrorMaker cannot tell a replica from an original:
//! `IdentityReplicationPolicy.topicSource` answers our own source alias for every topic but
//! heartbeats, and `MirrorSourceConnector.isCycle` then never fires (apache/kafka
//! `connect/mirror`, checked at 1eb76443). A→B plus B→A copies every record back and forth
//! forever; two of our sources with one topic name write into one target topic. The guard
//! refuses both before a source connector is created. With the default policy remote topics
//! are prefixed with the source alias and `isCycle` skips any topic whose alias chain holds the
//! target, so no guard is needed.
//!
//! The evidence is MirrorMaker's own heartbeats (`MirrorClient.upstreamClusters`): a
//! `Y.X.heartbeats` topic on a cluster says X (and Y before it) replicate into it; a record
//! keyed (X, this cluster) in its `heartbeats` says a heartbeat connector runs for X → this.
//! Topics outlive removed integrators, so evidence counts only while a heartbeat is fresh
//! ([`max_age_s`]): a failback after the old direction is gone must not be blocked.
//!
//! No I/O: `charm::loop_check` reads Kafka and calls these.

use super::records::Heartbeat;
use crate::mirror::javaregex::Matcher;
use crate::mirror::ReplicationPolicy;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The topic MirrorMaker's heartbeat connector writes (`ReplicationPolicy.heartbeatsTopic`).
pub const HEARTBEATS: &str = "heartbeats";

/// How old a heartbeat may be and still prove a replication runs: ten heartbeat intervals
/// (MirrorMaker emits one per interval), at least a minute.
pub fn max_age_s(emit_heartbeats_interval_s: u64) -> u64 {
    emit_heartbeats_interval_s.saturating_mul(10).max(60)
}

/// The aliases a remote heartbeats topic name carries (`Y.X.heartbeats` → [Y, X]), as
/// `DefaultReplicationPolicy.topicSource`/`upstreamTopic` peel them; `None` for any other topic
/// (`heartbeats` itself included).
pub fn chain(topic: &str, separator: &str) -> Option<Vec<String>> {
    let rest = topic.strip_suffix(HEARTBEATS)?.strip_suffix(separator)?;
    let aliases: Vec<String> = rest.split(separator).map(str::to_string).collect();
    (!separator.is_empty() && aliases.iter().all(|a| !a.is_empty())).then_some(aliases)
}

/// The heartbeats topics among a cluster's topics: what the guard reads records from.
pub fn heartbeats_topics<'a>(
    topics: impl IntoIterator<Item = &'a String>,
    separator: &str,
) -> Vec<String> {
    topics
        .into_iter()
        .filter(|t| t.as_str() == HEARTBEATS || chain(t, separator).is_some())
        .cloned()
        .collect()
}

/// Why an alias is an upstream of a cluster, for the debug log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The topic on the cluster that shows it.
    pub topic: String,
    /// Age of the newest heartbeat there that counts, in seconds.
    pub age_s: u64,
}

/// The clusters that replicate into `cluster` now: aliases from its remote heartbeats topics
/// whose newest record is fresh, and the sources of fresh `heartbeats` records keyed
/// (X, `cluster`). `heartbeats` maps each heartbeats topic to the records read from it.
pub fn upstreams(
    cluster: &str,
    separator: &str,
    heartbeats: &BTreeMap<String, Vec<Heartbeat>>,
    now_ms: i64,
    max_age_s: u64,
) -> BTreeMap<String, Upstream> {
    let age_s = |ts: i64| u64::try_from(now_ms.saturating_sub(ts) / 1000).unwrap_or(0);
    let fresh = |h: &&Heartbeat| age_s(h.timestamp_ms) <= max_age_s;
    let mut out: BTreeMap<String, Upstream> = BTreeMap::new();
    let mut add = |alias: &str, topic: &str, ts: i64| {
        let u = Upstream {
            topic: topic.to_string(),
            age_s: age_s(ts),
        };
        match out.get(alias) {
            Some(old) if old.age_s <= u.age_s => {}
            _ => {
                out.insert(alias.to_string(), u);
            }
        }
    };
    for (topic, records) in heartbeats {
        if topic == HEARTBEATS {
            for h in records.iter().filter(fresh) {
                if h.target == cluster && h.source != cluster {
                    add(&h.source, topic, h.timestamp_ms);
                }
            }
        } else if let Some(aliases) = chain(topic, separator) {
            if let Some(newest) = records.iter().filter(fresh).map(|h| h.timestamp_ms).max() {
                for a in aliases.iter().filter(|a| a.as_str() != cluster) {
                    add(a, topic, newest);
                }
            }
        }
    }
    out
}

/// The topics a source connector would replicate under the identity policy, i.e. the names
/// it would write into the target: matched by `topics` and not by `topics-exclude`
/// (`DefaultTopicFilter`), not internal (`ReplicationPolicy.isInternalTopic`), and not
/// heartbeats, which keep a source prefix even under the identity policy.
pub fn replicated_topics<'a>(
    source_topics: impl IntoIterator<Item = &'a String>,
    include: &Matcher,
    exclude: &Matcher,
) -> BTreeSet<String> {
    source_topics
        .into_iter()
        .filter(|t| include.matches(t) && !exclude.matches(t))
        .filter(|t| !is_internal(t) && !t.ends_with(HEARTBEATS))
        .cloned()
        .collect()
}

/// `ReplicationPolicy.isInternalTopic`: Kafka's own, MirrorMaker's and Connect's topics.
fn is_internal(topic: &str) -> bool {
    topic.starts_with("__")
        || topic.starts_with('.')
        || topic.ends_with(".internal")
        || topic.ends_with("-internal")
}

/// What the guard is asked about one of our sources whose connectors are about to be created.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    pub policy: ReplicationPolicy,
    pub source: &'a str,
    pub target: &'a str,
    /// [`upstreams`] of our source.
    pub upstreams_of_source: &'a BTreeMap<String, Upstream>,
    /// [`replicated_topics`] of every source of ours (this one included), by alias.
    pub replicated: &'a BTreeMap<String, BTreeSet<String>>,
}

/// Why a source is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopBlock {
    /// `target` already replicates into `source` (shown by `evidence`).
    Cycle {
        source: String,
        target: String,
        evidence: String,
    },
    /// `source` and `other`, both ours, would write `topic` (and `more` others) into `target`.
    FanIn {
        source: String,
        other: String,
        target: String,
        topic: String,
        more: usize,
    },
}

impl LoopBlock {
    /// The status line (fits `juju status` with aliases of Kafka app-name length).
    pub fn message(&self) -> String {
        match self {
            LoopBlock::Cycle { source, target, .. } => format!(
                "loop: {target} already replicates into {source}; with \
                 replication-policy=identity {source} -> {target} would loop forever"
            ),
            LoopBlock::FanIn {
                source,
                other,
                target,
                topic,
                more,
            } => {
                let more = if *more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                };
                format!(
                    "fan-in: {source} and {other} would both write '{topic}'{more} into \
                     {target} (replication-policy=identity)"
                )
            }
        }
    }

    /// The whole story, for the debug log.
    pub fn detail(&self) -> String {
        match self {
            LoopBlock::Cycle {
                source,
                target,
                evidence,
            } => format!(
                "{}. Evidence: {evidence}. With replication-policy=identity MirrorMaker keeps \
                 topic names and cannot detect the cycle, so {source} -> {target} would copy \
                 every record back and forth forever. Nothing is created for {source}; running \
                 connectors are left alone. Fix: stop the {target} -> {source} replication (its \
                 heartbeats then age out) or use replication-policy=default on both",
                self.message()
            ),
            LoopBlock::FanIn { source, other, .. } => format!(
                "{}. With replication-policy=identity both sources write the same topic names \
                 into one target, mixing their records. Nothing is created for {source}. Fix: \
                 make 'topics'/'topics-exclude' select disjoint topics of {source} and {other}, \
                 or use replication-policy=default",
                self.message()
            ),
        }
    }
}

impl fmt::Display for LoopBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The guard: identity policy only. (a) Cycle: our target is a fresh upstream of our source.
/// The target's own `heartbeats` is not read: a heartbeat connector alone copies no record,
/// and the failback order stops the old source connector but may keep its heartbeat
/// connector, which must not block the new direction. (b) Fan-in: another of our sources
/// would replicate a topic name this one would too.
pub fn loop_guard(q: &Question<'_>) -> Option<LoopBlock> {
    if q.policy != ReplicationPolicy::Identity {
        return None;
    }
    if let Some(u) = q.upstreams_of_source.get(q.target) {
        return Some(LoopBlock::Cycle {
            source: q.source.to_string(),
            target: q.target.to_string(),
            evidence: format!(
                "topic {} on {} (heartbeat {} s old)",
                u.topic, q.source, u.age_s
            ),
        });
    }
    let mine = q.replicated.get(q.source)?;
    q.replicated
        .iter()
        .filter(|(alias, _)| alias.as_str() != q.source)
        .find_map(|(other, theirs)| {
            let shared: Vec<&String> = mine.intersection(theirs).collect();
            let topic = (*shared.first()?).clone();
            Some(LoopBlock::FanIn {
                source: q.source.to_string(),
                other: other.clone(),
                target: q.target.to_string(),
                topic,
                more: shared.len() - 1,
            })
        })
}

#[cfg(test)]
mod tests;
