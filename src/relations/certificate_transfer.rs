//! `certificate_transfer` requirer for `receive-ca-cert`: the CAs an operator tells us to trust
//! for Kafka Connect's certificate (docs/spec/relations.md §9), e.g.
//! `juju integrate mirrormaker:receive-ca-cert self-signed-certificates:send-ca-cert`.
//!
//! Wire format of `charmlibs-interfaces-certificate-transfer` 1.1.0: every value is
//! JSON-encoded on its own. We (leader) write `version` = `1` into our app databag; a v1
//! provider answers in its app databag with `certificates` (JSON list of PEMs), an older one in
//! its unit databag with `ca`, `certificate` and `chain` (JSON list). Like the library, we read
//! the app `certificates` and fall back to the first remote unit's `chain` (then `ca`) when it
//! is empty; unlike it, we also accept the unencoded values of the old v0 charm library.

use super::ensure_request as ensure;
use crate::juju::{Databag, HookTools, RelationRef, ToolError};

pub const CA_ENDPOINT: &str = "receive-ca-cert";
/// The requirer's `version` as the library writes it: the JSON encoding of the integer 1.
pub const REQUIRER_VERSION: &str = "1";
/// A databag value larger than this is not read (a CA bundle is a few KiB).
const MAX_VALUE_BYTES: usize = 256 * 1024;

/// The CAs one `receive-ca-cert` relation sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaBundle {
    pub rel: RelationRef,
    /// The provider application (named in statuses).
    pub app: String,
    /// One PEM certificate each, parsed as X.509; duplicates removed, in the provider's order.
    pub certs: Vec<String>,
    /// What was sent but refused, e.g. `certificates: certificate 2 is not valid PEM`.
    pub refused: Vec<String>,
}

/// Leader: writes our `version` unless it is there already; returns whether it wrote.
pub fn ensure_request(
    tools: &dyn HookTools,
    rel: &RelationRef,
    own_app: &str,
    own_unit: &str,
) -> Result<bool, ToolError> {
    ensure(
        tools,
        rel,
        own_app,
        own_unit,
        &[("version", REQUIRER_VERSION)],
    )
}

/// Reads what the provider sent on one relation; a malformed databag counts as no CA.
pub fn read(
    tools: &dyn HookTools,
    rel: &RelationRef,
    remote_app: &str,
) -> Result<CaBundle, ToolError> {
    let app_bag = tools.relation_get(rel, remote_app, true)?;
    let mut bundle = decode(rel, remote_app, &app_bag, None);
    if bundle.certs.is_empty() {
        if let Some(unit) = tools.relation_list(rel)?.into_iter().next() {
            let unit_bag = tools.relation_get(rel, &unit, false)?;
            bundle = decode(rel, remote_app, &app_bag, Some(&unit_bag));
        }
    }
    Ok(bundle)
}

/// The CAs of one relation from the provider's app databag and, when that has none, the v0
/// unit databag of its first unit. Pure.
pub fn decode(
    rel: &RelationRef,
    app: &str,
    app_bag: &Databag,
    unit_bag: Option<&Databag>,
) -> CaBundle {
    let mut bundle = CaBundle {
        rel: rel.clone(),
        app: app.to_string(),
        certs: Vec::new(),
        refused: Vec::new(),
    };
    add_field(&mut bundle, "certificates", app_bag.get("certificates"));
    if let Some(unit) = unit_bag.filter(|_| bundle.certs.is_empty()) {
        add_field(&mut bundle, "chain", unit.get("chain"));
        if bundle.certs.is_empty() {
            add_field(&mut bundle, "ca", unit.get("ca"));
        }
    }
    bundle
}

/// Adds the certificates of one databag field; what cannot be used goes to `refused`.
fn add_field(bundle: &mut CaBundle, field: &str, value: Option<&String>) {
    let Some(value) = value.map(|v| v.trim()).filter(|v| !v.is_empty()) else {
        return;
    };
    if value.len() > MAX_VALUE_BYTES {
        bundle
            .refused
            .push(format!("{field}: larger than {MAX_VALUE_BYTES} bytes"));
        return;
    }
    for (i, text) in entries(value).iter().enumerate() {
        match crate::pem::certificates(text) {
            Ok(certs) => {
                for c in certs {
                    if !bundle.certs.contains(&c) {
                        bundle.certs.push(c);
                    }
                }
            }
            Err(e) => bundle.refused.push(format!("{field}[{i}]: {e}")),
        }
    }
}

/// The PEM texts of a value: a JSON list of strings, a JSON string, or (old v0 charm library)
/// the raw PEM.
fn entries(value: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(value) {
        Ok(serde_json::Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Ok(serde_json::Value::String(s)) => vec![s],
        _ => vec![value.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::juju::memory::{MemoryTools, Relation, State};
    use crate::pem::test_ca;

    fn rel() -> RelationRef {
        RelationRef {
            endpoint: CA_ENDPOINT.into(),
            id: 9,
        }
    }

    fn bag(pairs: &[(&str, String)]) -> Databag {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn json<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }

    fn one(pem: &str) -> String {
        pem.trim().to_string() + "\n"
    }

    // proves the v1 answer (provider app databag `certificates`, a JSON list, every value
    // JSON-encoded as the library 1.1.0 writes it) is read, and every CA of it is trusted
    #[test]
    fn v1_app_databag() {
        let (a, b) = (test_ca("a"), test_ca("b"));
        let app = bag(&[("certificates", json(&[&a, &b])), ("version", "1".into())]);
        let got = decode(&rel(), "tls", &app, None);
        assert_eq!(got.certs, vec![one(&a), one(&b)]);
        assert!(got.refused.is_empty());
    }

    // proves the v0 answer (unit databag: JSON-encoded `ca`, `certificate`, `chain`) is read
    // from `chain` when the app databag has none, and `ca` alone is enough
    #[test]
    fn v0_unit_databag() {
        let (a, b) = (test_ca("a"), test_ca("b"));
        let unit = bag(&[
            ("ca", json(&a)),
            ("certificate", json(&a)),
            ("chain", json(&[&a, &b])),
            ("version", "0".into()),
        ]);
        let got = decode(&rel(), "tls", &Databag::new(), Some(&unit));
        assert_eq!(got.certs, vec![one(&a), one(&b)]);
        let only_ca = bag(&[("ca", json(&a))]);
        assert_eq!(
            decode(&rel(), "tls", &Databag::new(), Some(&only_ca)).certs,
            vec![one(&a)]
        );
    }

    // proves the old v0 charm library's unencoded values (raw PEM `ca`, a PEM entry that is
    // itself a bundle) are read too, with duplicates trusted once
    #[test]
    fn raw_pem_and_bundles_in_one_entry() {
        let (a, b) = (test_ca("a"), test_ca("b"));
        let unit = bag(&[("ca", format!("{a}{b}"))]);
        let got = decode(&rel(), "tls", &Databag::new(), Some(&unit));
        assert_eq!(got.certs, vec![one(&a), one(&b)]);
        let app = bag(&[("certificates", json(&[format!("{a}{b}"), a.clone()]))]);
        assert_eq!(
            decode(&rel(), "tls", &app, None).certs,
            vec![one(&a), one(&b)]
        );
    }

    // proves what is not a certificate is refused by field and index, never trusted, while
    // the good entries of the same bundle still count
    #[test]
    fn garbage_is_refused_by_name() {
        let a = test_ca("a");
        let fake = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----";
        let app = bag(&[("certificates", json(&[fake, &a]))]);
        let got = decode(&rel(), "tls", &app, None);
        assert_eq!(got.certs, vec![one(&a)]);
        assert_eq!(
            got.refused,
            vec!["certificates[0]: certificate 1 is not an X.509 certificate".to_string()]
        );
        let huge = bag(&[("certificates", "x".repeat(MAX_VALUE_BYTES + 1))]);
        assert_eq!(
            decode(&rel(), "tls", &huge, None).refused,
            vec![format!("certificates: larger than {MAX_VALUE_BYTES} bytes")]
        );
    }

    fn world(app_data: Databag, unit_data: Option<Databag>) -> MemoryTools {
        let mut s = State {
            app: "mm".into(),
            unit: "mm/0".into(),
            leader: true,
            ..Default::default()
        };
        s.relations.push(Relation {
            endpoint: CA_ENDPOINT.into(),
            id: 9,
            remote_app: "tls".into(),
            remote_units: vec!["tls/0".into()],
            remote_app_data: app_data,
            remote_units_data: unit_data
                .map(|d| [("tls/0".to_string(), d)].into_iter().collect())
                .unwrap_or_default(),
            ..Default::default()
        });
        MemoryTools::new(s)
    }

    // proves `read` goes to the first remote unit's databag only when the app databag has no
    // CA, and the leader's request is `version` = `1` in our app databag, written once
    #[test]
    fn read_and_request_through_hook_tools() {
        let a = test_ca("a");
        let t = world(Databag::new(), Some(bag(&[("chain", json(&[&a]))])));
        assert_eq!(read(&t, &rel(), "tls").unwrap().certs, vec![one(&a)]);
        assert!(ensure_request(&t, &rel(), "mm", "mm/0").unwrap());
        assert!(!ensure_request(&t, &rel(), "mm", "mm/0").unwrap());
        let st = t.into_state();
        assert_eq!(st.relations[0].local_app, bag(&[("version", "1".into())]));
        assert!(st.relations[0].local_unit.is_empty());

        let t = world(bag(&[("certificates", json(&[&a]))]), None);
        assert_eq!(read(&t, &rel(), "tls").unwrap().certs, vec![one(&a)]);
    }
}
