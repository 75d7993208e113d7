//! [`RealKafka`]: the [`KafkaApi`] over Kafka's protocol. Connects lazily (the bootstrap
//! servers first, then each partition leader or group coordinator as needed, one connection
//! per broker), all within one time budget.

use super::wire::{Budget, Conn, Credentials};
use super::{Groups, KafkaApi, KafkaFailure, KafkaFailureKind, OffsetAt, RawRecord, Tp};
use crate::mirror::Cluster;
use bytes::{Buf, Bytes};
use kafka_protocol::error::ParseResponseErrorCode;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::{
    BrokerId, FetchRequest, FindCoordinatorRequest, GroupId, ListGroupsRequest, ListOffsetsRequest,
    MetadataRequest, OffsetFetchRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::RecordBatchDecoder;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long and how much a client may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Everything this client does, from its creation (an action must not hang).
    pub total: Duration,
    /// One connect, read or write.
    pub io_timeout: Duration,
    /// The largest response frame accepted.
    pub max_frame: usize,
    /// What one Fetch may return.
    pub fetch_bytes: i32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            total: Duration::from_secs(30),
            io_timeout: Duration::from_secs(5),
            max_frame: 8 << 20,
            fetch_bytes: 1 << 20,
        }
    }
}

struct State {
    /// Broker id → `host:port` (from metadata and FindCoordinator).
    brokers: BTreeMap<i32, String>,
    /// Partition → leader broker id (from metadata).
    leaders: BTreeMap<Tp, i32>,
    /// Open connections; `None` key = the bootstrap connection.
    conns: BTreeMap<Option<i32>, Conn>,
}

pub struct RealKafka {
    bootstrap: Vec<String>,
    creds: Credentials,
    budget: Budget,
    fetch_bytes: i32,
    state: RefCell<State>,
}

fn sb(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// A broker error code with Kafka's name for it.
fn code(c: i16) -> String {
    c.err()
        .map_or_else(|| "none".to_string(), |e| format!("{e:?} ({c})"))
}

impl RealKafka {
    pub fn new(cluster: &Cluster, limits: Limits) -> Result<RealKafka, KafkaFailure> {
        let tls = match (&cluster.tls, &cluster.ca_pem) {
            (false, _) => None,
            (true, Some(pem)) => Some(Arc::new(crate::connect::tls::only_ca(pem).map_err(
                |e| {
                    KafkaFailure::new(
                        KafkaFailureKind::Certificate,
                        format!("{}: {e}", cluster.alias),
                    )
                },
            )?)),
            (true, None) => {
                return Err(KafkaFailure::new(
                    KafkaFailureKind::Certificate,
                    format!("{}: TLS without a CA to verify it with", cluster.alias),
                ))
            }
        };
        Ok(RealKafka {
            bootstrap: cluster
                .bootstrap
                .split(',')
                .map(|a| a.trim().to_string())
                .collect(),
            creds: Credentials {
                cluster: cluster.alias.clone(),
                tls,
                username: cluster.username.clone(),
                password: cluster.password.clone(),
            },
            budget: Budget {
                deadline: Instant::now() + limits.total,
                io_timeout: limits.io_timeout,
                max_frame: limits.max_frame,
            },
            fetch_bytes: limits.fetch_bytes,
            state: RefCell::new(State {
                brokers: BTreeMap::new(),
                leaders: BTreeMap::new(),
                conns: BTreeMap::new(),
            }),
        })
    }

    /// Runs `f` on the connection to `broker` (`None` = any bootstrap server), opening it
    /// first if needed. A connection that failed mid-call is dropped, not reused.
    fn with<T>(
        &self,
        broker: Option<i32>,
        f: impl FnOnce(&mut Conn) -> Result<T, KafkaFailure>,
    ) -> Result<T, KafkaFailure> {
        let mut st = self.state.borrow_mut();
        if !st.conns.contains_key(&broker) {
            let conn = match broker {
                None => self.open_bootstrap()?,
                Some(id) => {
                    let addr = st.brokers.get(&id).cloned().ok_or_else(|| {
                        KafkaFailure::new(
                            KafkaFailureKind::Invalid,
                            format!(
                                "{}: broker {id} is not in the cluster metadata",
                                self.creds.cluster
                            ),
                        )
                    })?;
                    Conn::open(&addr, &self.creds, self.budget)?
                }
            };
            st.conns.insert(broker, conn);
        }
        let conn = st
            .conns
            .get_mut(&broker)
            .ok_or_else(|| KafkaFailure::new(KafkaFailureKind::Invalid, "connection vanished"))?;
        let out = f(conn);
        if out.is_err() {
            st.conns.remove(&broker);
        }
        out
    }

    /// The first bootstrap server that accepts us; the last failure otherwise.
    fn open_bootstrap(&self) -> Result<Conn, KafkaFailure> {
        let mut last = KafkaFailure::new(
            KafkaFailureKind::Unavailable,
            format!("{}: no bootstrap server", self.creds.cluster),
        );
        for addr in &self.bootstrap {
            match Conn::open(addr, &self.creds, self.budget) {
                Ok(c) => return Ok(c),
                // Wrong credentials or CA are the same on every broker: no point trying on.
                Err(e) if e.kind != KafkaFailureKind::Unavailable => return Err(e),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Metadata of every topic; refreshes brokers and leaders.
    fn metadata(&self) -> Result<BTreeMap<String, i32>, KafkaFailure> {
        let resp = self.with(None, |c| {
            c.call(&MetadataRequest::default().with_topics(None))
        })?;
        let mut st = self.state.borrow_mut();
        for b in &resp.brokers {
            st.brokers
                .insert(b.node_id.0, format!("{}:{}", b.host, b.port));
        }
        let mut out = BTreeMap::new();
        for t in resp.topics {
            let Some(name) = t.name.map(|n| n.0.to_string()) else {
                continue;
            };
            if t.error_code != 0 {
                continue;
            }
            for p in &t.partitions {
                st.leaders
                    .insert(Tp::new(name.clone(), p.partition_index), p.leader_id.0);
            }
            out.insert(name, i32::try_from(t.partitions.len()).unwrap_or(i32::MAX));
        }
        Ok(out)
    }

    /// The leader of each partition (metadata is read once if one is unknown).
    fn leaders_of(&self, tps: &[Tp]) -> Result<BTreeMap<i32, Vec<Tp>>, KafkaFailure> {
        if tps
            .iter()
            .any(|tp| !self.state.borrow().leaders.contains_key(tp))
        {
            self.metadata()?;
        }
        let st = self.state.borrow();
        let mut by: BTreeMap<i32, Vec<Tp>> = BTreeMap::new();
        for tp in tps {
            if let Some(l) = st.leaders.get(tp).filter(|l| **l >= 0) {
                by.entry(*l).or_default().push(tp.clone());
            }
        }
        Ok(by)
    }

    fn fail(&self, kind: KafkaFailureKind, what: String) -> KafkaFailure {
        KafkaFailure::new(kind, format!("{}: {what}", self.creds.cluster))
    }

    /// One Fetch of `tp` from `from` (read-uncommitted, as MirrorMaker reads).
    fn fetch(&self, leader: i32, tp: &Tp, from: i64) -> Result<Vec<RawRecord>, KafkaFailure> {
        let req = FetchRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_max_wait_ms(0)
            .with_min_bytes(1)
            .with_max_bytes(self.fetch_bytes)
            .with_isolation_level(0)
            .with_session_id(0)
            .with_session_epoch(-1)
            .with_topics(vec![FetchTopic::default()
                .with_topic(TopicName(sb(&tp.topic)))
                .with_partitions(vec![FetchPartition::default()
                    .with_partition(tp.partition)
                    .with_current_leader_epoch(-1)
                    .with_fetch_offset(from)
                    .with_last_fetched_epoch(-1)
                    .with_log_start_offset(-1)
                    .with_partition_max_bytes(self.fetch_bytes)])]);
        let resp = self.with(Some(leader), |c| c.call(&req))?;
        let mut out = Vec::new();
        for p in resp.responses.into_iter().flat_map(|t| t.partitions) {
            if p.error_code != 0 {
                return Err(self.fail(
                    KafkaFailureKind::Unavailable,
                    format!("fetch {tp}: {}", code(p.error_code)),
                ));
            }
            out.extend(
                decode_batches(p.records.unwrap_or_default(), from).map_err(|e| {
                    self.fail(KafkaFailureKind::Invalid, format!("records of {tp}: {e}"))
                })?,
            );
        }
        Ok(out)
    }
}

/// Every complete record batch of a Fetch answer: records at or after `from`, control
/// records skipped. A truncated last batch is normal (the answer is cut at max bytes).
pub(crate) fn decode_batches(mut recs: Bytes, from: i64) -> Result<Vec<RawRecord>, String> {
    // base offset (8) + batch length (4) + the rest of the batch header up to the records.
    const HEADER: usize = 61;
    let mut out = Vec::new();
    while recs.remaining() > HEADER {
        let len = i32::from_be_bytes([recs[8], recs[9], recs[10], recs[11]]);
        let Some(n) = usize::try_from(len).ok().and_then(|l| l.checked_add(12)) else {
            return Err(format!("negative batch length {len}"));
        };
        if n > recs.remaining() {
            break;
        }
        let magic = recs[16];
        if magic != 2 {
            return Err(format!(
                "record batch format v{magic} is not supported (Kafka 0.11+ writes v2)"
            ));
        }
        let attributes = i16::from_be_bytes([recs[21], recs[22]]);
        if attributes & 0x7 != 0 {
            return Err(format!(
                "compressed records (codec {}) are not supported: MirrorMaker's internal topics are written uncompressed unless a producer override compresses them",
                attributes & 0x7
            ));
        }
        let mut one = recs.split_to(n);
        let set =
            RecordBatchDecoder::decode(&mut one).map_err(|e| format!("bad record batch ({e})"))?;
        for r in set.records {
            if r.control || r.offset < from {
                continue;
            }
            out.push(RawRecord {
                offset: r.offset,
                timestamp_ms: r.timestamp,
                key: r.key.map(|b| b.to_vec()).unwrap_or_default(),
                value: r.value.map(|b| b.to_vec()).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

impl KafkaApi for RealKafka {
    fn topics(&self) -> Result<BTreeMap<String, i32>, KafkaFailure> {
        self.metadata()
    }

    fn offsets(&self, tps: &[Tp], at: OffsetAt) -> Result<BTreeMap<Tp, i64>, KafkaFailure> {
        let timestamp = match at {
            OffsetAt::Earliest => -2,
            OffsetAt::Latest => -1,
        };
        let mut out = BTreeMap::new();
        for (leader, tps) in self.leaders_of(tps)? {
            let mut topics: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
            for tp in &tps {
                topics.entry(&tp.topic).or_default().push(tp.partition);
            }
            let req = ListOffsetsRequest::default()
                .with_replica_id(BrokerId(-1))
                .with_isolation_level(0)
                .with_topics(
                    topics
                        .iter()
                        .map(|(t, ps)| {
                            ListOffsetsTopic::default()
                                .with_name(TopicName(sb(t)))
                                .with_partitions(
                                    ps.iter()
                                        .map(|p| {
                                            ListOffsetsPartition::default()
                                                .with_partition_index(*p)
                                                .with_current_leader_epoch(-1)
                                                .with_timestamp(timestamp)
                                        })
                                        .collect(),
                                )
                        })
                        .collect(),
                );
            let resp = self.with(Some(leader), |c| c.call(&req))?;
            for t in resp.topics {
                for p in t.partitions {
                    let tp = Tp::new(t.name.0.to_string(), p.partition_index);
                    if p.error_code != 0 {
                        return Err(self.fail(
                            KafkaFailureKind::Unavailable,
                            format!("offsets of {tp}: {}", code(p.error_code)),
                        ));
                    }
                    out.insert(tp, p.offset);
                }
            }
        }
        Ok(out)
    }

    fn groups(&self) -> Result<Groups, KafkaFailure> {
        if self.state.borrow().brokers.is_empty() {
            self.metadata()?;
        }
        let ids: Vec<i32> = self.state.borrow().brokers.keys().copied().collect();
        let mut out = Groups::new();
        // Each broker lists only the groups it coordinates.
        for id in ids {
            let resp = self.with(Some(id), |c| c.call(&ListGroupsRequest::default()))?;
            if resp.error_code != 0 {
                return Err(self.fail(
                    KafkaFailureKind::Unavailable,
                    format!("list groups on broker {id}: {}", code(resp.error_code)),
                ));
            }
            out.extend(
                resp.groups
                    .into_iter()
                    .map(|g| (g.group_id.0.to_string(), g.group_state.to_string())),
            );
        }
        Ok(out)
    }

    fn committed(&self, group: &str) -> Result<BTreeMap<Tp, i64>, KafkaFailure> {
        let find = FindCoordinatorRequest::default()
            .with_key_type(0)
            .with_coordinator_keys(vec![sb(group)]);
        let resp = self.with(None, |c| c.call(&find))?;
        let co = resp.coordinators.first().ok_or_else(|| {
            self.fail(
                KafkaFailureKind::Invalid,
                format!("no coordinator for group '{group}'"),
            )
        })?;
        if co.error_code != 0 {
            return Err(self.fail(
                KafkaFailureKind::Unavailable,
                format!("coordinator of group '{group}': {}", code(co.error_code)),
            ));
        }
        let id = co.node_id.0;
        self.state
            .borrow_mut()
            .brokers
            .insert(id, format!("{}:{}", co.host, co.port));
        let req =
            OffsetFetchRequest::default().with_groups(vec![OffsetFetchRequestGroup::default()
                .with_group_id(GroupId(sb(group)))
                .with_topics(None)]);
        let resp = self.with(Some(id), |c| c.call(&req))?;
        let mut out = BTreeMap::new();
        for g in resp.groups {
            if g.error_code != 0 {
                return Err(self.fail(
                    KafkaFailureKind::Unavailable,
                    format!("offsets of group '{group}': {}", code(g.error_code)),
                ));
            }
            for t in g.topics {
                for p in t
                    .partitions
                    .into_iter()
                    .filter(|p| p.error_code == 0 && p.committed_offset >= 0)
                {
                    out.insert(
                        Tp::new(t.name.0.to_string(), p.partition_index),
                        p.committed_offset,
                    );
                }
            }
        }
        Ok(out)
    }

    fn tail(&self, tp: &Tp, max_records: usize) -> Result<Vec<RawRecord>, KafkaFailure> {
        let one = std::slice::from_ref(tp);
        let (Some(start), Some(end)) = (
            self.offsets(one, OffsetAt::Earliest)?.get(tp).copied(),
            self.offsets(one, OffsetAt::Latest)?.get(tp).copied(),
        ) else {
            return Ok(Vec::new());
        };
        let back = i64::try_from(max_records).unwrap_or(i64::MAX);
        let mut from = start.max(end.saturating_sub(back));
        let Some(leader) = self.state.borrow().leaders.get(tp).copied() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        // Compacted topics have gaps: keep fetching until the end, within the budget.
        while from < end && out.len() < max_records {
            let got = self.fetch(leader, tp, from)?;
            let Some(last) = got.last().map(|r| r.offset) else {
                break;
            };
            out.extend(got);
            from = last + 1;
        }
        let skip = out.len().saturating_sub(max_records);
        Ok(out.split_off(skip))
    }
}
