//! No two relations may name the same Juju secret. A provider's databag names its secrets by
//! URI (`secret-user`, `secret-tls`) and Juju lets us read any secret granted to us, so a
//! hostile or broken provider could point us at another relation's credentials (the target's
//! Kafka user, Kafka Connect's REST user) and have us use them against its own brokers. A URI
//! named by two relations therefore blocks the pass, naming both; the data of neither is used.
//!
//! Pure.

use super::provider::SecretRef;
use crate::juju::RelationRef;

/// One relation as the check sees it.
pub struct Named<'a> {
    pub rel: &'a RelationRef,
    pub app: &'a str,
    pub secrets: &'a [SecretRef],
}

/// The secret id a URI names: `secret:<id>` and `secret://<model uuid>/<id>` are the same
/// secret (relations.md §2.1: treat URIs as opaque, but compare what they identify).
pub fn secret_id(uri: &str) -> &str {
    let uri = uri.trim();
    let rest = uri.strip_prefix("secret:").unwrap_or(uri);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    rest.rsplit('/').next().unwrap_or(rest)
}

/// Why the relations cannot be used when two of them name one secret, e.g.
/// `kafka-a (source:3) and kafka-b (target:4) name one secret (secret-user): not used; remove
/// the wrong relation` (short: it is the unit's status).
pub fn reused(relations: &[Named<'_>]) -> Option<String> {
    for (i, a) in relations.iter().enumerate() {
        for b in &relations[i + 1..] {
            for sa in a.secrets {
                if let Some(sb) = b
                    .secrets
                    .iter()
                    .find(|sb| secret_id(&sb.uri) == secret_id(&sa.uri))
                {
                    return Some(format!(
                        "{} and {} name one secret ({}{}): not used; remove the wrong relation",
                        who(a),
                        who(b),
                        sa.field,
                        if sa.field == sb.field {
                            String::new()
                        } else {
                            format!(", {}", sb.field)
                        },
                    ));
                }
            }
        }
    }
    None
}

/// `kafka-a (source:3)`.
fn who(n: &Named<'_>) -> String {
    format!("{} ({}:{})", n.app, n.rel.endpoint, n.rel.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(endpoint: &str, id: u64) -> RelationRef {
        RelationRef {
            endpoint: endpoint.into(),
            id,
        }
    }

    fn refs(pairs: &[(&str, &str)]) -> Vec<SecretRef> {
        pairs
            .iter()
            .map(|(f, u)| SecretRef {
                field: f.to_string(),
                uri: u.to_string(),
            })
            .collect()
    }

    // proves both URI forms of one secret are the same id, and distinct ids differ
    #[test]
    fn uri_forms_compare_by_id() {
        assert_eq!(
            secret_id("secret:cq7k2a0n8g6s73b4f3og"),
            "cq7k2a0n8g6s73b4f3og"
        );
        assert_eq!(
            secret_id(" secret://5b2e4a3c-1d2e-4f60-8a9b-0c1d2e3f4a5b/cq7k2a0n8g6s73b4f3og "),
            "cq7k2a0n8g6s73b4f3og"
        );
        assert_ne!(secret_id("secret:a"), secret_id("secret:b"));
    }

    // proves a source naming the target's user secret, or Connect's, is found and both
    // relations are named; distinct secrets everywhere pass
    #[test]
    fn reuse_across_relations_is_found_and_named() {
        let (s, t, c) = (rel("source", 3), rel("target", 4), rel("connect-client", 5));
        let ok = [
            refs(&[
                ("secret-user", "secret:a-user"),
                ("secret-tls", "secret:a-tls"),
            ]),
            refs(&[
                ("secret-user", "secret:b-user"),
                ("secret-tls", "secret:b-tls"),
            ]),
            refs(&[("secret-user", "secret:c-user")]),
        ];
        let named = |secrets: &[Vec<SecretRef>; 3]| -> Option<String> {
            let n: Vec<Named> = [(&s, "kafka-a"), (&t, "kafka-b"), (&c, "kafka-connect")]
                .iter()
                .zip(secrets.iter())
                .map(|((rel, app), secrets)| Named { rel, app, secrets })
                .collect();
            reused(&n)
        };
        assert_eq!(named(&ok), None);

        let mut bad = ok.clone();
        bad[0][0].uri = "secret://model/b-user".into();
        assert_eq!(
            named(&bad).unwrap(),
            "kafka-a (source:3) and kafka-b (target:4) name one secret (secret-user): \
             not used; remove the wrong relation"
        );
        let mut bad = ok.clone();
        bad[0][1].uri = "secret:c-user".into();
        assert_eq!(
            named(&bad).unwrap(),
            "kafka-a (source:3) and kafka-connect (connect-client:5) name one secret \
             (secret-tls, secret-user): not used; remove the wrong relation"
        );
    }
}
