//! The model's debug log (`<model>/debug-log.jsonl`): one JSON object per line with unit, level and
//! message, and the hook history (`hooks.jsonl`). juju-log and hook stdout/stderr append here directly (not through the hook's buffered
//! copy), so lines survive a failed hook as they do in Juju.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogLine {
    pub unit: String,
    pub level: String,
    pub message: String,
}

fn path(dir: &Path) -> std::path::PathBuf {
    dir.join("debug-log.jsonl")
}

/// Append one line; logging never fails the caller.
pub fn append(dir: &Path, unit: &str, level: &str, message: &str) {
    let line = LogLine {
        unit: unit.into(),
        level: level.into(),
        message: message.into(),
    };
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path(dir))
    {
        if let Ok(text) = serde_json::to_string(&line) {
            let _ = writeln!(f, "{text}");
        }
    }
}

/// Append one entry to the hook history (`<model>/hooks.jsonl`).
pub fn append_hook(dir: &Path, rec: &crate::state::HookRecord) {
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("hooks.jsonl"))
    {
        if let Ok(text) = serde_json::to_string(rec) {
            let _ = writeln!(f, "{text}");
        }
    }
}

pub fn read_hooks(dir: &Path) -> Vec<crate::state::HookRecord> {
    std::fs::read_to_string(dir.join("hooks.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

pub fn read(dir: &Path) -> Vec<LogLine> {
    std::fs::read_to_string(path(dir))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
