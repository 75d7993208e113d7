//! Logging: `tracing` events go to `juju-log` (so they appear in `juju debug-log`), and to
//! stderr when `juju-log` cannot be run or when Juju runs the hook with `JUJU_DEBUG` set.
//!
//! Why not always both: Juju copies a hook's stderr into the unit log as well, so writing every
//! line to both would show each line twice. Nothing sensitive is logged: passwords only
//! travel as [`crate::secret::Secret`], whose `Debug`/`Display` print `<redacted>`.

use super::tools::LogLevel;
use std::fmt::Write as _;
use std::io::Write as _;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Where a formatted line goes; returns false when it could not be delivered.
pub type Sink = Box<dyn Fn(LogLevel, &str) -> bool + Send + Sync>;

pub struct JujuLogLayer {
    sink: Sink,
    /// Least severe level sent to the sink.
    min: Level,
    /// Copy every line to stderr as well.
    stderr: bool,
}

impl JujuLogLayer {
    pub fn new(sink: Sink, min: Level, stderr: bool) -> JujuLogLayer {
        JujuLogLayer { sink, min, stderr }
    }
}

fn juju_level(level: &Level) -> LogLevel {
    match *level {
        Level::TRACE => LogLevel::Trace,
        Level::DEBUG => LogLevel::Debug,
        Level::INFO => LogLevel::Info,
        Level::WARN => LogLevel::Warning,
        Level::ERROR => LogLevel::Error,
    }
}

/// Collects `message` first, then `key=value` for every other field.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

impl<S: Subscriber> Layer<S> for JujuLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut line = Line::default();
        event.record(&mut line);
        let text = printable(&format!("{}{}", line.message, line.fields));
        let level = juju_level(meta.level());
        // In tracing, a "smaller" level is more severe: ERROR < WARN < INFO.
        let delivered = *meta.level() > self.min || (self.sink)(level, &text);
        if self.stderr || !delivered {
            let _ = writeln!(std::io::stderr(), "{} {}", level.as_str(), text);
        }
    }
}

/// A log line with every control character escaped (`\n`, `\u{1b}`…): text from Kafka
/// Connect or a databag must not start a forged log line or drive the operator's terminal.
fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Installs the layer as the global subscriber for this process (one hook = one process).
pub fn init(sink: Sink, debug: bool) {
    use tracing_subscriber::prelude::*;
    let min = if debug { Level::DEBUG } else { Level::INFO };
    let layer = JujuLogLayer::new(sink, min, debug);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::prelude::*;

    fn capture(min: Level, f: impl FnOnce()) -> Vec<(LogLevel, String)> {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink_lines = lines.clone();
        let layer = JujuLogLayer::new(
            Box::new(move |l, m| {
                sink_lines.lock().unwrap().push((l, m.to_string()));
                true
            }),
            min,
            false,
        );
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, f);
        let out = lines.lock().unwrap().clone();
        out
    }

    // Events at or above the threshold reach juju-log with their level, message and fields.
    #[test]
    fn events_reach_the_sink() {
        let lines = capture(Level::INFO, || {
            tracing::info!(connector = "mirror_source_a", "created");
            tracing::debug!("not sent at INFO");
            tracing::warn!("careful");
        });
        assert_eq!(
            lines,
            vec![
                (
                    LogLevel::Info,
                    "created connector=\"mirror_source_a\"".to_string()
                ),
                (LogLevel::Warning, "careful".to_string())
            ]
        );
    }

    // Proves control characters never reach juju-log raw: a newline cannot forge a second
    // line and an ESC sequence cannot drive the terminal of `juju debug-log`.
    #[test]
    fn control_characters_are_escaped() {
        let lines = capture(Level::INFO, || {
            tracing::warn!("boom\nINFO forged\u{1b}[2J\u{7}");
        });
        assert_eq!(lines[0].1, "boom\\nINFO forged\\u{1b}[2J\\u{7}");
        assert!(!lines[0].1.chars().any(char::is_control));
    }

    // A Secret field logs as <redacted>, never its value.
    #[test]
    fn secrets_are_not_logged() {
        let pw = Secret::new("very-secret-pw");
        let lines = capture(Level::DEBUG, || {
            tracing::info!(password = ?pw, "credentials arrived");
            tracing::info!("password is {pw}");
        });
        for (_, l) in &lines {
            assert!(!l.contains("very-secret-pw"), "{l}");
            assert!(l.contains("<redacted>"), "{l}");
        }
    }
}
