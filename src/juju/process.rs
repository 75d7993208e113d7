//! [`HookTools`] over the real hook tools: each call runs one tool process with
//! `--format=json`, exactly as docs/spec/juju.md §4 and relations.md §6 give the argv.
//!
//! This module does I/O (process spawns) and nothing else: no retries, no interpretation
//! beyond parsing the JSON Juju prints and classifying stderr.

use super::event::RelationRef;
use super::tools::{Databag, HookTools, LogLevel, SecretContent, SecretRead, Status, ToolError};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// Runs hook tools found on `PATH` (Juju puts its tools dir first for every hook).
#[derive(Debug, Default, Clone)]
pub struct ProcessTools;

impl ProcessTools {
    fn run(&self, tool: &str, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, ToolError> {
        let mut cmd = Command::new(tool);
        cmd.args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let spawn_err = |source| ToolError::Spawn {
            tool: tool.to_string(),
            source,
        };
        let mut child = cmd.spawn().map_err(spawn_err)?;
        if let Some(input) = stdin {
            // Take the pipe so it is closed before waiting.
            let mut pipe = child.stdin.take().expect("stdin was piped");
            pipe.write_all(input).map_err(spawn_err)?;
        }
        let out = child.wait_with_output().map_err(spawn_err)?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(ToolError::classify(
                tool,
                out.status.code().unwrap_or(-1),
                &String::from_utf8_lossy(&out.stderr),
            ))
        }
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        tool: &str,
        args: &[&str],
    ) -> Result<T, ToolError> {
        let out = self.run(tool, args, None)?;
        serde_json::from_slice(&out).map_err(|e| ToolError::BadOutput {
            tool: tool.to_string(),
            detail: e.to_string(),
        })
    }
}

fn bool_flag(app: bool) -> &'static str {
    // ops passes Python's str(bool); Juju's ParseBool takes it.
    if app {
        "--application=True"
    } else {
        "--application=False"
    }
}

impl HookTools for ProcessTools {
    fn relation_ids(&self, endpoint: &str) -> Result<Vec<RelationRef>, ToolError> {
        let ids: Vec<String> = self.json("relation-ids", &[endpoint, "--format=json"])?;
        ids.iter()
            .map(|s| {
                // Older Juju could print a bare id; keep the endpoint we asked for.
                RelationRef::parse(s)
                    .or_else(|| {
                        Some(RelationRef {
                            endpoint: endpoint.to_string(),
                            id: s.parse().ok()?,
                        })
                    })
                    .ok_or_else(|| ToolError::BadOutput {
                        tool: "relation-ids".into(),
                        detail: format!("relation id {s:?}"),
                    })
            })
            .collect()
    }

    fn relation_list(&self, rel: &RelationRef) -> Result<Vec<String>, ToolError> {
        let r = rel.to_string();
        self.json("relation-list", &["--format=json", "-r", &r])
    }

    fn relation_remote_app(&self, rel: &RelationRef) -> Result<String, ToolError> {
        let r = rel.to_string();
        self.json("relation-list", &["--format=json", "--app", "-r", &r])
    }

    fn relation_get(
        &self,
        rel: &RelationRef,
        member: &str,
        app: bool,
    ) -> Result<Databag, ToolError> {
        let r = rel.to_string();
        let mut args = vec!["--format=json", "-r", &r];
        if app {
            args.push("--app");
        }
        args.extend(["-", member]);
        // Juju prints null for an empty databag in some versions.
        let bag: Option<Databag> = self.json("relation-get", &args)?;
        Ok(bag.unwrap_or_default())
    }

    fn relation_set(&self, rel: &RelationRef, data: &Databag, app: bool) -> Result<(), ToolError> {
        if data.is_empty() {
            return Ok(());
        }
        let r = rel.to_string();
        let mut args = vec!["-r", &r];
        if app {
            args.push("--app");
        }
        args.extend(["--file", "-"]);
        let body = serde_json::to_vec(data).expect("a string map always serialises");
        self.run("relation-set", &args, Some(&body)).map(drop)
    }

    fn config_get(&self) -> Result<serde_json::Map<String, serde_json::Value>, ToolError> {
        self.json("config-get", &["--format=json"])
    }

    fn is_leader(&self) -> Result<bool, ToolError> {
        self.json("is-leader", &["--format=json"])
    }

    fn status_set(&self, status: &Status, app: bool) -> Result<(), ToolError> {
        let message = super::tools::outgoing(status);
        self.run(
            "status-set",
            &[bool_flag(app), status.kind.as_str(), "--", &message],
            None,
        )
        .map(drop)
    }

    fn secret_get(
        &self,
        id: Option<&str>,
        label: Option<&str>,
        read: SecretRead,
    ) -> Result<SecretContent, ToolError> {
        let mut args = vec!["--format=json"];
        if let Some(id) = id {
            args.push(id);
        }
        if let Some(label) = label {
            args.extend(["--label", label]);
        }
        match read {
            SecretRead::Tracked => {}
            SecretRead::Refresh => args.push("--refresh"),
            SecretRead::Peek => args.push("--peek"),
        }
        let map: BTreeMap<String, String> = self.json("secret-get", &args)?;
        Ok(SecretContent::new(map))
    }

    fn action_get(&self) -> Result<serde_json::Map<String, serde_json::Value>, ToolError> {
        let v: Option<serde_json::Map<String, serde_json::Value>> =
            self.json("action-get", &["--format=json"])?;
        Ok(v.unwrap_or_default())
    }

    fn action_set(&self, results: &BTreeMap<String, String>) -> Result<(), ToolError> {
        if results.is_empty() {
            return Ok(());
        }
        let args: Vec<String> = results.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run("action-set", &args, None).map(drop)
    }

    fn action_fail(&self, message: &str) -> Result<(), ToolError> {
        self.run("action-fail", &["--", message], None).map(drop)
    }

    fn juju_log(&self, level: LogLevel, message: &str) -> Result<(), ToolError> {
        self.run(
            "juju-log",
            &["--log-level", level.as_str(), "--", message],
            None,
        )
        .map(drop)
    }
}
