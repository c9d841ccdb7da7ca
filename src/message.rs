//! A message a person may read: an English template with named `{placeholders}` and their
//! values. The REST APIs send the English rendering (byte for byte what OpenStack says);
//! the portal renders the same message in the user's language from `i18n::errors`, keyed
//! by the English template. `msg!` builds one; `tests/tidy.rs` checks that every template
//! a service or a server function uses has a Korean rendering with the same placeholders.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Builds a [`Message`]: `msg!("Port {port} is in use.", port = id)`, or `msg!("... {id} ...", id)`
/// when a variable of the placeholder's name holds the value.
#[macro_export]
macro_rules! msg {
    (@value $name:ident $value:expr) => { $value };
    (@value $name:ident) => { $name };
    ($template:literal $(, $name:ident $(= $value:expr)?)* $(,)?) => {
        $crate::message::Message::new(
            $template,
            vec![$((stringify!($name), $crate::msg!(@value $name $($value)?).to_string()),)*],
        )
    };
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    template: Cow<'static, str>,
    args: Vec<(Cow<'static, str>, String)>,
}

impl Message {
    pub fn new(template: &'static str, args: Vec<(&'static str, String)>) -> Message {
        Message {
            template: Cow::Borrowed(template),
            args: args
                .into_iter()
                .map(|(name, value)| (Cow::Borrowed(name), value))
                .collect(),
        }
    }

    /// Words with no translation: what the REST layer passes on from elsewhere (a parser's
    /// complaint). Only `server/rest` may use it (`tests/tidy.rs`); the portal shows such
    /// text as it is.
    pub fn text(text: impl Into<String>) -> Message {
        Message {
            template: Cow::Owned(text.into()),
            args: Vec::new(),
        }
    }

    /// The English template: the key of the message's other renderings.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The value of one placeholder.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `template` (this message's or a translation of it) with the placeholders filled in;
    /// `word` may replace a value (a resource kind named in the user's language).
    pub fn render_with(
        &self,
        template: &str,
        word: impl Fn(&str, &str) -> Option<String>,
    ) -> String {
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) if self.arg(&after[..close]).is_some() => {
                    let name = &after[..close];
                    let value = self.arg(name).unwrap_or_default();
                    match word(name, value) {
                        Some(w) => out.push_str(&w),
                        None => out.push_str(value),
                    }
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The placeholders a template names, in order.
    pub fn placeholders(template: &str) -> Vec<&str> {
        let mut names = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close)
                    if !after[..close].is_empty()
                        && after[..close]
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    names.push(&after[..close]);
                    rest = &after[close + 1..];
                }
                _ => rest = after,
            }
        }
        names
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_with(&self.template, |_, _| None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_fills_its_placeholders_and_leaves_other_braces() {
        let port = "p1";
        let m = crate::msg!("Port {port} is in use by {device} {x}.", port, device = 7);
        assert_eq!(m.to_string(), "Port p1 is in use by 7 {x}.");
        assert_eq!(
            m.render_with("포트 {port}: {device}", |n, v| (n == "device")
                .then(|| format!("<{v}>"))),
            "포트 p1: <7>"
        );
        assert_eq!(Message::placeholders("a {b} {c_1} {} {d"), vec!["b", "c_1"]);
    }
}
