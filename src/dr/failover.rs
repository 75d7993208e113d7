//! The `failover` action's rules, pure: when the target holds everything the source has
//! (every record replicated, MirrorMaker's final offset sync and checkpoints written), and what
//! each consumer group resumes from on the target and how many records it reads again.
//!
//! MirrorMaker facts (apache/kafka `connect/mirror`, Connect 3.9 as on the bed):
//! * the source task queues an offset sync for every record it replicates and sends the
//!   delayed ones at its next offset commit (`OffsetSyncWriter.promoteDelayedOffsetSyncs`), so
//!   once replication is idle the newest sync of a partition is for its last record;
//! * a checkpoint translates a group's commit `c` with the newest sync `s` at or below it:
//!   `s.downstream + (c == s.upstream ? 0 : 1)` (`OffsetSyncStore.translateDownstream`), and
//!   is emitted again whenever that value grows, so after the final sync the checkpoint of a
//!   group committed at the end is exact.

use super::records::OffsetSync;
use super::{GroupRow, GroupStatus, PartitionLag};
use crate::kafka::Tp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Offset syncs per source partition: `(upstream, downstream)`, by upstream offset.
pub type Syncs = BTreeMap<Tp, Vec<(i64, i64)>>;

/// The offset syncs of the syncs topic's records (a later record for the same upstream
/// offset replaces an earlier one).
pub fn syncs(records: impl IntoIterator<Item = OffsetSync>) -> Syncs {
    let mut by: BTreeMap<Tp, BTreeMap<i64, i64>> = BTreeMap::new();
    for s in records {
        by.entry(Tp::new(s.topic, s.partition))
            .or_default()
            .insert(s.upstream, s.downstream);
    }
    by.into_iter()
        .map(|(tp, m)| (tp, m.into_iter().collect()))
        .collect()
}

/// MirrorMaker's translation of commit `c`: the newest sync at or below `c`; `None` when
/// every known sync is above it.
pub fn translate(syncs: &[(i64, i64)], c: i64) -> Option<i64> {
    let (u, d) = syncs.iter().rev().find(|(u, _)| *u <= c)?;
    Some(d + i64::from(c != *u))
}

/// Where commit `c` lands on the target: the offset of the first replica of a source record
/// at or after `c`. Exact from a sync at `c` or `c − 1`; otherwise estimated from the nearest
/// sync, one target record per source record (true on a topic only MirrorMaker writes and
/// without gaps on the source).
pub fn position(syncs: &[(i64, i64)], c: i64) -> Option<(i64, bool)> {
    if let Some((_, d)) = syncs.iter().find(|(u, _)| *u == c) {
        return Some((*d, true));
    }
    if let Some((_, d)) = syncs.iter().find(|(u, _)| *u == c - 1) {
        return Some((d + 1, true));
    }
    let (u, d) = syncs.iter().min_by_key(|(u, _)| u.abs_diff(c))?;
    Some(((d + (c - u)).max(0), false))
}

/// What one group reads again on one partition after moving to the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResumeRow {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub target_topic: String,
    /// Committed on the source.
    pub committed: i64,
    /// The offset the group resumes from on the target (its latest checkpoint).
    pub resume: Option<i64>,
    /// Where its commit lands on the target.
    pub target_position: Option<i64>,
    /// Whether `target_position` is exact (a sync at the commit) or estimated.
    pub exact: bool,
    /// Records read again: `target_position − resume`.
    pub re_read: Option<i64>,
    /// What the group has committed on the target now.
    pub target_committed: Option<i64>,
}

pub fn resume_rows(groups: &[GroupRow], syncs: &Syncs) -> Vec<ResumeRow> {
    groups
        .iter()
        .map(|g| {
            let tp = Tp::new(g.topic.clone(), g.partition);
            let pos = syncs.get(&tp).and_then(|s| position(s, g.committed));
            ResumeRow {
                group: g.group.clone(),
                topic: g.topic.clone(),
                partition: g.partition,
                target_topic: g.target_topic.clone(),
                committed: g.committed,
                resume: g.resume,
                target_position: pos.map(|p| p.0),
                exact: pos.is_some_and(|p| p.1),
                re_read: pos
                    .zip(g.resume)
                    .map(|((p, _), r)| p.saturating_sub(r).max(0)),
                target_committed: g.target_committed,
            }
        })
        .collect()
}

/// What the target does not hold yet. Stable snake_case names for JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Records not replicated yet.
    Behind { tp: Tp, behind: i64 },
    /// The source partition grew since the last look: producers still write.
    Written { tp: Tp, from: i64, to: i64 },
    /// No offset sync for the last replicated record yet (it comes at the next offset commit).
    NoFinalSync {
        tp: Tp,
        newest: Option<i64>,
        last: i64,
    },
    /// The group's commit has no checkpoint, or one for another commit.
    NoCheckpoint {
        group: String,
        tp: Tp,
        committed: i64,
    },
    /// The checkpoint predates the final sync: MirrorMaker will move it to `want`.
    CheckpointBehind {
        group: String,
        tp: Tp,
        resume: i64,
        want: i64,
    },
    /// sync-group-offsets: the group's offset on the target is not written yet.
    TargetNotCommitted {
        group: String,
        tp: Tp,
        target: Option<i64>,
        resume: i64,
    },
}

impl Pending {
    pub fn name(&self) -> &'static str {
        match self {
            Pending::Behind { .. } => "records_behind",
            Pending::Written { .. } => "source_written",
            Pending::NoFinalSync { .. } => "no_final_offset_sync",
            Pending::NoCheckpoint { .. } => "no_checkpoint",
            Pending::CheckpointBehind { .. } => "checkpoint_behind",
            Pending::TargetNotCommitted { .. } => "target_not_committed",
        }
    }
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pending::Behind { tp, behind } => write!(f, "{tp}: {behind} record{} not replicated yet", if *behind == 1 { "" } else { "s" }),
            Pending::Written { tp, from, to } => write!(f, "{tp}: still being written (end {from} -> {to}); stop producers on the source first"),
            Pending::NoFinalSync { tp, newest, last } => match newest {
                Some(n) => write!(f, "{tp}: newest offset sync is for {n}, not yet for the last record {last}"),
                None => write!(f, "{tp}: no offset sync yet (last record {last})"),
            },
            Pending::NoCheckpoint { group, tp, committed } => write!(f, "group {group} on {tp}: no checkpoint for its commit {committed} yet"),
            Pending::CheckpointBehind { group, tp, resume, want } => write!(f, "group {group} on {tp}: checkpoint says {resume}, the final offset sync gives {want}"),
            Pending::TargetNotCommitted { group, tp, target, resume } => match target {
                Some(t) => write!(f, "group {group} on {tp}: committed {t} on the target, checkpoint says {resume}"),
                None => write!(f, "group {group} on {tp}: nothing committed on the target yet (checkpoint says {resume})"),
            },
        }
    }
}

/// Which of MirrorMaker's group features the pair runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSync {
    /// emit-checkpoints: groups are translated at all.
    pub checkpoints: bool,
    /// sync-group-offsets: MirrorMaker also commits the translation on the target.
    pub commits: bool,
}

/// Everything the target does not hold yet for one pair. `previous`: the source ends at the
/// last look (`None` on the first: producers are not judged then); `active_on_target`:
/// groups with members on the target (MirrorMaker does not commit for them).
pub fn pending(
    partitions: &[PartitionLag],
    previous: Option<&BTreeMap<Tp, i64>>,
    syncs: &Syncs,
    groups: &[GroupRow],
    sync: GroupSync,
    active_on_target: &[String],
) -> Vec<Pending> {
    let mut out = replication_pending(partitions, previous, syncs);
    if sync.checkpoints {
        for g in groups {
            out.extend(group_pending(g, syncs, sync, active_on_target));
        }
    }
    out
}

fn replication_pending(
    partitions: &[PartitionLag],
    previous: Option<&BTreeMap<Tp, i64>>,
    syncs: &Syncs,
) -> Vec<Pending> {
    let mut out = Vec::new();
    for p in partitions {
        let tp = Tp::new(p.topic.clone(), p.partition);
        if let Some(&from) = previous.and_then(|m| m.get(&tp)) {
            if from != p.end {
                out.push(Pending::Written {
                    tp: tp.clone(),
                    from,
                    to: p.end,
                });
            }
        }
        if p.behind > 0 {
            out.push(Pending::Behind {
                tp,
                behind: p.behind,
            });
            continue;
        }
        // The last record MirrorMaker replicated; none yet (an empty partition): nothing to sync.
        let Some(last) = p.next.map(|n| n - 1).filter(|l| *l >= 0) else {
            continue;
        };
        let newest = syncs.get(&tp).and_then(|s| s.last()).map(|s| s.0);
        if newest.is_none_or(|n| n < last) {
            out.push(Pending::NoFinalSync { tp, newest, last });
        }
    }
    out
}

fn group_pending(
    g: &GroupRow,
    syncs: &Syncs,
    sync: GroupSync,
    active_on_target: &[String],
) -> Option<Pending> {
    let tp = Tp::new(g.topic.clone(), g.partition);
    let resume = match (g.status, g.resume) {
        (GroupStatus::Translated, Some(r)) => r,
        _ => {
            return Some(Pending::NoCheckpoint {
                group: g.group.clone(),
                tp,
                committed: g.committed,
            })
        }
    };
    let final_sync = syncs.get(&tp).and_then(|s| s.last());
    if let Some(want) = final_sync
        .filter(|(u, _)| *u <= g.committed)
        .and_then(|_| translate(syncs.get(&tp)?, g.committed))
    {
        if resume < want {
            return Some(Pending::CheckpointBehind {
                group: g.group.clone(),
                tp,
                resume,
                want,
            });
        }
    }
    let behind_on_target = g.target_committed.is_none_or(|t| t < resume);
    if sync.commits && behind_on_target && !active_on_target.contains(&g.group) {
        return Some(Pending::TargetNotCommitted {
            group: g.group.clone(),
            tp,
            target: g.target_committed,
            resume,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> Tp {
        Tp::new("orders", p)
    }

    fn part(p: i32, end: i64, next: Option<i64>) -> PartitionLag {
        PartitionLag {
            topic: "orders".into(),
            partition: p,
            end,
            next,
            behind: next.map_or(0, |n| (end - n).max(0)),
        }
    }

    fn group(committed: i64, resume: Option<i64>, status: GroupStatus) -> GroupRow {
        GroupRow {
            group: "g1".into(),
            topic: "orders".into(),
            partition: 0,
            target_topic: "kafka-a.orders".into(),
            committed,
            resume,
            checkpoint_of: resume.map(|_| committed),
            target_committed: resume,
            status,
        }
    }

    /// MirrorMaker's rule: the newest sync at or below the commit, +1 unless the commit is
    /// exactly the sync's upstream offset; nothing below every sync.
    #[test]
    fn translation_follows_offset_sync_store() {
        let s = [(0, 0), (12, 12), (20, 25)];
        for (c, want) in [
            (0, Some(0)),
            (4, Some(1)),
            (12, Some(12)),
            (13, Some(13)),
            (19, Some(13)),
            (20, Some(25)),
            (21, Some(26)),
        ] {
            assert_eq!(translate(&s, c), want, "commit {c}");
        }
        assert_eq!(translate(&[(5, 5)], 4), None);
        assert_eq!(translate(&[], 4), None);
    }

    /// A commit lands exactly from a sync at it or just below it; otherwise it is estimated
    /// one-to-one from the nearest sync (and said to be an estimate).
    #[test]
    fn position_exact_or_estimated() {
        let s = [(0, 0), (12, 15)];
        assert_eq!(position(&s, 12), Some((15, true)));
        assert_eq!(position(&s, 13), Some((16, true)));
        assert_eq!(position(&s, 4), Some((4, false)));
        assert_eq!(position(&s, 10), Some((13, false)));
        assert_eq!(position(&[], 10), None);
    }

    /// Re-read = where the commit lands − where the checkpoint resumes.
    #[test]
    fn resume_rows_count_records_read_again() {
        let syncs = Syncs::from([(tp(0), vec![(0, 0), (12, 12)])]);
        let rows = resume_rows(&[group(4, Some(1), GroupStatus::Translated)], &syncs);
        assert_eq!(rows[0].target_position, Some(4));
        assert_eq!(rows[0].re_read, Some(3));
        assert!(!rows[0].exact);
        let rows = resume_rows(&[group(13, Some(13), GroupStatus::Translated)], &syncs);
        assert_eq!((rows[0].re_read, rows[0].exact), (Some(0), true));
    }

    const ALL: GroupSync = GroupSync {
        checkpoints: true,
        commits: true,
    };

    /// Settled: every record replicated, the final sync seen, the group's checkpoint exact
    /// and committed on the target. Each missing piece is named on its own.
    #[test]
    fn pending_names_each_missing_piece() {
        let syncs = Syncs::from([(tp(0), vec![(0, 0), (12, 12)])]);
        let parts = [part(0, 13, Some(13)), part(1, 0, None)];
        let ends = BTreeMap::from([(tp(0), 13), (tp(1), 0)]);
        let done = group(13, Some(13), GroupStatus::Translated);
        assert_eq!(
            pending(
                &parts,
                Some(&ends),
                &syncs,
                std::slice::from_ref(&done),
                ALL,
                &[]
            ),
            vec![]
        );

        let names = |v: Vec<Pending>| v.iter().map(Pending::name).collect::<Vec<_>>();
        let moved = BTreeMap::from([(tp(0), 11)]);
        assert_eq!(
            names(pending(&parts, Some(&moved), &syncs, &[], ALL, &[])),
            ["source_written"]
        );
        let behind = [part(0, 15, Some(13))];
        assert_eq!(
            names(pending(&behind, None, &syncs, &[], ALL, &[])),
            ["records_behind"]
        );
        let old = Syncs::from([(tp(0), vec![(0, 0), (10, 10)])]);
        assert_eq!(
            names(pending(&parts, None, &old, &[], ALL, &[])),
            ["no_final_offset_sync"]
        );
        let early = group(13, Some(11), GroupStatus::Translated);
        assert_eq!(
            names(pending(&parts, None, &syncs, &[early], ALL, &[])),
            ["checkpoint_behind"]
        );
        let stale = group(13, Some(9), GroupStatus::Stale);
        assert_eq!(
            names(pending(&parts, None, &syncs, &[stale], ALL, &[])),
            ["no_checkpoint"]
        );
        let mut uncommitted = done.clone();
        uncommitted.target_committed = None;
        assert_eq!(
            names(pending(
                &parts,
                None,
                &syncs,
                &[uncommitted.clone()],
                ALL,
                &[]
            )),
            ["target_not_committed"]
        );
        // Members on the target: MirrorMaker does not commit for them; not waited for.
        assert_eq!(
            pending(
                &parts,
                None,
                &syncs,
                &[uncommitted.clone()],
                ALL,
                &["g1".into()]
            ),
            vec![]
        );
        let no_commits = GroupSync {
            checkpoints: true,
            commits: false,
        };
        assert_eq!(
            pending(&parts, None, &syncs, &[uncommitted], no_commits, &[]),
            vec![]
        );
        // emit-checkpoints=false: groups are not translated at all, so not waited for.
        let off = GroupSync {
            checkpoints: false,
            commits: false,
        };
        let none = group(13, None, GroupStatus::Untranslated);
        assert_eq!(pending(&parts, None, &syncs, &[none], off, &[]), vec![]);
    }

    /// A group committed below the newest sync keeps MirrorMaker's (older) translation: the
    /// final sync does not apply to it.
    #[test]
    fn groups_behind_the_final_sync_are_not_held() {
        let syncs = Syncs::from([(tp(0), vec![(0, 0), (12, 12)])]);
        let parts = [part(0, 13, Some(13))];
        let g = group(4, Some(1), GroupStatus::Translated);
        assert_eq!(pending(&parts, None, &syncs, &[g], ALL, &[]), vec![]);
    }
}
