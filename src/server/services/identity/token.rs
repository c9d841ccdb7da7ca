//! The token format: a signed, self-contained payload (like Keystone's Fernet tokens,
//! nothing is stored per token).
//!
//! `<payload>.<signature>`, both base64url without padding; the payload is compact JSON
//! and the signature is HMAC-SHA256 under a key kept in the database, so tokens survive a
//! restart and work on every controller. Validation is a MAC check plus a few indexed
//! reads (see `auth.rs`); revocation is by audit id.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::server::db::{self, Db};
use crate::server::error::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

/// What a token says. Field names are short because the token travels in every request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// Format version.
    pub v: u8,
    /// User id.
    pub u: String,
    /// Methods: "password", "application_credential", "token".
    pub m: Vec<String>,
    /// Project scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<String>,
    /// Domain scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// System scope (`all`, the only system there is).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub s: bool,
    /// Application credential id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ac: Option<String>,
    /// Issued at, expires at (unix seconds).
    pub iat: i64,
    pub exp: i64,
    /// Audit id: names this token in revocations and logs without revealing it.
    pub a: String,
}

pub struct Signer {
    /// Newest first; new tokens are signed with the first key, all are accepted.
    keys: Vec<Vec<u8>>,
}

impl Signer {
    pub fn new(keys: Vec<Vec<u8>>) -> Signer {
        assert!(!keys.is_empty(), "a signer needs a key");
        Signer { keys }
    }

    /// Reads the signing keys, creating the first one on a new database.
    pub async fn load_or_create(db: &Db) -> Result<Signer> {
        let mut conn = db.conn().await?;
        let mut keys = db::credentials::token_key_list(&mut conn).await?;
        if keys.is_empty() {
            let secret: [u8; 32] = rand::random();
            let encoded = URL_SAFE_NO_PAD.encode(secret);
            let id = super::super::new_id();
            db::credentials::token_key_insert(&mut conn, &id, &encoded, super::super::now())
                .await?;
            // Two controllers starting at once may both insert; read back so both use the same order.
            keys = db::credentials::token_key_list(&mut conn).await?;
        }
        let decoded = keys
            .into_iter()
            .map(|(_, secret)| {
                URL_SAFE_NO_PAD
                    .decode(secret)
                    .map_err(|e| Error::internal("decoding a token key", e))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Signer::new(decoded))
    }

    pub fn sign(&self, payload: &Payload) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(payload).expect("payload serializes"));
        let mut mac = HmacSha256::new_from_slice(&self.keys[0]).expect("hmac takes any key length");
        mac.update(body.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{sig}")
    }

    /// Checks the signature and decodes; says nothing about expiry or revocation.
    pub fn open(&self, token: &str) -> Option<Payload> {
        if token.len() > 4096 {
            return None;
        }
        let (body, sig) = token.split_once('.')?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        let genuine = self.keys.iter().any(|key| {
            let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes any key length");
            mac.update(body.as_bytes());
            mac.verify_slice(&sig).is_ok()
        });
        if !genuine {
            return None;
        }
        let payload: Payload = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        (payload.v == 1).then_some(payload)
    }
}

pub fn new_audit_id() -> String {
    let bytes: [u8; 16] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> Payload {
        Payload {
            v: 1,
            u: "0123456789abcdef0123456789abcdef".into(),
            m: vec!["password".into()],
            p: Some("fedcba9876543210fedcba9876543210".into()),
            d: None,
            s: false,
            ac: None,
            iat: 1_700_000_000,
            exp: 1_700_003_600,
            a: new_audit_id(),
        }
    }

    #[test]
    fn round_trip() {
        let signer = Signer::new(vec![b"k1".to_vec()]);
        let p = payload();
        let t = signer.sign(&p);
        assert_eq!(signer.open(&t), Some(p));
        // Opaque to URLs and headers: only base64url characters and one dot.
        assert!(t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'));
        assert_eq!(t.matches('.').count(), 1);
    }

    #[test]
    fn rejects_tampering_and_foreign_keys() {
        let signer = Signer::new(vec![b"k1".to_vec()]);
        let t = signer.sign(&payload());
        let (body, sig) = t.split_once('.').unwrap();
        // A payload for another user, with the old signature.
        let mut other = payload();
        other.u = "attacker".into();
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).unwrap());
        assert_eq!(signer.open(&format!("{forged_body}.{sig}")), None);
        assert_eq!(signer.open(&format!("{body}.AAAA")), None);
        assert_eq!(signer.open(body), None);
        assert_eq!(signer.open(""), None);
        assert_eq!(Signer::new(vec![b"k2".to_vec()]).open(&t), None);
    }

    #[test]
    fn old_keys_still_validate_after_rotation() {
        let old = Signer::new(vec![b"k1".to_vec()]);
        let t = old.sign(&payload());
        let rotated = Signer::new(vec![b"k2".to_vec(), b"k1".to_vec()]);
        assert!(rotated.open(&t).is_some());
        assert!(old.open(&rotated.sign(&payload())).is_none());
    }
}
