//! The service layer: business rules, authorization, and the only callers of `db/`
//! (and, in later services, of `drivers/` and `sagas/`). REST handlers and server
//! functions are thin adapters over these methods.

/// An enum of names an API prints (Nova's states, Neutron's exception types), with the
/// name each variant is stored and shown as: `Variant = "text"`, or just `Variant` where
/// the text is the variant's own name.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident $(= $text:literal)?,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
        }

        impl $name {
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => named_enum!(@text $variant $($text)?),)*
                }
            }

            #[allow(dead_code)]
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    (@text $variant:ident $text:literal) => { $text };
    (@text $variant:ident) => { stringify!($variant) };
}

pub mod compute;
pub mod identity;
pub mod image;
pub mod network;
pub mod placement;

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A Keystone-style id: 32 lowercase hex digits.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The row with this id, or `NotFound` naming the kind of thing that was asked for.
pub(crate) async fn found<T: crate::server::db::Table>(
    c: &mut crate::server::db::C,
    kind: &'static str,
    id: &str,
) -> crate::server::error::Result<T> {
    crate::server::db::get::<T>(c, id)
        .await?
        .ok_or_else(|| crate::server::error::Error::not_found(kind, id))
}

/// Deletes the row with this id, or `NotFound` naming the kind of thing that was asked for.
pub(crate) async fn remove<T: crate::server::db::Table>(
    c: &mut crate::server::db::C,
    kind: &'static str,
    id: &str,
) -> crate::server::error::Result<()> {
    if crate::server::db::delete::<T>(c, id).await? {
        Ok(())
    } else {
        Err(crate::server::error::Error::not_found(kind, id))
    }
}
