//! A small pure-Rust Kafka client for the disaster-recovery actions (issue 15): just what
//! `lag` and `failover-check` read — topics, offsets, consumer groups and a few records of
//! MirrorMaker's internal topics. Never produces, never commits.
//!
//! * [`KafkaApi`] is the seam (like [`crate::charm::ConnectApi`]): the decisions in
//!   [`crate::dr`] stay pure; in-process tests use [`memory::MemoryKafka`].
//! * [`client::RealKafka`] speaks Kafka's binary protocol with the `kafka-protocol` codec over a
//!   blocking socket (rustls with the cluster's own CA), SASL/SCRAM-SHA-512 with the relation's
//!   credentials. Bounded: connect/read timeouts and one time budget per client, frames capped.

pub mod client;
#[cfg(test)]
mod fault_tests;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod scram;
mod wire;

use crate::mirror::Cluster;
use std::collections::BTreeMap;
use thiserror::Error;

/// A topic partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tp {
    pub topic: String,
    pub partition: i32,
}

impl Tp {
    pub fn new(topic: impl Into<String>, partition: i32) -> Tp {
        Tp {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for Tp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.topic, self.partition)
    }
}

/// One record as stored (key and value bytes; an absent key or value is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub offset: i64,
    pub timestamp_ms: i64,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// Which end of a partition [`KafkaApi::offsets`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetAt {
    /// The log start offset.
    Earliest,
    /// The high watermark: the next offset a consumer (MirrorMaker) can read up to.
    Latest,
}

/// A Kafka call failed. The message names the cluster and what to check; it never holds a
/// password (the client redacts its own credentials from anything a broker sends back).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct KafkaFailure {
    pub kind: KafkaFailureKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KafkaFailureKind {
    /// Unreachable or too slow: a later run may succeed.
    Unavailable,
    /// Our SCRAM credentials were refused.
    Refused,
    /// The broker's certificate did not verify with the cluster's CA.
    Certificate,
    /// The broker answered something we cannot use (protocol error, error code, too large).
    Invalid,
}

impl KafkaFailure {
    pub fn new(kind: KafkaFailureKind, message: impl Into<String>) -> KafkaFailure {
        KafkaFailure {
            kind,
            message: message.into(),
        }
    }
}

/// The consumer groups of a cluster: id → state (`Stable`, `Empty`, …).
pub type Groups = BTreeMap<String, String>;

/// The Kafka reads the DR actions need. `&self` so that one client can be shared by the
/// functions of an action; implementations keep their connections inside.
pub trait KafkaApi {
    /// Every topic (internal ones included) with its partition count.
    fn topics(&self) -> Result<BTreeMap<String, i32>, KafkaFailure>;
    /// The start or end offset of each partition asked for (absent ones are left out).
    fn offsets(&self, tps: &[Tp], at: OffsetAt) -> Result<BTreeMap<Tp, i64>, KafkaFailure>;
    /// Every consumer group the cluster knows, with its state.
    fn groups(&self) -> Result<Groups, KafkaFailure>;
    /// The offsets `group` has committed (partitions without a commit are left out).
    fn committed(&self, group: &str) -> Result<BTreeMap<Tp, i64>, KafkaFailure>;
    /// The last (at most) `max_records` records of a partition, oldest first, reading at most
    /// about `max_bytes`; fewer on compacted topics.
    fn tail(&self, tp: &Tp, max_records: usize) -> Result<Vec<RawRecord>, KafkaFailure>;
}

/// Builds a [`KafkaApi`] for one cluster as the connectors see it (its alias, bootstrap,
/// credentials and CA, already resolved by the gate).
pub type KafkaFactory<'a> = &'a dyn Fn(&Cluster) -> Result<Box<dyn KafkaApi>, KafkaFailure>;

/// The real factory: a client that connects lazily on its first call.
pub fn factory(cluster: &Cluster) -> Result<Box<dyn KafkaApi>, KafkaFailure> {
    Ok(Box::new(client::RealKafka::new(
        cluster,
        client::Limits::default(),
    )?))
}
