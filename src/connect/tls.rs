//! rustls client configuration from the relation's CA.
//!
//! Pure (no I/O besides parsing the PEM text it is given).

use super::ConnectError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;

/// A verifying rustls config whose ONLY roots are the certificates in `ca_pem`.
pub fn only_ca(ca_pem: &str) -> Result<rustls::ClientConfig, ConnectError> {
    let mut roots = rustls::RootCertStore::empty();
    let mut n = 0;
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert =
            cert.map_err(|e| ConnectError::Setup(format!("the CA is not valid PEM ({e})")))?;
        roots
            .add(cert)
            .map_err(|e| ConnectError::Setup(format!("the CA certificate cannot be used ({e})")))?;
        n += 1;
    }
    if n == 0 {
        return Err(ConnectError::Setup(
            "the CA holds no PEM certificate".into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Setup(format!("TLS setup failed ({e})")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// A verifying rustls config with NO trusted roots: for clients whose endpoints are all plain
/// HTTP, so that no trust store is loaded; any TLS server would be rejected.
pub fn no_roots() -> Result<rustls::ClientConfig, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Setup(format!("TLS setup failed ({e})")))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth())
}
