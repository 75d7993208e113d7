//! SCRAM-SHA-512 client side (RFC 5802 with SHA-512, as Kafka's KIP-84 uses it) on `ring`,
//! which the charm already links through rustls. Pure: the caller moves the messages.
//!
//! The password never appears in an error: every error here is a fixed text or the server's
//! own `e=` value.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::rand::SecureRandom;
use ring::{digest, hmac, pbkdf2};
use std::num::NonZeroU32;
use thiserror::Error;

/// Why a SCRAM exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScramError {
    #[error("the broker's SCRAM message is not valid ({0})")]
    Malformed(&'static str),
    #[error("the broker's SCRAM nonce does not extend ours (not a SCRAM server, or a replay)")]
    Nonce,
    #[error("the broker refused the SCRAM exchange: {0}")]
    Server(String),
    #[error(
        "the broker's SCRAM signature does not verify (not the server that holds our credentials)"
    )]
    Signature,
    #[error("no random numbers for the SCRAM nonce")]
    Random,
}

/// The Kafka broker caps iterations at 16384 (ScramMechanism); more is refused here too, so a
/// hostile broker cannot make us spin.
const MAX_ITERATIONS: u32 = 16_384;

/// One exchange: `first` → `finish(server-first)` → `verify(server-final)`.
pub struct Scram {
    password: crate::secret::Secret,
    nonce: String,
    first_bare: String,
    server_signature: Option<Vec<u8>>,
}

/// RFC 5802 §5.1 `saslname`: `=` and `,` escaped.
fn saslname(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

impl Scram {
    pub fn new(user: &str, password: &crate::secret::Secret) -> Result<Scram, ScramError> {
        let mut raw = [0u8; 24];
        ring::rand::SystemRandom::new()
            .fill(&mut raw)
            .map_err(|_| ScramError::Random)?;
        Ok(Scram::with_nonce(user, password, &B64.encode(raw)))
    }

    fn with_nonce(user: &str, password: &crate::secret::Secret, nonce: &str) -> Scram {
        Scram {
            password: password.clone(),
            nonce: nonce.to_string(),
            first_bare: format!("n={},r={nonce}", saslname(user)),
            server_signature: None,
        }
    }

    /// client-first-message (no channel binding: `n,,`).
    pub fn first(&self) -> Vec<u8> {
        format!("n,,{}", self.first_bare).into_bytes()
    }

    /// client-final-message, from the server-first-message.
    pub fn finish(&mut self, server_first: &[u8]) -> Result<Vec<u8>, ScramError> {
        let sf =
            std::str::from_utf8(server_first).map_err(|_| ScramError::Malformed("not UTF-8"))?;
        let (mut r, mut s, mut i) = (None, None, None);
        for part in sf.split(',') {
            match part.split_at_checked(2) {
                Some(("r=", v)) => r = Some(v),
                Some(("s=", v)) => s = Some(v),
                Some(("i=", v)) => i = Some(v),
                Some(("e=", v)) => return Err(ScramError::Server(v.to_string())),
                _ => {}
            }
        }
        let r = r.ok_or(ScramError::Malformed("no nonce"))?;
        if !r.starts_with(&self.nonce) || r.len() == self.nonce.len() {
            return Err(ScramError::Nonce);
        }
        let salt = B64
            .decode(s.ok_or(ScramError::Malformed("no salt"))?)
            .map_err(|_| ScramError::Malformed("salt is not base64"))?;
        let iterations = i
            .ok_or(ScramError::Malformed("no iteration count"))?
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_ITERATIONS)
            .and_then(NonZeroU32::new)
            .ok_or(ScramError::Malformed("iteration count out of range"))?;
        let mut salted = [0u8; 64];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA512,
            iterations,
            &salt,
            self.password.expose().as_bytes(),
            &mut salted,
        );
        let salted_key = hmac::Key::new(hmac::HMAC_SHA512, &salted);
        let client_key = hmac::sign(&salted_key, b"Client Key");
        let stored_key = digest::digest(&digest::SHA512, client_key.as_ref());
        let without_proof = format!("c=biws,r={r}");
        let auth_message = format!("{},{sf},{without_proof}", self.first_bare);
        let client_signature = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA512, stored_key.as_ref()),
            auth_message.as_bytes(),
        );
        let proof: Vec<u8> = client_key
            .as_ref()
            .iter()
            .zip(client_signature.as_ref())
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = hmac::sign(&salted_key, b"Server Key");
        let server_signature = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA512, server_key.as_ref()),
            auth_message.as_bytes(),
        );
        self.server_signature = Some(server_signature.as_ref().to_vec());
        Ok(format!("{without_proof},p={}", B64.encode(proof)).into_bytes())
    }

    /// Checks the server-final-message: the server proves it knows our credentials too.
    pub fn verify(&self, server_final: &[u8]) -> Result<(), ScramError> {
        let sf =
            std::str::from_utf8(server_final).map_err(|_| ScramError::Malformed("not UTF-8"))?;
        let expected = self
            .server_signature
            .as_deref()
            .ok_or(ScramError::Malformed("server-final before server-first"))?;
        match sf.split_at_checked(2) {
            Some(("v=", v)) if B64.decode(v).ok().as_deref() == Some(expected) => Ok(()),
            Some(("e=", v)) => Err(ScramError::Server(v.to_string())),
            _ => Err(ScramError::Signature),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    /// A test-only SCRAM-SHA-512 server (RFC 5802 §3, the same primitives): checks the client
    /// proof and answers `v=`; a wrong password yields `e=invalid-proof`.
    fn server(
        password: &str,
        client_first: &[u8],
        mut client_final: impl FnMut(&[u8]) -> Vec<u8>,
    ) -> Result<(), ScramError> {
        let cf = std::str::from_utf8(client_first).unwrap();
        let bare = cf.strip_prefix("n,,").unwrap();
        let cnonce = bare.split(",r=").nth(1).unwrap();
        let salt = b"salty-salt";
        let iterations = 4096u32;
        let server_first = format!("r={cnonce}SERVER,s={},i={iterations}", B64.encode(salt));
        let cfinal = client_final(server_first.as_bytes());
        let cfinal = std::str::from_utf8(&cfinal).unwrap();
        let (without_proof, proof) = cfinal.rsplit_once(",p=").unwrap();
        let mut salted = [0u8; 64];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA512,
            NonZeroU32::new(iterations).unwrap(),
            salt,
            password.as_bytes(),
            &mut salted,
        );
        let sk = hmac::Key::new(hmac::HMAC_SHA512, &salted);
        let stored = digest::digest(&digest::SHA512, hmac::sign(&sk, b"Client Key").as_ref());
        let auth = format!("{bare},{server_first},{without_proof}");
        let sig = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA512, stored.as_ref()),
            auth.as_bytes(),
        );
        let client_key: Vec<u8> = B64
            .decode(proof)
            .unwrap()
            .iter()
            .zip(sig.as_ref())
            .map(|(a, b)| a ^ b)
            .collect();
        if digest::digest(&digest::SHA512, &client_key).as_ref() != stored.as_ref() {
            return Err(ScramError::Server("invalid-proof".into()));
        }
        Ok(())
    }

    fn server_final(
        password: &str,
        first_bare: &str,
        server_first: &str,
        without_proof: &str,
    ) -> String {
        let salt = b"salty-salt";
        let mut salted = [0u8; 64];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA512,
            NonZeroU32::new(4096).unwrap(),
            salt,
            password.as_bytes(),
            &mut salted,
        );
        let sk = hmac::Key::new(hmac::HMAC_SHA512, &salted);
        let server_key = hmac::sign(&sk, b"Server Key");
        let auth = format!("{first_bare},{server_first},{without_proof}");
        let v = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA512, server_key.as_ref()),
            auth.as_bytes(),
        );
        format!("v={}", B64.encode(v.as_ref()))
    }

    /// The right password passes the server's proof check and the server's signature passes
    /// ours; a wrong one is refused by the server.
    #[test]
    fn round_trip_against_an_rfc5802_server() {
        let pw = Secret::new("pa,ss=word");
        let mut c = Scram::new("relation-7", &pw).unwrap();
        let first = c.first();
        let mut sf_seen = String::new();
        server("pa,ss=word", &first, |sf| {
            sf_seen = String::from_utf8(sf.to_vec()).unwrap();
            c.finish(sf).unwrap()
        })
        .unwrap();
        let wp = format!(
            "c=biws,r={}",
            sf_seen.split(',').next().unwrap().trim_start_matches("r=")
        );
        let fin = server_final("pa,ss=word", &c.first_bare, &sf_seen, &wp);
        assert_eq!(c.verify(fin.as_bytes()), Ok(()));
        assert_eq!(c.verify(b"v=AAAA"), Err(ScramError::Signature));

        let mut wrong = Scram::new("relation-7", &Secret::new("other")).unwrap();
        let first = wrong.first();
        let refused = server("pa,ss=word", &first, |sf| wrong.finish(sf).unwrap());
        assert_eq!(refused, Err(ScramError::Server("invalid-proof".into())));
    }

    /// User names are escaped as RFC 5802 says; the nonce must extend ours; a server error and
    /// absurd iteration counts are refused; no error text holds the password.
    #[test]
    fn escaping_nonce_and_refusals() {
        let pw = Secret::new("hunter2-secret");
        let mut c = Scram::with_nonce("a=b,c", &pw, "NONCE");
        assert_eq!(c.first(), b"n,,n=a=3Db=2Cc,r=NONCE".to_vec());
        let cases: [(&str, ScramError); 5] = [
            ("r=OTHER,s=c2FsdA==,i=4096", ScramError::Nonce),
            ("r=NONCE,s=c2FsdA==,i=4096", ScramError::Nonce),
            ("e=unknown-user", ScramError::Server("unknown-user".into())),
            (
                "r=NONCEx,s=c2FsdA==,i=0",
                ScramError::Malformed("iteration count out of range"),
            ),
            (
                "r=NONCEx,s=c2FsdA==,i=99999999",
                ScramError::Malformed("iteration count out of range"),
            ),
        ];
        for (sf, want) in cases {
            let got = c.finish(sf.as_bytes()).unwrap_err();
            assert!(!got.to_string().contains("hunter2"), "{got}");
            assert_eq!(got, want, "{sf}");
        }
        assert_eq!(
            c.verify(b"v=AAAA"),
            Err(ScramError::Malformed("server-final before server-first"))
        );
    }
}
