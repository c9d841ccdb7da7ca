//! The one error type that services, the db layer and (later) sagas return.
//!
//! It knows nothing of HTTP: `rest/` renders it as each OpenStack service's fault body and
//! `types::AppError` carries it to the portal. Every variant keeps the message a client may
//! see apart from the internal cause, which is only logged.

use crate::message::Message;
use crate::server::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The resource does not exist, or the caller may not know that it does.
    #[error("could not find {kind}: {id}")]
    NotFound { kind: &'static str, id: String },
    /// A duplicate name, or a state that forbids the change.
    #[error("{0}")]
    Conflict(Message),
    /// The request itself is malformed or violates a rule.
    #[error("{0}")]
    InvalidRequest(Message),
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(Message),
    /// Valid credentials for a locked account.
    #[error("the account is locked for user: {user_id}")]
    AccountLocked { user_id: String },
    /// Authenticated but not allowed, for resources that are not hidden (global ones).
    #[error("{0}")]
    Forbidden(Message),
    /// The request's payload is over a limit (an image over the size cap).
    #[error("{0}")]
    TooLarge(Message),
    /// The request body is of a media type the operation does not take.
    #[error("{0}")]
    UnsupportedMediaType(Message),
    /// A project's quota would be exceeded.
    #[error("{0}")]
    OverQuota(Message),
    /// Anything else: a database or I/O failure. The cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// Another error with the name of the OpenStack exception behind it (Neutron's
    /// `NeutronError.type`: `IpAddressInUse`, `NetworkNotFound` ...). Every other
    /// renderer shows the inner error.
    #[error("{inner}")]
    Coded {
        code: &'static str,
        inner: Box<Error>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Error {
        Error::NotFound {
            kind,
            id: id.into(),
        }
    }

    pub fn invalid(message: Message) -> Error {
        Error::InvalidRequest(message)
    }

    pub fn unauthenticated() -> Error {
        Error::Unauthenticated(msg!("The request you have made requires authentication."))
    }

    pub fn forbidden(policy: &str) -> Error {
        Error::Forbidden(msg!(
            "You are not authorized to perform the requested action: {policy}.",
            policy
        ))
    }

    /// A refusal with the service's own words (Glance and Nova phrase each one).
    pub fn forbidden_msg(message: Message) -> Error {
        Error::Forbidden(message)
    }

    pub fn duplicate(kind: &str, name: &str) -> Error {
        Error::Conflict(msg!(
            "Conflict occurred attempting to store {kind} - Duplicate entry found with name {name}.",
            kind,
            name
        ))
    }

    /// Names the exception behind an error (see `Coded`).
    pub fn coded(code: &'static str, inner: Error) -> Error {
        Error::Coded {
            code,
            inner: Box::new(inner),
        }
    }

    /// The error without its exception name.
    pub fn plain(&self) -> &Error {
        match self {
            Error::Coded { inner, .. } => inner.plain(),
            e => e,
        }
    }

    pub fn into_plain(self) -> Error {
        match self {
            Error::Coded { inner, .. } => inner.into_plain(),
            e => e,
        }
    }

    pub fn internal(context: &'static str, e: impl Into<anyhow::Error>) -> Error {
        Error::Internal(e.into().context(context))
    }

    /// The message a client may see (`to_string()` is its English rendering).
    pub fn message(&self) -> Message {
        match self {
            Error::NotFound { kind, id } => msg!("Could not find {kind}: {id}.", kind, id),
            Error::AccountLocked { user_id } => {
                msg!("The account is locked for user: {user_id}.", user_id)
            }
            Error::Internal(_) => {
                msg!("An unexpected error prevented the server from fulfilling your request.")
            }
            Error::Conflict(m)
            | Error::InvalidRequest(m)
            | Error::Unauthenticated(m)
            | Error::Forbidden(m)
            | Error::TooLarge(m)
            | Error::UnsupportedMediaType(m)
            | Error::OverQuota(m) => m.clone(),
            Error::Coded { inner, .. } => inner.message(),
        }
    }

    /// The message a client may see, in English.
    pub fn external_message(&self) -> String {
        self.message().to_string()
    }

    /// Logs an internal error with its whole cause chain; other variants are the client's doing.
    pub fn log(&self) {
        if let Error::Internal(e) = self.plain() {
            tracing::error!(error.cause_chain = ?e, error.message = %e, "internal error");
        }
    }
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Error {
        Error::Internal(anyhow::Error::new(e).context("database"))
    }
}
