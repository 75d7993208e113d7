//! An in-memory Kafka for in-process tests: topics, offsets, groups and records as plain
//! maps. Shared through `Rc<RefCell<…>>` so a test can change the cluster between passes.

use super::{Groups, KafkaApi, KafkaFailure, KafkaFailureKind, OffsetAt, RawRecord, Tp};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// Per partition: (log start, records). The end offset is the last record's offset + 1,
    /// or `end` when set (records not kept).
    pub partitions: BTreeMap<Tp, Partition>,
    pub groups: BTreeMap<String, Group>,
    /// Every call fails as if the cluster were down.
    pub down: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Partition {
    pub start: i64,
    pub end: i64,
    pub records: Vec<RawRecord>,
}

#[derive(Debug, Clone, Default)]
pub struct Group {
    pub state: String,
    pub committed: BTreeMap<Tp, i64>,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryKafka(pub Rc<RefCell<Cluster>>);

impl MemoryKafka {
    /// A topic with `partitions` empty partitions.
    pub fn topic(&self, topic: &str, partitions: i32) {
        let mut c = self.0.borrow_mut();
        for p in 0..partitions {
            c.partitions.entry(Tp::new(topic, p)).or_default();
        }
    }

    /// `n` records appended to a partition (values are the offsets as text).
    pub fn produce(&self, tp: &Tp, n: i64) {
        for _ in 0..n {
            let offset = self.0.borrow().partitions.get(tp).map_or(0, |p| p.end);
            self.append(tp, 0, Vec::new(), offset.to_string().into_bytes());
        }
    }

    /// A transaction marker at the end of `tp`: an offset that holds no record.
    pub fn marker(&self, tp: &Tp) {
        let mut c = self.0.borrow_mut();
        c.partitions.entry(tp.clone()).or_default().end += 1;
    }

    /// A record with this key and value appended at the end of `tp`.
    pub fn append(&self, tp: &Tp, timestamp_ms: i64, key: Vec<u8>, value: Vec<u8>) {
        let mut c = self.0.borrow_mut();
        let p = c.partitions.entry(tp.clone()).or_default();
        p.records.push(RawRecord {
            offset: p.end,
            timestamp_ms,
            key,
            value,
        });
        p.end += 1;
    }

    pub fn commit(&self, group: &str, state: &str, offsets: &[(Tp, i64)]) {
        let mut c = self.0.borrow_mut();
        let g = c.groups.entry(group.to_string()).or_default();
        g.state = state.to_string();
        g.committed.extend(offsets.iter().cloned());
    }

    fn check(&self) -> Result<(), KafkaFailure> {
        if self.0.borrow().down {
            return Err(KafkaFailure::new(
                KafkaFailureKind::Unavailable,
                "memory (127.0.0.1:9093): connect: connection refused",
            ));
        }
        Ok(())
    }
}

impl KafkaApi for MemoryKafka {
    fn topics(&self) -> Result<BTreeMap<String, i32>, KafkaFailure> {
        self.check()?;
        let mut out: BTreeMap<String, i32> = BTreeMap::new();
        for tp in self.0.borrow().partitions.keys() {
            *out.entry(tp.topic.clone()).or_default() += 1;
        }
        Ok(out)
    }
    fn offsets(&self, tps: &[Tp], at: OffsetAt) -> Result<BTreeMap<Tp, i64>, KafkaFailure> {
        self.check()?;
        let c = self.0.borrow();
        Ok(tps
            .iter()
            .filter_map(|tp| {
                let p = c.partitions.get(tp)?;
                Some((
                    tp.clone(),
                    if at == OffsetAt::Earliest {
                        p.start
                    } else {
                        p.end
                    },
                ))
            })
            .collect())
    }
    fn groups(&self) -> Result<Groups, KafkaFailure> {
        self.check()?;
        Ok(self
            .0
            .borrow()
            .groups
            .iter()
            .map(|(k, g)| (k.clone(), g.state.clone()))
            .collect())
    }
    fn committed(&self, group: &str) -> Result<BTreeMap<Tp, i64>, KafkaFailure> {
        self.check()?;
        Ok(self
            .0
            .borrow()
            .groups
            .get(group)
            .map(|g| g.committed.clone())
            .unwrap_or_default())
    }
    fn tail(&self, tp: &Tp, max_records: usize) -> Result<Vec<RawRecord>, KafkaFailure> {
        self.check()?;
        let c = self.0.borrow();
        let recs = c
            .partitions
            .get(tp)
            .map(|p| p.records.clone())
            .unwrap_or_default();
        let skip = recs.len().saturating_sub(max_records);
        Ok(recs[skip..].to_vec())
    }
}
