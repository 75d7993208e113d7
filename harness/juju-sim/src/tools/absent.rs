//! Hook tools for Juju features a juju-sim model does not have. Each parses its arguments as
//! jujuc does (same Init errors, exit 2) and then answers what Juju 3.6 answers on a machine
//! model without the feature, so a charm (ops raises `ModelError`) sees Juju's own error:
//!
//! * resource-get — no resource was ever uploaded: the controller's "not found".
//! * credential-get — the application is not trusted: "permission denied".
//! * add-metric — metrics are not allowed in a hook context.
//! * juju-reboot — accepted (exit 0) in hooks, logged; there is no machine to reboot.
//! * k8s-spec-set/pod-spec-set/k8s-raw-set — accepted on the leader and dropped (Juju only
//!   commits specs on a k8s model); k8s-spec-get/pod-spec-get/k8s-raw-get — the controller's
//!   "called CAASModel() on a non-CAAS Model not supported".
//! * payload-register/-unregister/-status-set — checked against the charm's `payloads:`.
//!
//! Sources: jujuc's resource-get.go, credential-get.go, add-metric.go, reboot.go,
//! k8s-spec-*.go, k8s-raw-*.go, payload-*.go, the uniter context (context.go: `AddMetric`,
//! `SetPodSpec`, `CloudSpec`) and the uniter facade (`CloudSpec`, `GetPodSpec`).

use super::{flag, no_more, parse, Tool};
use crate::error::{Error, Result};

/// `resource-get NAME`: the resource was never uploaded, so the controller's download answers
/// "not found" (Juju prints the unit's resource URL on the controller).
pub fn resource_get(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    let Some(name) = a.pos.first() else {
        return Err(Error::usage("missing required resource name"));
    };
    no_more(&a.pos[1..])?;
    let unit_tag = t.unit().replace('/', "-");
    Err(Error::run(format!(
        "could not download resource: HTTP request failed: Get https://{}:17070/model/{}/units/unit-{unit_tag}/resources/{name}: resource#{}/{name} not found",
        crate::state::CONTROLLER_ADDRESS,
        t.cf.model.uuid,
        t.app(),
    )))
}

/// `credential-get`: only trusted applications may read the cloud spec; none is trusted here.
pub fn credential_get(_t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[flag(&["format"], true)])?;
    a.format()?;
    no_more(&a.pos)?;
    Err(Error::run(
        "cannot access cloud credentials: permission denied",
    ))
}

/// `add-metric [-l LABELS] key=value…`: metrics are refused outside collect-metrics.
pub fn add_metric(_t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[flag(&["l", "labels"], true)])?;
    if a.pos.is_empty() {
        return Err(Error::usage("no metrics specified"));
    }
    let metrics = super::unit::parse_key_values(&a.pos, false)
        .map_err(|e| Error::usage(format!("invalid metrics: {e}")))?;
    if let Some(labels) = a.get("l").filter(|l| !l.is_empty()) {
        let parts: Vec<String> = labels.split(',').map(String::from).collect();
        super::unit::parse_key_values(&parts, false)
            .map_err(|e| Error::usage(format!("invalid labels: {e}")))?;
    }
    if let Some(k) = metrics.keys().find(|k| k.starts_with("juju")) {
        return Err(Error::run(format!("{k} uses a reserved prefix")));
    }
    Err(Error::run(
        "cannot record metric: metrics not allowed in this context",
    ))
}

/// `juju-reboot [--now]`: refused in actions; in a hook Juju reboots the machine after the hook
/// (with `--now`: kills the hook and re-runs it after the reboot). The emulator has no machine:
/// it accepts the request and logs it.
pub fn juju_reboot(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[flag(&["now"], false)])?;
    no_more(&a.pos)?;
    if t.cf.ctx.action.is_some() {
        return Err(Error::run(
            "juju-reboot is not supported when running an action.",
        ));
    }
    let now = a.bool("now")?;
    crate::logs::append(
        &t.dir,
        t.unit(),
        "WARNING",
        &format!(
            "juju-reboot{} requested; juju-sim has no machine to reboot, the hook goes on",
            if now { " --now" } else { "" }
        ),
    );
    Ok(())
}

/// `k8s-spec-set`/`pod-spec-set` (`--file F [--k8s-resources F]`) and `k8s-raw-set`
/// (`--file F`): the spec (stdin by default) must not be empty and only the leader may set
/// it; on a machine model Juju then drops it at commit.
pub fn spec_set(t: &mut Tool, tool: &str, argv: &[String]) -> Result<()> {
    let raw = tool == "k8s-raw-set";
    let spec: &[super::Flag] = if raw {
        &[flag(&["file"], true)]
    } else {
        &[flag(&["file"], true), flag(&["k8s-resources"], true)]
    };
    let a = parse(argv, spec)?;
    no_more(&a.pos)?;
    let mut text = super::read_file_arg(a.get("file").unwrap_or("-"))?;
    if let Some(f) = a.get("k8s-resources").filter(|f| !f.is_empty()) {
        text.push_str(&super::read_file_arg(f)?);
    }
    if text.is_empty() {
        return Err(Error::run(if raw {
            "no k8s raw spec specified: pipe k8s raw spec to command, or specify a file with --file"
        } else {
            "no k8s spec specified: pipe k8s spec to command, or specify a file with --file"
        }));
    }
    if !t.is_leader() {
        return Err(Error::run("this unit is not the leader"));
    }
    Ok(())
}

/// `k8s-spec-get`/`pod-spec-get`/`k8s-raw-get`: the controller reads the spec from a k8s
/// model only.
pub fn spec_get(_t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    no_more(&a.pos)?;
    Err(Error::run(
        "called CAASModel() on a non-CAAS Model not supported",
    ))
}

/// `payload-register TYPE CLASS ID [TAGS…]`: the class must be in the charm's `payloads:`
/// with that type. Registered payloads are accepted and logged, not kept.
pub fn payload_register(t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    let [typ, class, id, ..] = a.pos.as_slice() else {
        return Err(Error::usage("missing required arguments"));
    };
    let meta = &t.cf.model.app(t.app())?.meta;
    match meta.payloads.get(class) {
        None => Err(Error::run(format!(
            "payload {class:?} not found in metadata.yaml"
        ))),
        Some(want) if want != typ => Err(Error::run(format!(
            "incorrect type {typ:?} for payload {class:?}, expected {want:?}"
        ))),
        Some(_) => {
            crate::logs::append(
                &t.dir,
                t.unit(),
                "WARNING",
                &format!("payload-register {class}/{id}: payloads are not modelled by juju-sim"),
            );
            Ok(())
        }
    }
}

/// `payload-unregister CLASS ID`: nothing was ever registered with the controller.
pub fn payload_unregister(_t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    let [class, id, rest @ ..] = a.pos.as_slice() else {
        return Err(Error::usage("missing required arguments"));
    };
    no_more(rest)?;
    Err(Error::run(format!("payload {class}/{id} not found")))
}

/// `payload-status-set CLASS ID STATUS`: the status must be a payload state; then, as for
/// unregister, the payload is unknown to the controller.
pub fn payload_status_set(_t: &mut Tool, argv: &[String]) -> Result<()> {
    let a = parse(argv, &[])?;
    let [class, id, status, rest @ ..] = a.pos.as_slice() else {
        return Err(Error::usage("missing required arguments"));
    };
    no_more(rest)?;
    const STATES: [&str; 4] = ["starting", "running", "stopping", "stopped"];
    if !STATES.contains(&status.as_str()) {
        return Err(Error::run(format!(
            "status {status:?} not supported; expected one of [\"running\", \"starting\", \"stopped\", \"stopping\"]"
        )));
    }
    Err(Error::run(format!("payload {class}/{id} not found")))
}
