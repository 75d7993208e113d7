//! CA certificates in PEM, as relations send them: split a text (one certificate or a bundle)
//! into its certificates and keep only those that parse as an X.509 trust anchor.
//!
//! Pure. A relation's CA is untrusted input: a block that does not parse is reported by the
//! caller (naming the relation), never passed on to TLS or to a connector config.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// The most certificates one text may carry; a bundle is a handful, never thousands.
pub const MAX_CERTS: usize = 64;

/// The certificates of `text`, each as its own PEM block (`BEGIN`..`END`, newline-terminated),
/// in order, or why the text cannot be trusted. Text outside the blocks is ignored, as
/// OpenSSL and Java ignore it.
pub fn certificates(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start..];
        let Some(end) = after.find(END) else {
            return Err("a certificate has no END line".into());
        };
        let block = format!("{}\n", &after[..end + END.len()]);
        check(&block).map_err(|e| format!("certificate {} {e}", out.len() + 1))?;
        out.push(block);
        if out.len() > MAX_CERTS {
            return Err(format!("more than {MAX_CERTS} certificates"));
        }
        rest = &after[end + END.len()..];
    }
    if out.is_empty() {
        return Err("no PEM certificate".into());
    }
    Ok(out)
}

/// One PEM block parses as a certificate usable as a trust anchor.
fn check(block: &str) -> Result<(), String> {
    let der = CertificateDer::from_pem_slice(block.as_bytes())
        .map_err(|_| "is not valid PEM".to_string())?;
    rustls::RootCertStore::empty()
        .add(der)
        .map_err(|_| "is not an X.509 certificate".to_string())
}

/// A fresh self-signed CA certificate in PEM, for tests (`testing` feature).
#[cfg(any(test, feature = "testing"))]
pub fn test_ca(name: &str) -> String {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().pem()
}

#[cfg(test)]
mod tests {
    use super::test_ca as ca;
    use super::*;

    // proves a bundle splits into its certificates, in order, each a PEM block of its own
    #[test]
    fn splits_a_bundle() {
        let (a, b) = (ca("a"), ca("b"));
        let bundle = format!("subject=CN=a\n{a}\n# comment\n{b}");
        let certs = certificates(&bundle).unwrap();
        assert_eq!(
            certs,
            vec![a.trim().to_string() + "\n", b.trim().to_string() + "\n"]
        );
    }

    // proves garbage between the markers, a missing END and an empty text are refused by reason
    #[test]
    fn refuses_what_is_not_a_certificate() {
        assert_eq!(
            certificates(&format!("{BEGIN}\nbm90IGEgY2VydA==\n{END}\n")),
            Err("certificate 1 is not an X.509 certificate".into())
        );
        assert_eq!(
            certificates(&format!("{BEGIN}\n!!!\n{END}\n")),
            Err("certificate 1 is not valid PEM".into())
        );
        let good = ca("a");
        assert_eq!(
            certificates(&format!("{good}{BEGIN}\nMIIB")),
            Err("a certificate has no END line".into())
        );
        assert_eq!(certificates("disabled"), Err("no PEM certificate".into()));
    }

    // proves a bundle cannot make us parse without bound
    #[test]
    fn caps_the_number_of_certificates() {
        let one = ca("a");
        let many = one.repeat(MAX_CERTS + 1);
        assert_eq!(
            certificates(&many),
            Err(format!("more than {MAX_CERTS} certificates"))
        );
        assert_eq!(
            certificates(&one.repeat(MAX_CERTS)).unwrap().len(),
            MAX_CERTS
        );
    }
}
