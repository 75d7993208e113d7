//! Unit and app status from what Connect reports: the worst state wins over every connector
//! and task, and the message names the connector and task (design.md §2). Pure: time, the
//! operator's intent and the auto-restart verdicts come in as data.
//!
//! Rules, per desired connector:
//! * FAILED (connector or task) → `blocked` naming it and the first line of the trace, unless
//!   auto-restart will retry: then `waiting`, saying which restart and when.
//! * Paused/stopped as the operator asked → `maintenance` with the `resume` hint; paused or
//!   stopped by someone else → `maintenance` too, saying so.
//! * Not created, no status yet, UNASSIGNED, RESTARTING, a task not RUNNING, RUNNING with no
//!   task (except a checkpoint connector, which has none until a group qualifies) → `waiting`,
//!   with how long it has been so when the leader recorded it.
//! * Everything RUNNING → `active`. The driver never gets here when Connect is unreachable.

use super::clock::{age, hhmm_utc};
use super::connect_api::{ConnectFailure, FailureKind};
use super::heal::Verdict;
use super::peer::Since;
use crate::connect::trace::root_cause;
use crate::connect::CertProblem;
use crate::juju::{Status, StatusKind};
use crate::mirror::{ConnectorKind, DesiredConnector};
use crate::plan::{Actual, ActualConnector, Intent, RunState};
use crate::relations::ConnectData;
use std::collections::{BTreeMap, BTreeSet};

/// The status when Kafka Connect could not be used: a certificate that does not verify names
/// the remedy (a CA relation), anything else waits for Connect.
pub fn connect_failure(e: &ConnectFailure, connect: &ConnectData, app: &str) -> Status {
    let status = connect_failure_line(e, connect, app);
    match &e.detail {
        Some(d) => status.with_detail(d.clone()),
        None => status,
    }
}

fn connect_failure_line(e: &ConnectFailure, connect: &ConnectData, app: &str) -> Status {
    match &e.kind {
        FailureKind::Certificate(CertProblem::UnknownIssuer) if connect.cas.is_empty() => {
            Status::new(
                StatusKind::Waiting,
                format!(
                    "Kafka Connect serves https with an unknown CA: \
                     juju integrate {app}:receive-ca-cert <tls provider>"
                ),
            )
        }
        FailureKind::Certificate(CertProblem::UnknownIssuer) => Status::new(
            StatusKind::Waiting,
            format!(
                "Kafka Connect's CA is none of the {} we trust ({}): \
                 relate it on {app}:receive-ca-cert",
                connect.cas.len(),
                connect.ca_sources()
            ),
        ),
        // Expired, wrong name, …: only whoever runs Kafka Connect can fix its certificate.
        FailureKind::Certificate(problem) => {
            Status::new(StatusKind::Blocked, format!("Kafka Connect {problem}"))
        }
        // The message is the client's one-cause summary (connect_adapter); the whole story
        // is the detail (debug log and `status` action).
        FailureKind::Unavailable => {
            Status::new(StatusKind::Waiting, format!("Kafka Connect {}", e.message))
        }
        FailureKind::Refused | FailureKind::Invalid => {
            Status::new(StatusKind::Blocked, format!("Kafka Connect {}", e.message))
        }
    }
}

/// A Java exception line without the exception's package:
/// `org.apache.kafka.common.errors.X: msg` → `X: msg`.
pub fn without_package(line: &str) -> &str {
    let class_end = line.find(':').unwrap_or(line.len());
    let class = &line[..class_end];
    if class.contains(' ') {
        return line;
    }
    match class.rfind('.') {
        Some(dot) => &line[dot + 1..],
        None => line,
    }
}

/// A connector name for a status: without its model-uuid suffix (`_` + 32 hex digits). The
/// model is implied, and a status has 120 characters for the name and the cause.
pub fn short_name(name: &str) -> &str {
    match name.rsplit_once('_') {
        Some((head, uuid)) if uuid.len() == 32 && uuid.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => name,
    }
}

/// The condition code of a desired connector Connect does not list (for `peer::Since`, so the
/// status can bound how long "written, not listed" is believed: [`ABSENT_LIMIT`]). Recorded by
/// the leader's bookkeeping when it tracks absent connectors.
pub const ABSENT: &str = "absent";

/// How long a connector the leader wrote may stay unlisted before the status blocks: two
/// default update-status periods (5 min each), when Connect lists a connector within a
/// second of accepting it.
pub const ABSENT_LIMIT: u64 = 600;

/// The waiting condition a connector is in, as a short stable code whose start time the
/// leader keeps (`peer::Since`): `no-status`, `UNASSIGNED`, `no-tasks`, `task-<id>-<STATE>`.
/// `None` when it is not waiting for anything (RUNNING, FAILED, PAUSED, …).
pub fn condition(d: &DesiredConnector, a: &ActualConnector) -> Option<String> {
    match &a.state {
        None => Some("no-status".into()),
        Some(RunState::Unassigned) => Some("UNASSIGNED".into()),
        Some(RunState::Running) if a.any_failed() => None,
        Some(RunState::Running) => match a.tasks.iter().find(|t| t.state != RunState::Running) {
            Some(t) => Some(format!("task-{}-{}", t.id, t.state)),
            None if a.tasks.is_empty() && d.kind != ConnectorKind::Checkpoint => {
                Some("no-tasks".into())
            }
            None => None,
        },
        Some(_) => None,
    }
}

/// Everything the status is computed from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub desired: &'a [DesiredConnector],
    /// Connect's view, our connectors.
    pub actual: &'a Actual,
    pub pairs: &'a [String],
    /// A follower (or a read-only pass) sees steps the leader has yet to apply.
    pub pending: bool,
    pub waiting_note: Option<&'a str>,
    pub intent: &'a BTreeMap<String, Intent>,
    pub verdicts: &'a BTreeMap<String, Verdict>,
    /// Connectors restarted by this very pass.
    pub restarted: &'a BTreeSet<String>,
    pub since: &'a BTreeMap<String, Since>,
    pub now: u64,
    pub app: &'a str,
    pub max_restarts: u32,
}

impl Inputs<'_> {
    fn aged(&self, name: &str, what: &str, text: String) -> String {
        match self.since.get(name).filter(|s| s.what == what) {
            Some(s) => format!("{text} for {}", age(self.now.saturating_sub(s.at))),
            None => text,
        }
    }

    /// A FAILED connector or task: what failed, what the charm does about it, then the root
    /// cause without its Java package — in that order, so that the 120-character cut of
    /// `status-set` takes the tail of Java's message, never the remedy (the whole message is
    /// the detail: debug log and `status` action).
    fn failed(&self, d: &DesiredConnector, a: &ActualConnector) -> Status {
        let name = short_name(&d.name);
        let (head, trace) = if a.state == Some(RunState::Failed) {
            (format!("{name} FAILED"), a.trace.as_deref())
        } else {
            let t = a
                .tasks
                .iter()
                .find(|t| t.state == RunState::Failed)
                .expect("any_failed");
            (format!("{name} task {} FAILED", t.id), t.trace.as_deref())
        };
        let cause = without_package(root_cause(trace));
        let (kind, next) = self.next_for_failed(&d.name);
        Status::new(kind, format!("{head}; {next}: {cause}"))
    }

    /// What happens next to a FAILED connector: the status kind and the words.
    fn next_for_failed(&self, name: &str) -> (StatusKind, String) {
        let (max, app) = (self.max_restarts, self.app);
        if let Some(intent) = self.intent.get(name) {
            // Held by the operator: neither auto-restarted nor restartable until resumed.
            return (
                StatusKind::Blocked,
                format!(
                    "{} by the operator, juju run {app}/leader resume",
                    intent.as_str()
                ),
            );
        }
        match self.verdicts.get(name) {
            Some(Verdict::RestartNow { n }) if self.restarted.contains(name) => (
                StatusKind::Waiting,
                format!("auto-restart {n}/{max} issued at {}", hhmm_utc(self.now)),
            ),
            Some(Verdict::RestartNow { n }) => (
                StatusKind::Waiting,
                format!("auto-restart {n}/{max} due now"),
            ),
            Some(Verdict::Wait { n, at }) => (
                StatusKind::Waiting,
                format!("auto-restart {n}/{max} at {}", hhmm_utc(*at)),
            ),
            Some(Verdict::GaveUp { restarts }) => (
                StatusKind::Blocked,
                format!(
                    "auto-restart gave up after {restarts} restarts, juju run {app}/leader restart"
                ),
            ),
            Some(Verdict::Disabled) => (
                StatusKind::Blocked,
                format!("auto-restart is off, juju run {app}/leader restart"),
            ),
            _ => (
                StatusKind::Blocked,
                format!("juju run {app}/leader restart"),
            ),
        }
    }

    /// A desired connector Connect does not list. On a follower or a read-only pass the
    /// leader has yet to create it. On the leader's writing pass it was just written (apply
    /// stops and reports on any failure), so Connect accepted it and still does not list it
    /// — which Connect never does for long (GET /connectors reads the config topic the PUT
    /// wrote, §1.3): past [`ABSENT_LIMIT`] the endpoint is probably not Kafka Connect.
    fn absent(&self, d: &DesiredConnector) -> Status {
        if self.pending {
            return Status::new(
                StatusKind::Waiting,
                format!(
                    "{} not created yet (the leader creates it)",
                    short_name(&d.name)
                ),
            );
        }
        let since = self.since.get(&d.name).filter(|s| s.what == ABSENT);
        match since.map(|s| self.now.saturating_sub(s.at)) {
            Some(for_s) if for_s >= ABSENT_LIMIT => Status::new(
                StatusKind::Blocked,
                format!(
                    "{} written but not listed by Kafka Connect for {}: is the endpoint Kafka Connect?",
                    short_name(&d.name),
                    age(for_s)
                ),
            ),
            Some(for_s) => Status::new(
                StatusKind::Waiting,
                format!("{} written, not listed by Kafka Connect for {}", short_name(&d.name), age(for_s)),
            ),
            None => Status::new(
                StatusKind::Waiting,
                format!("{} written, not listed by Kafka Connect yet", short_name(&d.name)),
            ),
        }
    }

    fn finding(&self, d: &DesiredConnector) -> Option<Status> {
        let waiting = |m: String| Some(Status::new(StatusKind::Waiting, m));
        let Some(a) = self.actual.connectors.get(&d.name) else {
            return Some(self.absent(d));
        };
        if a.any_failed() {
            return Some(self.failed(d, a));
        }
        let app = self.app;
        if let Some(intent) = self.intent.get(&d.name) {
            if a.state.as_ref() == Some(&intent.state()) {
                return Some(Status::new(
                    StatusKind::Maintenance,
                    format!(
                        "{} {} by the operator (juju run {app}/leader resume)",
                        short_name(&d.name),
                        intent.as_str()
                    ),
                ));
            }
            return waiting(format!(
                "{} {}, to be {} as the operator asked",
                short_name(&d.name),
                a.state.as_ref().map_or("starting", RunState::as_str),
                intent.as_str()
            ));
        }
        let cond = condition(d, a);
        let aged = |text: String| self.aged(&d.name, cond.as_deref().unwrap_or(""), text);
        match &a.state {
            None => waiting(aged(format!(
                "{} starting (no status yet)",
                short_name(&d.name)
            ))),
            Some(RunState::Unassigned) => {
                waiting(aged(format!("{} UNASSIGNED", short_name(&d.name))))
            }
            Some(RunState::Restarting) => waiting(format!("{} RESTARTING", short_name(&d.name))),
            Some(state @ (RunState::Paused | RunState::Stopped)) => Some(Status::new(
                StatusKind::Maintenance,
                format!(
                    "{} {state} outside the charm (juju run {app}/leader resume)",
                    short_name(&d.name)
                ),
            )),
            _ => {
                if let Some(t) = a.tasks.iter().find(|t| t.state != RunState::Running) {
                    waiting(aged(format!(
                        "{} task {} {}",
                        short_name(&d.name),
                        t.id,
                        t.state
                    )))
                } else if cond.as_deref() == Some("no-tasks") {
                    waiting(format!(
                        "{} (no matching topic, or a cluster unreachable)",
                        aged(format!("{} RUNNING with no tasks", short_name(&d.name)))
                    ))
                } else {
                    None
                }
            }
        }
    }
}

/// One finding per desired connector; the worst becomes the status.
pub fn from_connectors(i: &Inputs<'_>) -> Status {
    let mut findings: Vec<Status> = i.desired.iter().filter_map(|d| i.finding(d)).collect();
    if let Some(note) = i.waiting_note {
        findings.push(Status::new(StatusKind::Waiting, note.to_string()));
    }
    if i.pending {
        findings.push(Status::new(
            StatusKind::Waiting,
            "the leader has changes to apply",
        ));
    }
    let worst = findings.iter().map(|f| f.kind).max();
    match worst {
        None => Status::new(
            StatusKind::Active,
            format!(
                "replicating {} ({} connector{})",
                i.pairs.join(", "),
                i.desired.len(),
                if i.desired.len() == 1 { "" } else { "s" }
            ),
        ),
        Some(kind) => {
            let mut of_kind = findings.into_iter().filter(|f| f.kind == kind);
            let first = of_kind.next().expect("worst exists");
            let more = of_kind.count();
            if more == 0 {
                first
            } else {
                Status::new(kind, format!("{} (+{more} more)", first.message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::TaskState;
    use crate::relations::{CaSource, TrustedCa};
    use crate::secret::Secret;

    // Proves each kind of Connect failure gets its status: what a later hook may fix waits,
    // refused credentials and requests Connect rejects for good block, an unknown CA names
    // the CA relation (wording depends on whether we trust any CA), other certificate
    // problems block naming the problem.
    #[test]
    fn connect_failure_statuses() {
        let mut data = ConnectData {
            endpoints: vec!["https://h:8083".into()],
            username: "u".into(),
            password: Secret::new("pw-secret"),
            cas: Vec::new(),
        };
        let f = |kind, message: &str| ConnectFailure {
            detail: None,
            kind,
            message: message.into(),
        };
        let cases = [
            (
                f(FailureKind::Unavailable, "http://h:8083: connection refused"),
                StatusKind::Waiting,
                "Kafka Connect http://h:8083: connection refused",
            ),
            (f(FailureKind::Refused, "refused our credentials (401)"), StatusKind::Blocked, "Kafka Connect refused our credentials (401)"),
            (f(FailureKind::Invalid, "answered 400: bad"), StatusKind::Blocked, "Kafka Connect answered 400: bad"),
            (
                f(FailureKind::Certificate(CertProblem::UnknownIssuer), "x"),
                StatusKind::Waiting,
                "Kafka Connect serves https with an unknown CA: juju integrate mm:receive-ca-cert <tls provider>",
            ),
            (
                f(FailureKind::Certificate(CertProblem::Expired), "x"),
                StatusKind::Blocked,
                "Kafka Connect serves an expired or not yet valid certificate",
            ),
        ];
        for (failure, kind, message) in cases {
            let st = connect_failure(&failure, &data, "mm");
            assert_eq!((st.kind, st.message.as_str()), (kind, message));
            assert_eq!(st.detail, None);
        }
        // The client's whole story rides along as the detail (debug log, `status` action).
        let mut long = f(
            FailureKind::Unavailable,
            "http://h:8083: connection refused",
        );
        long.detail = Some("list connectors: gave up after 2 attempts: …".into());
        assert_eq!(
            connect_failure(&long, &data, "mm").detail.as_deref(),
            Some("list connectors: gave up after 2 attempts: …")
        );
        data.cas.push(TrustedCa {
            source: CaSource::Transfer("tls".into()),
            pem: "-----BEGIN CERTIFICATE-----".into(),
        });
        let st = connect_failure(
            &f(FailureKind::Certificate(CertProblem::UnknownIssuer), "x"),
            &data,
            "mm",
        );
        assert_eq!(
            st.message,
            "Kafka Connect's CA is none of the 1 we trust \
             (receive-ca-cert tls): relate it on mm:receive-ca-cert"
        );
    }

    fn desired(kind: ConnectorKind) -> DesiredConnector {
        DesiredConnector {
            name: format!("mirror_{}_a_r1_x", kind.as_str()),
            kind,
            source_alias: "a".into(),
            config: Default::default(),
        }
    }

    fn connector(state: &str, tasks: &[&str]) -> ActualConnector {
        ActualConnector {
            state: Some(state.into()),
            tasks: tasks
                .iter()
                .enumerate()
                .map(|(i, s)| TaskState {
                    id: i as u32,
                    state: (*s).into(),
                    trace: Some("java.lang.Boom: bad\n\tat x".into()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    /// The status of one source connector in `c`, with the given intent and verdict.
    fn one(c: ActualConnector, intent: Option<Intent>, verdict: Option<Verdict>) -> Status {
        let d = [desired(ConnectorKind::Source)];
        let mut actual = Actual::default();
        actual.connectors.insert(d[0].name.clone(), c);
        let intents = intent
            .map(|i| BTreeMap::from([(d[0].name.clone(), i)]))
            .unwrap_or_default();
        let verdicts = verdict
            .map(|v| BTreeMap::from([(d[0].name.clone(), v)]))
            .unwrap_or_default();
        let since = BTreeMap::from([(
            d[0].name.clone(),
            Since {
                what: "UNASSIGNED".into(),
                at: 1000,
            },
        )]);
        from_connectors(&Inputs {
            desired: &d,
            actual: &actual,
            pairs: &["a -> b".into()],
            pending: false,
            waiting_note: None,
            intent: &intents,
            verdicts: &verdicts,
            restarted: &BTreeSet::new(),
            since: &since,
            now: 1000 + 125,
            app: "mm",
            max_restarts: 10,
        })
    }

    // proves the message and kind of each state, worst first
    #[test]
    fn table() {
        use StatusKind::*;
        let n = "mirror_source_a_r1_x";
        let cases = [
            (
                one(connector("RUNNING", &["RUNNING", "FAILED"]), None, Some(Verdict::Wait { n: 3, at: 63_720 })),
                Waiting,
                format!("{n} task 1 FAILED; auto-restart 3/10 at 17:42 UTC: Boom: bad"),
            ),
            (
                one(connector("RUNNING", &["FAILED"]), None, Some(Verdict::GaveUp { restarts: 10 })),
                Blocked,
                format!("{n} task 0 FAILED; auto-restart gave up after 10 restarts, juju run mm/leader restart: Boom: bad"),
            ),
            (
                one(connector("PAUSED", &["FAILED"]), Some(Intent::Paused), None),
                Blocked,
                format!("{n} task 0 FAILED; paused by the operator, juju run mm/leader resume: Boom: bad"),
            ),
            (
                one(connector("PAUSED", &["PAUSED"]), Some(Intent::Paused), None),
                Maintenance,
                format!("{n} paused by the operator (juju run mm/leader resume)"),
            ),
            (
                one(connector("PAUSED", &["PAUSED"]), None, None),
                Maintenance,
                format!("{n} PAUSED outside the charm (juju run mm/leader resume)"),
            ),
            (
                one(connector("UNASSIGNED", &[]), None, None),
                Waiting,
                format!("{n} UNASSIGNED for 2m"),
            ),
            (
                one(connector("RUNNING", &["RUNNING", "UNASSIGNED"]), None, None),
                Waiting,
                format!("{n} task 1 UNASSIGNED"),
            ),
            (
                one(connector("RUNNING", &["RUNNING"]), None, None),
                Active,
                "replicating a -> b (1 connector)".to_string(),
            ),
        ];
        for (got, kind, message) in cases {
            assert_eq!(got, Status::new(kind, message));
        }
    }

    /// The status of one desired source connector that Connect does not list.
    fn unlisted(pending: bool, absent_for: Option<u64>) -> Status {
        let d = [desired(ConnectorKind::Source)];
        let since = absent_for
            .map(|s| {
                BTreeMap::from([(
                    d[0].name.clone(),
                    Since {
                        what: ABSENT.into(),
                        at: 10_000 - s,
                    },
                )])
            })
            .unwrap_or_default();
        from_connectors(&Inputs {
            desired: &d,
            actual: &Actual::default(),
            pairs: &["a -> b".into()],
            pending,
            waiting_note: None,
            intent: &BTreeMap::new(),
            verdicts: &BTreeMap::new(),
            restarted: &BTreeSet::new(),
            since: &since,
            now: 10_000,
            app: "mm",
            max_restarts: 10,
        })
    }

    // Proves "not created yet" is said only where it is true (a follower or a read-only pass:
    // the leader creates it); on the leader's writing pass the connector was written, so the
    // status says it is not listed, with how long, and blocks past ABSENT_LIMIT.
    #[test]
    fn unlisted_connector_wording_is_bounded() {
        let n = "mirror_source_a_r1_x";
        assert_eq!(
            unlisted(true, None),
            Status::new(
                StatusKind::Waiting,
                format!("{n} not created yet (the leader creates it) (+1 more)")
            )
        );
        assert_eq!(
            unlisted(false, None),
            Status::new(
                StatusKind::Waiting,
                format!("{n} written, not listed by Kafka Connect yet")
            )
        );
        assert_eq!(
            unlisted(false, Some(120)).message,
            format!("{n} written, not listed by Kafka Connect for 2m")
        );
        let late = unlisted(false, Some(ABSENT_LIMIT));
        assert_eq!(late.kind, StatusKind::Blocked);
        assert_eq!(
            late.message,
            format!("{n} written but not listed by Kafka Connect for 10m: is the endpoint Kafka Connect?")
        );
    }

    // Proves the Java package is dropped from an exception line, and nothing else is touched.
    #[test]
    fn exception_package_is_dropped() {
        assert_eq!(
            without_package("org.apache.kafka.common.errors.TopicAuthorizationException: Not authorized to access topics: [a.b]"),
            "TopicAuthorizationException: Not authorized to access topics: [a.b]"
        );
        assert_eq!(without_package("no trace"), "no trace");
        assert_eq!(without_package("Boom"), "Boom");
        assert_eq!(
            without_package("a sentence. With: colon"),
            "a sentence. With: colon"
        );
    }

    // proves a checkpoint connector without tasks is normal, other kinds wait
    #[test]
    fn no_tasks() {
        let c = connector("RUNNING", &[]);
        assert_eq!(condition(&desired(ConnectorKind::Checkpoint), &c), None);
        assert_eq!(
            condition(&desired(ConnectorKind::Heartbeat), &c).as_deref(),
            Some("no-tasks")
        );
    }
}
