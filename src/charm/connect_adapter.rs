//! The driver's [`ConnectApi`] over the real REST client ([`crate::connect::ConnectClient`]),
//! run on a current-thread tokio runtime: one hook, one runtime, one time budget.

use super::connect_api::{ConnectApi, ConnectFailure, FailureKind};
use crate::connect::{
    runtime, Budget, ConnectClient, ConnectError, ConnectSettings, ConnectorOffsets, Listing,
};
use crate::mirror::sensitive::is_sensitive_key;
use crate::mirror::DesiredConnector;
use crate::plan::{Actual, ActualConnector, RunState, TaskState};
use crate::relations::ConnectData;
use crate::secret::Secret;
use std::collections::BTreeMap;

pub struct RealConnect {
    rt: tokio::runtime::Runtime,
    client: ConnectClient,
}

/// Builds the real client for what the `connect-client` relation sent, with the default budget.
pub fn factory(data: &ConnectData) -> Result<Box<dyn ConnectApi>, ConnectFailure> {
    // Hooks and actions alike: an action waits on Connect no longer than a hook would.
    let budget = Budget::DEFAULT;
    let settings = ConnectSettings {
        endpoints: data.endpoints.clone(),
        ca_pem: data.ca_bundle(),
        username: data.username.clone(),
        password: data.password.clone(),
    };
    let client = ConnectClient::new(&settings, Budget::new(budget)).map_err(failure)?;
    let rt = runtime()
        .map_err(|e| ConnectFailure::unavailable(format!("cannot start the I/O runtime: {e}")))?;
    Ok(Box::new(RealConnect { rt, client }))
}

/// The driver's view of a client error: its short summary (one cause, one endpoint: what a
/// status shows after "Kafka Connect "). The whole story — operation, attempts, the HTTP
/// client's error chain, all redacted — goes to the debug log here.
fn failure(e: ConnectError) -> ConnectFailure {
    tracing::warn!("{e}");
    let kind = match &e {
        ConnectError::Certificate { problem, .. } => FailureKind::Certificate(problem.clone()),
        ConnectError::Unauthorized { .. } => FailureKind::Refused,
        ConnectError::GaveUp { .. } => FailureKind::Unavailable,
        ConnectError::Http { status, .. } if *status >= 500 => FailureKind::Unavailable,
        _ => FailureKind::Invalid,
    };
    let message = e.summary();
    let full = e.to_string();
    ConnectFailure {
        kind,
        detail: (full != message).then_some(full),
        message,
    }
}

/// Connect's listing as the planner's model (the adapter's job: `connect` knows no planner).
fn to_actual(listing: Listing) -> Actual {
    let connectors = listing
        .into_iter()
        .map(|(name, listed)| {
            let mut c = ActualConnector {
                config: listed.config,
                ..ActualConnector::default()
            };
            if let Some(st) = listed.status {
                c.state = Some(RunState::parse(&st.connector.state));
                c.worker_id = st.connector.worker_id;
                c.trace = st.connector.trace;
                c.tasks = st
                    .tasks
                    .into_iter()
                    .map(|t| TaskState {
                        id: t.id,
                        state: RunState::parse(&t.state),
                        worker_id: t.worker_id,
                        trace: t.trace,
                    })
                    .collect();
            }
            (name, c)
        })
        .collect();
    Actual { connectors }
}

/// How long a carry waits for the old connector's tasks to stop (and commit their last
/// offsets): a stop takes one rebalance, a few seconds on a healthy group. The hook's budget
/// bounds it too; when it runs out the next hook carries on from the same state.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Polls `GET …/status` until `name` is STOPPED with no tasks left.
async fn wait_stopped(client: &ConnectClient, name: &str) -> Result<(), ConnectFailure> {
    let until = std::time::Instant::now() + STOP_WAIT.min(client.budget().remaining());
    loop {
        let st = client.status(name).await.map_err(failure)?;
        if st
            .as_ref()
            .is_some_and(|s| s.connector.state == "STOPPED" && s.tasks.is_empty())
        {
            return Ok(());
        }
        if std::time::Instant::now() >= until {
            return Err(ConnectFailure::unavailable(format!(
                "{name} has not stopped yet; its offsets are carried over at the next hook"
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// The secret values of a connector config, so that an error echoing them is redacted: each
/// sensitive value, and the bare password inside a JAAS line (Connect's messages can quote it
/// without its `password=` key).
fn secrets_of(config: &BTreeMap<String, String>) -> Vec<Secret> {
    let mut out = Vec::new();
    for (_, v) in config.iter().filter(|(k, _)| is_sensitive_key(k)) {
        out.push(Secret::new(v.clone()));
        if let Some(pw) = jaas_password(v) {
            out.push(Secret::new(pw));
        }
    }
    out
}

/// The value of `password="…"` in a JAAS line (with `\"` and `\\` unescaped).
fn jaas_password(jaas: &str) -> Option<String> {
    let start = jaas.find("password=\"")? + "password=\"".len();
    let mut out = String::new();
    let mut chars = jaas[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return (!out.is_empty()).then_some(out),
            c => out.push(c),
        }
    }
    None
}

impl ConnectApi for RealConnect {
    fn list(&self) -> Result<Actual, ConnectFailure> {
        self.rt
            .block_on(self.client.list_all())
            .map(to_actual)
            .map_err(failure)
    }

    fn list_for(
        &self,
        expected: &[&str],
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Actual, ConnectFailure> {
        self.rt
            .block_on(self.client.list_for(expected.iter().copied(), keep))
            .map(to_actual)
            .map_err(failure)
    }

    fn validate(&self, connector: &DesiredConnector) -> Result<Vec<String>, ConnectFailure> {
        let client = self.client.clone().redacting(secrets_of(&connector.config));
        let mut config = connector.config.clone();
        config.insert("name".into(), connector.name.clone());
        self.rt
            .block_on(client.validate(connector.kind.class(), &config))
            .map_err(failure)
    }

    fn put(&self, name: &str, config: &BTreeMap<String, String>) -> Result<(), ConnectFailure> {
        let client = self.client.clone().redacting(secrets_of(config));
        self.rt
            .block_on(client.put_config(name, config))
            .map(drop)
            .map_err(failure)
    }

    fn delete(&self, name: &str) -> Result<(), ConnectFailure> {
        self.rt.block_on(self.client.delete(name)).map_err(failure)
    }

    fn pause(&self, name: &str) -> Result<(), ConnectFailure> {
        self.rt.block_on(self.client.pause(name)).map_err(failure)
    }

    fn stop(&self, name: &str) -> Result<(), ConnectFailure> {
        self.rt.block_on(self.client.stop(name)).map_err(failure)
    }

    fn source_offsets(&self, name: &str) -> Result<ConnectorOffsets, ConnectFailure> {
        self.rt.block_on(self.client.offsets(name)).map_err(failure)
    }

    fn resume(&self, name: &str) -> Result<(), ConnectFailure> {
        self.rt.block_on(self.client.resume(name)).map_err(failure)
    }

    fn create_stopped(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<(), ConnectFailure> {
        let client = self.client.clone().redacting(secrets_of(config));
        self.rt
            .block_on(client.create_stopped(name, config))
            .map_err(failure)
    }

    fn carry_offsets(&self, from: &str, to: &str) -> Result<usize, ConnectFailure> {
        self.rt.block_on(async {
            wait_stopped(&self.client, from).await?;
            let offsets = self.client.offsets(from).await.map_err(failure)?;
            self.client
                .alter_offsets(to, &offsets)
                .await
                .map_err(failure)?;
            Ok(offsets.offsets.len())
        })
    }

    fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), ConnectFailure> {
        self.rt
            .block_on(self.client.restart(name, include_tasks, only_failed))
            .map(drop)
            .map_err(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the bare password inside a rendered JAAS line is a secret to redact too, escapes
    // undone, and a value without one adds nothing more.
    #[test]
    fn jaas_passwords_are_redacted_too() {
        let config = BTreeMap::from([
            (
                "source.cluster.sasl.jaas.config".to_string(),
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p\"w";"#.to_string(),
            ),
            ("tasks.max".to_string(), "1".to_string()),
        ]);
        let secrets = secrets_of(&config);
        assert_eq!(secrets.len(), 2);
        assert_eq!(secrets[1].expose(), "p\"w");
        assert_eq!(jaas_password("no password here"), None);
    }

    // Proves the client's error kinds survive the port: only what a later hook may fix is
    // Unavailable (gave up, 5xx); refused credentials, 4xx, 404 and bad relation data are not.
    #[test]
    fn error_kinds_survive_the_port() {
        let op = || "op".to_string();
        let cases = [
            (
                ConnectError::GaveUp {
                    op: op(),
                    attempts: 3,
                    endpoint: "http://h:8083".into(),
                    cause: "connection refused".into(),
                    last: "x".into(),
                },
                FailureKind::Unavailable,
            ),
            (
                ConnectError::Http {
                    op: op(),
                    status: 503,
                    message: "x".into(),
                },
                FailureKind::Unavailable,
            ),
            (
                ConnectError::Http {
                    op: op(),
                    status: 400,
                    message: "x".into(),
                },
                FailureKind::Invalid,
            ),
            (
                ConnectError::NotFound {
                    op: op(),
                    message: "x".into(),
                },
                FailureKind::Invalid,
            ),
            (ConnectError::Setup("x".into()), FailureKind::Invalid),
            (
                ConnectError::Unauthorized {
                    op: op(),
                    message: "x".into(),
                },
                FailureKind::Refused,
            ),
            (
                ConnectError::Certificate {
                    op: op(),
                    endpoint: "e".into(),
                    problem: crate::connect::CertProblem::WrongName,
                },
                FailureKind::Certificate(crate::connect::CertProblem::WrongName),
            ),
        ];
        for (e, kind) in cases {
            let text = e.summary();
            let f = failure(e);
            assert_eq!((f.kind, f.message), (kind, text));
        }
    }
}
