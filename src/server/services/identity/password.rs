//! Password rules and argon2id hashing.
//!
//! Hashing is CPU-bound (tens of milliseconds by design), so it runs on the blocking pool.
//! Unknown users are checked against a dummy hash so that a login's timing does not tell
//! whether the user exists.

use std::sync::LazyLock;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};

use crate::server::error::{Error, Result};

pub const MIN_LENGTH: usize = 8;
/// argon2 hashes any length, but an unbounded one is a denial-of-service lever.
pub const MAX_LENGTH: usize = 1024;

/// Checks a new password against the rules; the message is for the user.
pub fn check_rules(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        return Err(Error::invalid(msg!(
            "Password must be at least {MIN_LENGTH} characters long.",
            MIN_LENGTH
        )));
    }
    if n > MAX_LENGTH {
        return Err(Error::invalid(msg!(
            "Password must be at most {MAX_LENGTH} characters long.",
            MAX_LENGTH
        )));
    }
    if password.chars().any(char::is_control) {
        return Err(Error::invalid(msg!(
            "Password must not contain control characters."
        )));
    }
    if password.trim().is_empty() {
        return Err(Error::invalid(msg!("Password must not be blank.")));
    }
    Ok(())
}

/// At most this many argon2 computations run at once (one per core): each takes 19 MiB
/// and a core for tens of milliseconds, so a burst of logins queues here instead of
/// growing memory and starving every other request of the blocking pool.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::sync::Semaphore::new(cores)
});

/// Runs one argon2 computation on the blocking pool, waiting for a free slot first.
async fn on_hashing_pool<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let _slot = HASHING
        .acquire()
        .await
        .map_err(|e| Error::internal(what, e))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::internal(what, e))
}

fn argon2() -> Argon2<'static> {
    // argon2id v19 with the crate's defaults (19 MiB, 2 passes, 1 lane): OWASP's minimum.
    Argon2::default()
}

/// Hashes a password (PHC string, argon2id).
pub async fn hash(password: SecretString) -> Result<String> {
    on_hashing_pool("hashing task", move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::internal("hashing a password", anyhow::anyhow!("{e}")))
    })
    .await?
}

static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(b"gureum-dummy-password", &salt)
        .expect("hash a constant")
        .to_string()
});

/// Verifies a password against a stored hash; `None` (no user, no password) always fails
/// but takes as long as a real check.
pub async fn verify(password: SecretString, stored: Option<String>) -> Result<bool> {
    on_hashing_pool("verifying task", move || {
        let (hash, real) = match &stored {
            Some(h) => (h.as_str(), true),
            None => (DUMMY_HASH.as_str(), false),
        };
        let parsed = match PasswordHash::new(hash) {
            Ok(p) => p,
            Err(_) => return false,
        };
        let ok = argon2()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok();
        ok && real
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let cases: &[(&str, bool)] = &[
            ("", false),
            ("short", false),
            ("1234567", false),
            ("12345678", true),
            ("correct horse battery staple", true),
            ("        ", false),
            ("abc\ndefgh", false),
            ("비밀번호비밀번호", true),
        ];
        for (pw, ok) in cases {
            assert_eq!(check_rules(pw).is_ok(), *ok, "{pw:?}");
        }
        assert!(check_rules(&"x".repeat(MAX_LENGTH + 1)).is_err());
    }

    #[tokio::test]
    async fn hash_is_argon2id_and_verifies() {
        let h = hash(SecretString::from("s3cret-pass")).await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify(SecretString::from("s3cret-pass"), Some(h.clone()))
            .await
            .unwrap());
        assert!(!verify(SecretString::from("wrong-pass"), Some(h))
            .await
            .unwrap());
        assert!(!verify(SecretString::from("gureum-dummy-password"), None)
            .await
            .unwrap());
    }
}
