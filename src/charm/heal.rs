//! Self-healing: when the leader may restart a FAILED connector or task, with a bounded
//! exponential backoff (Strimzi's auto-restart schedule). Pure: the time is an argument
//! (seconds since the Unix epoch), never read here, so tests drive the schedule by changing it.
//!
//! The schedule: the first restart happens as soon as a failure is seen; after the n-th
//! restart (n = 1, 2, …) the next one may happen `min(n² + n, 60)` minutes later — 2, 6, 12,
//! 20, 30, 42, 56, then 60 minutes. After `max` restarts the charm stops trying (the status
//! says how to restart by hand). The counter is reset once the connector has been RUNNING
//! with every task RUNNING for [`STABLE_SECS`].
//!
//! A [`Record`] per connector is kept by the driver in the peer relation's app databag, so it
//! survives hooks and leader changes.

use crate::mirror::AutoRestart;
use crate::plan::{ActualConnector, RunState};
use serde::{Deserialize, Serialize};

/// How long a connector must stay fully RUNNING before its restart counter goes back to 0.
/// An hour: longer than the longest backoff step (60 min), so a connector that fails again
/// just after a 60-minute wait is still counted against `auto-restart-max`.
pub const STABLE_SECS: u64 = 60 * 60;

/// The longest wait between two restarts, in minutes.
pub const MAX_BACKOFF_MINUTES: u64 = 60;

/// Minutes to wait after the `n`-th restart before the next one (0 before the first).
pub fn backoff_minutes(n: u32) -> u64 {
    let n = u64::from(n);
    (n * n + n).min(MAX_BACKOFF_MINUTES)
}

/// What the leader remembers about one connector's restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Auto-restarts since the last reset.
    #[serde(default)]
    pub restarts: u32,
    /// When the last auto-restart was issued (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_restart: Option<u64>,
    /// Since when the connector has been fully RUNNING (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_since: Option<u64>,
}

/// A connector's health as far as restarts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// The connector or a task is FAILED.
    Failed,
    /// RUNNING, every task RUNNING (no task at all counts).
    Running,
    /// Anything else (starting, UNASSIGNED, PAUSED, STOPPED, RESTARTING): neither restart nor
    /// count towards stability.
    Other,
}

impl Health {
    pub fn of(c: &ActualConnector) -> Health {
        if c.any_failed() {
            Health::Failed
        } else if c.state == Some(RunState::Running)
            && c.tasks.iter().all(|t| t.state == RunState::Running)
        {
            Health::Running
        } else {
            Health::Other
        }
    }
}

/// What to do about one connector now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing is FAILED.
    Fine,
    /// FAILED and restart number `n` is due: restart now.
    RestartNow { n: u32 },
    /// FAILED; restart number `n` may happen at `at` (epoch seconds).
    Wait { n: u32, at: u64 },
    /// FAILED and all `restarts` allowed restarts are used up.
    GaveUp { restarts: u32 },
    /// FAILED and the `auto-restart` option is off.
    Disabled,
}

/// One observation: the verdict, and the record to keep (the restart counted when the verdict
/// is [`Verdict::RestartNow`]; the caller must then actually restart).
pub fn step(record: &Record, health: Health, now: u64, policy: AutoRestart) -> (Verdict, Record) {
    let mut next = record.clone();
    match health {
        Health::Running => {
            let since = *next.healthy_since.get_or_insert(now);
            if next.restarts == 0 || now.saturating_sub(since) >= STABLE_SECS {
                // Nothing to count (or stable long enough): nothing to remember.
                next = Record::default();
            }
            (Verdict::Fine, next)
        }
        Health::Other => {
            next.healthy_since = None;
            (Verdict::Fine, next)
        }
        Health::Failed => {
            next.healthy_since = None;
            // `auto-restart-max=0` allows no automatic restart: the same as switching it off.
            if !policy.enabled || policy.max == 0 {
                return (Verdict::Disabled, next);
            }
            if record.restarts >= policy.max {
                return (
                    Verdict::GaveUp {
                        restarts: record.restarts,
                    },
                    next,
                );
            }
            let n = record.restarts + 1;
            let due = record.last_restart.map_or(0, |t| {
                t.saturating_add(backoff_minutes(record.restarts) * 60)
            });
            if now >= due {
                next.restarts = n;
                next.last_restart = Some(now);
                (Verdict::RestartNow { n }, next)
            } else {
                (Verdict::Wait { n, at: due }, next)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const POLICY: AutoRestart = AutoRestart {
        enabled: true,
        max: 10,
    };

    // proves auto-restart-max=0 means no automatic restart, reported as auto-restart being off
    // (not as "gave up after 0 restarts"), exactly like auto-restart=false
    #[test]
    fn max_zero_is_off() {
        let zero = AutoRestart {
            enabled: true,
            max: 0,
        };
        let off = AutoRestart {
            enabled: false,
            max: 10,
        };
        for policy in [zero, off] {
            let (v, next) = step(&Record::default(), Health::Failed, 100, policy);
            assert_eq!(v, Verdict::Disabled);
            assert_eq!(next.restarts, 0);
        }
    }

    // proves the schedule is Strimzi's: n²+n minutes after the n-th restart, capped at 60
    #[test]
    fn schedule_table() {
        let want = [0, 2, 6, 12, 20, 30, 42, 56, 60, 60, 60];
        for (n, minutes) in want.iter().enumerate() {
            assert_eq!(backoff_minutes(n as u32), *minutes, "after restart {n}");
        }
        assert_eq!(backoff_minutes(u32::MAX), 60);
    }

    // proves a connector failing for good is restarted at t=0, 2, 8, 20, 40 … minutes, then given up
    #[test]
    fn failing_forever_walks_the_schedule_then_gives_up() {
        let policy = AutoRestart {
            enabled: true,
            max: 4,
        };
        let mut rec = Record::default();
        let mut restarts_at = Vec::new();
        let mut last = Verdict::Fine;
        for minute in 0..200u64 {
            let (v, r) = step(&rec, Health::Failed, minute * 60, policy);
            if let Verdict::RestartNow { .. } = v {
                restarts_at.push(minute);
            }
            rec = r;
            last = v;
        }
        assert_eq!(restarts_at, vec![0, 2, 8, 20]);
        assert_eq!(last, Verdict::GaveUp { restarts: 4 });
        let (v, _) = step(&rec, Health::Failed, 0, policy);
        assert_eq!(v, Verdict::GaveUp { restarts: 4 });
    }

    // proves Wait names the next restart number and its time
    #[test]
    fn wait_says_when() {
        let rec = Record {
            restarts: 2,
            last_restart: Some(1000),
            healthy_since: None,
        };
        assert_eq!(
            step(&rec, Health::Failed, 1000 + 60, POLICY).0,
            Verdict::Wait {
                n: 3,
                at: 1000 + 6 * 60
            }
        );
        assert_eq!(
            step(&rec, Health::Failed, 1000 + 6 * 60, POLICY).0,
            Verdict::RestartNow { n: 3 }
        );
    }

    // proves auto-restart off never restarts, and the counter resets after an hour RUNNING only
    #[test]
    fn disabled_and_reset() {
        let off = AutoRestart {
            enabled: false,
            max: 10,
        };
        assert_eq!(
            step(&Record::default(), Health::Failed, 5, off).0,
            Verdict::Disabled
        );
        let rec = Record {
            restarts: 3,
            last_restart: Some(0),
            healthy_since: None,
        };
        let (_, r) = step(&rec, Health::Running, 100, POLICY);
        assert_eq!((r.restarts, r.healthy_since), (3, Some(100)));
        let (_, r2) = step(&r, Health::Running, 100 + STABLE_SECS - 1, POLICY);
        assert_eq!(r2.restarts, 3);
        let (_, r3) = step(&r2, Health::Other, 100 + STABLE_SECS - 1, POLICY);
        assert_eq!(
            r3.healthy_since, None,
            "a pause interrupts the stable period"
        );
        let (_, r4) = step(&r2, Health::Running, 100 + STABLE_SECS, POLICY);
        assert_eq!(r4, Record::default(), "a fresh record");
    }

    fn arb_health() -> impl Strategy<Value = Health> {
        prop_oneof![
            3 => Just(Health::Failed),
            2 => Just(Health::Running),
            1 => Just(Health::Other),
        ]
    }

    proptest! {
        // proves, for any run of observations: no restart before its schedule, never more than
        // `max` restarts between resets, and a reset after STABLE_SECS of RUNNING
        #[test]
        fn schedule_properties(
            obs in proptest::collection::vec((arb_health(), 0u64..5400), 1..80),
            max in 0u32..12,
        ) {
            let policy = AutoRestart { enabled: true, max };
            let mut rec = Record::default();
            let mut now = 1_700_000_000u64;
            let mut since_reset = 0u32;
            let mut running_since: Option<u64> = None;
            for (health, dt) in obs {
                now += dt;
                let before = rec.clone();
                let (v, after) = step(&rec, health, now, policy);
                match v {
                    Verdict::RestartNow { n } => {
                        prop_assert_eq!(health, Health::Failed);
                        prop_assert_eq!(n, before.restarts + 1);
                        if let Some(t) = before.last_restart {
                            prop_assert!(now >= t + backoff_minutes(before.restarts) * 60);
                        }
                        since_reset += 1;
                        prop_assert!(since_reset <= max);
                        prop_assert!(after.restarts <= max);
                    }
                    Verdict::Wait { at, .. } => prop_assert!(at > now),
                    Verdict::GaveUp { restarts } => prop_assert_eq!(restarts, max),
                    _ => {}
                }
                if health == Health::Running {
                    let s = *running_since.get_or_insert(now);
                    if now - s >= STABLE_SECS {
                        prop_assert_eq!(after.restarts, 0);
                        since_reset = 0;
                    }
                } else {
                    running_since = None;
                }
                if after.restarts == 0 {
                    since_reset = 0;
                }
                rec = after;
            }
        }
    }
}
