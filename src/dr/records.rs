//! MirrorMaker 2's internal record formats, as Kafka's `protocol.types` schemas write them:
//! INT16/INT32/INT64 big-endian, STRING = INT16 length + UTF-8. Pure.
//!
//! * `heartbeats`: key (source alias, target alias), value (version 0, timestamp ms) —
//!   `Heartbeat.java` (connect/mirror-client).
//! * `<src>.checkpoints.internal`: key (group, remote topic, partition), value (version 0,
//!   upstream offset, downstream offset, metadata) — `Checkpoint.java` (connect/mirror-client).
//! * `mm2-offset-syncs.<src>.internal`: key (source topic, partition), value (upstream,
//!   downstream), no version — `OffsetSync.java` (connect/mirror).
//!
//! Anything short, with trailing bytes or another version is refused (`None`): a record we
//! cannot read for certain is better skipped than misread.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    pub source: String,
    pub target: String,
    pub timestamp_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub group: String,
    /// The topic's name on the target (remote name).
    pub topic: String,
    pub partition: i32,
    /// The group's committed offset on the source this translates.
    pub upstream: i64,
    /// Where the group resumes on the target.
    pub downstream: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetSync {
    /// The topic's name on the source.
    pub topic: String,
    pub partition: i32,
    pub upstream: i64,
    pub downstream: i64,
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn i16(&mut self) -> Option<i16> {
        self.take().map(i16::from_be_bytes)
    }
    fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_be_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_be_bytes)
    }
    fn string(&mut self) -> Option<String> {
        let n = usize::try_from(self.i16()?).ok()?;
        let bytes = self.0.get(..n)?;
        self.0 = &self.0[n..];
        String::from_utf8(bytes.to_vec()).ok()
    }
    /// `v` when nothing is left over.
    fn done<T>(self, v: T) -> Option<T> {
        self.0.is_empty().then_some(v)
    }
}

pub fn heartbeat(key: &[u8], value: &[u8]) -> Option<Heartbeat> {
    let (mut k, mut v) = (Cursor(key), Cursor(value));
    let (source, target) = (k.string()?, k.string()?);
    if v.i16()? != 0 {
        return None;
    }
    let timestamp_ms = v.i64()?;
    k.done(())?;
    v.done(Heartbeat {
        source,
        target,
        timestamp_ms,
    })
}

pub fn checkpoint(key: &[u8], value: &[u8]) -> Option<Checkpoint> {
    let (mut k, mut v) = (Cursor(key), Cursor(value));
    let (group, topic, partition) = (k.string()?, k.string()?, k.i32()?);
    if v.i16()? != 0 {
        return None;
    }
    let (upstream, downstream) = (v.i64()?, v.i64()?);
    let _metadata = v.string()?;
    k.done(())?;
    v.done(Checkpoint {
        group,
        topic,
        partition,
        upstream,
        downstream,
    })
}

pub fn offset_sync(key: &[u8], value: &[u8]) -> Option<OffsetSync> {
    let (mut k, mut v) = (Cursor(key), Cursor(value));
    let (topic, partition) = (k.string()?, k.i32()?);
    let (upstream, downstream) = (v.i64()?, v.i64()?);
    k.done(())?;
    v.done(OffsetSync {
        topic,
        partition,
        upstream,
        downstream,
    })
}

/// Encoders, for tests and the in-memory Kafka (the inverse of the decoders above).
#[cfg(any(test, feature = "testing"))]
pub mod encode {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&i16::try_from(s.len()).unwrap_or(i16::MAX).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    pub fn heartbeat(source: &str, target: &str, ts: i64) -> (Vec<u8>, Vec<u8>) {
        let mut k = Vec::new();
        string(&mut k, source);
        string(&mut k, target);
        let mut v = 0i16.to_be_bytes().to_vec();
        v.extend_from_slice(&ts.to_be_bytes());
        (k, v)
    }
    pub fn checkpoint(group: &str, topic: &str, p: i32, up: i64, down: i64) -> (Vec<u8>, Vec<u8>) {
        let mut k = Vec::new();
        string(&mut k, group);
        string(&mut k, topic);
        k.extend_from_slice(&p.to_be_bytes());
        let mut v = 0i16.to_be_bytes().to_vec();
        v.extend_from_slice(&up.to_be_bytes());
        v.extend_from_slice(&down.to_be_bytes());
        string(&mut v, "");
        (k, v)
    }
    pub fn offset_sync(topic: &str, p: i32, up: i64, down: i64) -> (Vec<u8>, Vec<u8>) {
        let mut k = Vec::new();
        string(&mut k, topic);
        k.extend_from_slice(&p.to_be_bytes());
        let mut v = up.to_be_bytes().to_vec();
        v.extend_from_slice(&down.to_be_bytes());
        (k, v)
    }
}
