//! The loop guard's reads (issue 15, docs/dr-design.md §4): before one of our source
//! connectors is created under `replication-policy=identity`, read MirrorMaker's heartbeats
//! on the clusters involved and the topics of our sources, and ask
//! [`crate::dr::loops::loop_guard`]. A source found looping, or whose check cannot be made
//! (Kafka unreachable), is held like an incomplete one: its connectors are never planned —
//! nothing is created for it, and nothing of it that runs is stopped or deleted — and the
//! status says why. Other sources proceed.
//!
//! Never in the steady state: with the default policy, or with every source connector of
//! ours present in Kafka Connect, it reads nothing (running connectors are not re-checked).

use super::gate::Ready;
use super::Snapshot;
use crate::dr::loops::{self, LoopBlock, Question};
use crate::dr::records::{heartbeat, Heartbeat};
use crate::juju::{Status, StatusKind};
use crate::kafka::{KafkaApi, KafkaFactory, KafkaFailure, KafkaFailureKind, Tp};
use crate::mirror::javaregex::{check_list, matcher, Matcher, MatcherError};
use crate::mirror::{ConnectorId, ConnectorKind, MirrorConfig, MirrorError, ReplicationPolicy};
use crate::plan::Actual;
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// Records read from each heartbeats topic (compacted, one key per pair: the newest of
/// every pair that still runs is among the last few).
const HEARTBEAT_RECORDS: usize = 20;

/// Why a source could not be checked.
#[derive(Debug, Error)]
pub(super) enum CheckError {
    #[error("the loop check cannot read Kafka: {0}")]
    Kafka(#[from] KafkaFailure),
    #[error("the loop check cannot match topics: {0}")]
    Filter(#[from] MatcherError),
    #[error("the loop check cannot match topics: {0}")]
    Config(#[from] MirrorError),
}

/// Holds (in `ready`) every source of ours about to be created that the guard refuses or
/// cannot check; returns the status saying why (the worst, with a count of the others).
/// `kafka` is `None` in passes that cannot read Kafka: such a pass creates no source under
/// the identity policy, a later hook does.
pub(super) fn hold_loops(
    s: &Snapshot,
    ready: &mut Ready,
    actual: &Actual,
    kafka: Option<KafkaFactory>,
) -> Option<Status> {
    let config = s.config.as_ref().ok()?;
    if config.replication_policy != ReplicationPolicy::Identity {
        return None;
    }
    let new = about_to_be_created(ready, actual);
    if new.is_empty() {
        return None;
    }
    let mut reads = kafka.map(|k| Reads::new(k, config, s.now));
    let mut held: Vec<Status> = Vec::new();
    for alias in new {
        let status = match reads.as_mut().map(|r| r.check(ready, &alias)) {
            None => Status::new(
                StatusKind::Waiting,
                format!("{alias}: loop check (replication-policy=identity) at the next hook"),
            ),
            Some(Ok(None)) => continue,
            Some(Ok(Some(block))) => loop_status(&block),
            Some(Err(e @ CheckError::Kafka(_))) => {
                Status::new(StatusKind::Waiting, format!("{alias} held: {e}"))
            }
            Some(Err(e)) => Status::new(StatusKind::Blocked, format!("{alias} held: {e}")),
        };
        hold(ready, &alias);
        held.push(status);
    }
    worst(held)
}

/// Why `resume` leaves our source connectors as they are; each says what to do next.
#[derive(Debug, Error)]
pub(super) enum ResumeRefusal {
    /// Only a cycle has a direction to stop (fan-in is refused earlier, by the option check).
    #[error("{block}{}", match block {
        LoopBlock::Cycle { .. } => format!(
            " (stop the other direction first; its heartbeats age out after {age_s} s)"
        ),
        LoopBlock::FanIn { .. } => String::new(),
    })]
    Loop { block: LoopBlock, age_s: u64 },
    #[error("{alias}: {error}{}", match error {
        CheckError::Kafka(_) => " (run resume again once Kafka answers)",
        _ => "",
    })]
    Unchecked { alias: String, error: CheckError },
}

/// The guard for a `resume` of our source connectors of `aliases` (they exist, stopped or
/// paused, so the pass would not check them): under the identity policy, why they must stay
/// as they are — a loop (e.g. resuming A→B after a failback while B→A still runs), or Kafka
/// unreadable. `Ok` with the default policy, without reading anything.
pub(super) fn check_resume(
    s: &Snapshot,
    aliases: &[String],
    kafka: KafkaFactory,
) -> Result<(), ResumeRefusal> {
    let Ok(config) = s.config.as_ref() else {
        return Ok(());
    };
    if config.replication_policy != ReplicationPolicy::Identity || aliases.is_empty() {
        return Ok(());
    }
    // Inputs incomplete: the pass holds everything anyway.
    let Ok(ready) = super::gate::gate(s) else {
        return Ok(());
    };
    let mut reads = Reads::new(kafka, config, s.now);
    for alias in aliases {
        match reads.check(&ready, alias) {
            Ok(None) => {}
            Ok(Some(block)) => {
                tracing::debug!("{}", block.detail());
                let age_s = loops::max_age_s(config.intervals.emit_heartbeats);
                return Err(ResumeRefusal::Loop { block, age_s });
            }
            Err(error) => {
                let alias = alias.clone();
                return Err(ResumeRefusal::Unchecked { alias, error });
            }
        }
    }
    Ok(())
}

/// Blocked; the whole story is the detail, which goes to the debug log with the status.
fn loop_status(block: &LoopBlock) -> Status {
    Status::new(StatusKind::Blocked, block.message()).with_detail(block.detail())
}

/// The worst of several statuses (the first of that kind, `(+N more)`).
fn worst(all: Vec<Status>) -> Option<Status> {
    let kind = all.iter().map(|s| s.kind).max()?;
    let mut of_kind = all.into_iter().filter(|s| s.kind == kind);
    let mut first = of_kind.next()?;
    let more = of_kind.count();
    if more > 0 {
        first.message = format!("{} (+{more} more)", first.message);
    }
    Some(first)
}

/// The pass status with the guard's own: the worse wins (the guard's on a tie: a held
/// source is the news).
pub(super) fn merged(pass: Status, guard: Option<Status>) -> Status {
    match guard {
        Some(g) if g.kind >= pass.kind => g,
        _ => pass,
    }
}

/// Our sources whose source connector Connect does not list (ours, under our current names).
fn about_to_be_created(ready: &Ready, actual: &Actual) -> Vec<String> {
    ready
        .desired
        .iter()
        .filter(|d| d.kind == ConnectorKind::Source)
        .filter(|d| !actual.connectors.contains_key(&d.name))
        .map(|d| d.source_alias.clone())
        .collect()
}

/// `alias`'s connectors leave the desired set and join the held ones (never planned).
fn hold(ready: &mut Ready, alias: &str) {
    let names: Vec<String> = ready
        .desired
        .iter()
        .filter(|d| d.source_alias == alias)
        .filter_map(|d| ConnectorId::parse(&d.name))
        .take(1)
        .flat_map(|id| ConnectorKind::ALL.map(|kind| ConnectorId { kind, ..id.clone() }.name()))
        .collect();
    ready.desired.retain(|d| d.source_alias != alias);
    ready.held.extend(names);
    let pair = format!("{alias} -> ");
    ready.pairs.retain(|p| !p.starts_with(&pair));
}

/// The Kafka reads of one pass, each cluster's client and topic list made once.
struct Reads<'a> {
    kafka: KafkaFactory<'a>,
    config: &'a MirrorConfig,
    now_ms: i64,
    clients: BTreeMap<String, Box<dyn KafkaApi>>,
    topics: BTreeMap<String, BTreeMap<String, i32>>,
}

impl<'a> Reads<'a> {
    fn new(kafka: KafkaFactory<'a>, config: &'a MirrorConfig, now: u64) -> Reads<'a> {
        Reads {
            kafka,
            config,
            now_ms: i64::try_from(now).unwrap_or(i64::MAX).saturating_mul(1000),
            clients: BTreeMap::new(),
            topics: BTreeMap::new(),
        }
    }

    fn client(&mut self, ready: &Ready, alias: &str) -> Result<&dyn KafkaApi, KafkaFailure> {
        if !self.clients.contains_key(alias) {
            let cluster = ready
                .sources
                .iter()
                .chain(std::iter::once(&ready.target))
                .find(|c| c.alias == alias)
                .ok_or_else(|| {
                    KafkaFailure::new(KafkaFailureKind::Invalid, format!("{alias}: not related"))
                })?;
            let client = (self.kafka)(cluster)?;
            self.clients.insert(alias.to_string(), client);
        }
        Ok(self.clients[alias].as_ref())
    }

    fn topics(
        &mut self,
        ready: &Ready,
        alias: &str,
    ) -> Result<BTreeMap<String, i32>, KafkaFailure> {
        if let Some(t) = self.topics.get(alias) {
            return Ok(t.clone());
        }
        let t = self.client(ready, alias)?.topics()?;
        self.topics.insert(alias.to_string(), t.clone());
        Ok(t)
    }

    /// The records of `topic` (partition 0: heartbeats topics have one) that decode.
    fn heartbeats(
        &mut self,
        ready: &Ready,
        alias: &str,
        topic: &str,
    ) -> Result<Vec<Heartbeat>, KafkaFailure> {
        let records = self
            .client(ready, alias)?
            .tail(&Tp::new(topic, 0), HEARTBEAT_RECORDS)?;
        Ok(records
            .iter()
            .filter_map(|r| heartbeat(&r.key, &r.value))
            .collect())
    }

    /// The guard's verdict on our source `alias`.
    fn check(&mut self, ready: &Ready, alias: &str) -> Result<Option<LoopBlock>, CheckError> {
        let sep = self.config.replication_separator.clone();
        let max_age_s = loops::max_age_s(self.config.intervals.emit_heartbeats);
        let on_source = self.topics(ready, alias)?;
        let mut seen = BTreeMap::new();
        for t in loops::heartbeats_topics(on_source.keys(), &sep) {
            let records = self.heartbeats(ready, alias, &t)?;
            seen.insert(t, records);
        }
        let ups = loops::upstreams(alias, &sep, &seen, self.now_ms, max_age_s);
        let target = ready.target.alias.clone();
        let replicated = self.replicated(ready)?;
        Ok(loops::loop_guard(&Question {
            policy: self.config.replication_policy,
            source: alias,
            target: &target,
            upstreams_of_source: &ups,
            replicated: &replicated,
        }))
    }

    /// What each of our sources would write into the target (identity names).
    fn replicated(
        &mut self,
        ready: &Ready,
    ) -> Result<BTreeMap<String, BTreeSet<String>>, CheckError> {
        let include = list(&self.config.topics, "topics", false)?;
        let exclude = list(&self.config.topics_exclude, "topics-exclude", true)?;
        let mut out = BTreeMap::new();
        for alias in ready.sources.iter().map(|c| c.alias.clone()) {
            let topics = self.topics(ready, &alias)?;
            let set = loops::replicated_topics(topics.keys(), &include, &exclude);
            out.insert(alias, set);
        }
        Ok(out)
    }
}

fn list(raw: &str, option: &str, allow_empty: bool) -> Result<Matcher, CheckError> {
    Ok(matcher(&check_list(option, raw, allow_empty)?)?)
}
