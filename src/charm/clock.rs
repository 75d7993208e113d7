//! Time for the charm, injected: the driver takes "now" as an argument (epoch seconds) so the
//! pure parts (auto-restart backoff, status ages) never read a clock and tests move time by
//! changing a number. [`now_from_env`] is the one place that reads the real clock, with an
//! override for process-level tests.

use std::time::{SystemTime, UNIX_EPOCH};

/// Environment variable that, when set to an integer, is used as "now" (seconds since the
/// Unix epoch) instead of the system clock. For tests that drive the packed charm through the
/// auto-restart schedule; never set it in production.
pub const NOW_ENV: &str = "MMI_NOW_EPOCH_SECS";

/// Seconds since the Unix epoch of `t` (0 before the epoch).
pub fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `$MMI_NOW_EPOCH_SECS` if set and numeric, else the system clock.
pub fn now_from_env() -> u64 {
    std::env::var(NOW_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| epoch_secs(SystemTime::now()))
}

/// `(year, month, day)` of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-11-25T17:42:00Z`.
pub fn rfc3339(epoch: u64) -> String {
    let secs = epoch as i64;
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `17:42 UTC` (for statuses).
pub fn hhmm_utc(epoch: u64) -> String {
    let s = epoch % 86_400;
    format!("{:02}:{:02} UTC", s / 3600, s / 60 % 60)
}

/// A short age: `45s`, `12m`, `3h05m`, `2d4h`.
pub fn age(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, s / 60 % 60),
        s => format!("{}d{}h", s / 86_400, s / 3600 % 24),
    }
}

/// Waiting, injected for the one action that polls (`failover`): tests move time and the
/// world between polls instead of sleeping.
pub trait Wait {
    /// Time since this waiter was made.
    fn elapsed(&self) -> std::time::Duration;
    fn sleep(&self, d: std::time::Duration);
}

/// The real clock.
pub struct RealWait(std::time::Instant);

impl RealWait {
    pub fn new() -> RealWait {
        RealWait(std::time::Instant::now())
    }
}

impl Default for RealWait {
    fn default() -> Self {
        RealWait::new()
    }
}

impl Wait for RealWait {
    fn elapsed(&self) -> std::time::Duration {
        self.0.elapsed()
    }
    fn sleep(&self, d: std::time::Duration) {
        std::thread::sleep(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // proves the formats against known instants
    #[test]
    fn formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_628_520), "2026-11-25T17:42:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(hhmm_utc(1_795_628_520), "17:42 UTC");
        assert_eq!(
            [age(5), age(600), age(3900), age(90_000)],
            ["5s", "10m", "1h05m", "1d1h"]
        );
    }
}
