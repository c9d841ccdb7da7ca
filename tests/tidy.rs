//! The architecture invariants that a reader of the source can check, checked by reading
//! the source (rust-analyzer's `tidy` tests are the model): SQL only in the db layer,
//! processes only in the drivers, every public service method authorizes (or is on
//! ARCHITECTURE.md's list of exceptions), every `unsafe` has its SAFETY comment, the
//! layers import downwards only, and every message a service may send the portal has its
//! Korean rendering.
//!
//! Each check names the file and line that breaks it, so the failure says what to mend.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file: its path relative to the crate root and its lines, with the test
/// module at its end left out (tests may do what the code may not).
struct Source {
    path: String,
    lines: Vec<String>,
}

fn sources(dir: &str) -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join(dir), &mut files);
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).expect("source file");
            let lines = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .map(str::to_string)
                .collect();
            let path = file
                .strip_prefix(root)
                .expect("under the crate")
                .to_string_lossy()
                .into_owned();
            Source { path, lines }
        })
        .collect()
}

/// The code of a line: comments and the contents of string literals blanked, so a word in
/// a message or a comment is not taken for code.
fn code(line: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => {
                in_string = !in_string;
                out.push('"');
            }
            '/' if !in_string && chars.peek() == Some(&'/') => break,
            _ if in_string => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// `(file:line, text)` of every line in `files` whose code matches `bad`.
fn offending(files: &[Source], bad: impl Fn(&str, &str) -> bool) -> Vec<String> {
    files
        .iter()
        .flat_map(|f| {
            f.lines
                .iter()
                .enumerate()
                .filter(|(_, line)| bad(line, &code(line)))
                .map(move |(i, line)| format!("{}:{}: {}", f.path, i + 1, line.trim()))
        })
        .collect()
}

#[test]
fn sql_lives_only_in_the_db_layer() {
    const STATEMENTS: [&str; 8] = [
        "SELECT ",
        "INSERT INTO",
        "UPDATE ",
        "DELETE FROM",
        "CREATE TABLE",
        "ALTER TABLE",
        "DROP TABLE",
        "ON CONFLICT",
    ];
    let files: Vec<_> = [sources("src"), sources("benches")]
        .into_iter()
        .flatten()
        .filter(|f| !f.path.starts_with("src/server/db/"))
        .collect();
    let found = offending(&files, |line, code| {
        let calls = ["sqlx::query", "query_as(", "query_scalar(", "raw_sql("];
        calls.iter().any(|c| code.contains(c))
            || line.split('"').skip(1).step_by(2).any(|literal| {
                STATEMENTS
                    .iter()
                    .any(|s| literal.trim_start().starts_with(s))
            })
    });
    assert!(
        found.is_empty(),
        "SQL outside src/server/db (services reach the database through db::*):\n{}",
        found.join("\n")
    );
}

/// The one place outside the drivers that runs a process, as ARCHITECTURE.md says.
const SPAWN_EXCEPTION: &str = "src/server/services/image/inspect.rs";

#[test]
fn processes_are_spawned_only_by_the_drivers() {
    let architecture = read("ARCHITECTURE.md");
    assert!(
        architecture.contains(SPAWN_EXCEPTION.trim_start_matches("src/server/")),
        "ARCHITECTURE.md does not name {SPAWN_EXCEPTION} as the exception"
    );
    let files: Vec<_> = sources("src")
        .into_iter()
        .filter(|f| !f.path.starts_with("src/server/drivers/") && f.path != SPAWN_EXCEPTION)
        .collect();
    let found = offending(&files, |_, code| {
        [
            "process::Command",
            "Command::new(",
            "libc::fork",
            "libc::exec",
            "posix_spawn",
        ]
        .iter()
        .any(|c| code.contains(c))
    });
    assert!(
        found.is_empty(),
        "processes spawned outside src/server/drivers (a driver runs the host's tools):\n{}",
        found.join("\n")
    );
}

#[test]
fn every_unsafe_block_says_why_it_is_sound() {
    let files = sources("src");
    let mut found = Vec::new();
    for f in &files {
        for (i, line) in f.lines.iter().enumerate() {
            let code = code(line);
            if !(code.contains("unsafe {")
                || code.contains("unsafe fn")
                || code.contains("unsafe impl"))
            {
                continue;
            }
            // The SAFETY comment stands on the line itself or in the comment lines above it.
            let above = f.lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.trim_start().starts_with("//"));
            let said = line.contains("SAFETY:") || above.into_iter().any(|l| l.contains("SAFETY:"));
            if !said {
                found.push(format!("{}:{}: {}", f.path, i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "unsafe without a `// SAFETY:` comment just above it:\n{}",
        found.join("\n")
    );
}

/// A function of a service: where it is, whether it is public and a method, and its body's
/// code with all white space removed (so a call split over lines reads as one).
struct ServiceFn {
    at: String,
    public_method: bool,
    body: String,
}

/// Every function in `src/server/services`, read as rustfmt lays them out: the body ends at
/// the first closing brace at the function's own indentation.
fn service_fns() -> BTreeMap<String, Vec<ServiceFn>> {
    let mut fns: BTreeMap<String, Vec<ServiceFn>> = BTreeMap::new();
    for f in sources("src/server/services") {
        let mut in_service_impl = false;
        for (i, line) in f.lines.iter().enumerate() {
            if line.starts_with("impl") {
                in_service_impl = line.contains("Service {");
            }
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            let decl = ["pub async fn ", "pub fn ", "async fn ", "fn "]
                .iter()
                .find_map(|p| {
                    trimmed
                        .strip_prefix(p)
                        .map(|rest| (p.starts_with("pub "), rest))
                })
                .or_else(|| {
                    let rest = trimmed.strip_prefix("pub(")?;
                    let rest = &rest[rest.find(") ")? + 2..];
                    let rest = rest.strip_prefix("async ").unwrap_or(rest);
                    Some((false, rest.strip_prefix("fn ")?))
                });
            let Some((public, rest)) = decl else { continue };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let end = " ".repeat(indent) + "}";
            let body: Vec<&str> = f.lines[i..]
                .iter()
                .take_while(|l| **l != end)
                .map(String::as_str)
                .collect();
            let signature: String = body
                .iter()
                .take_while(|l| !l.trim_end().ends_with('{'))
                .chain(body.iter().find(|l| l.trim_end().ends_with('{')))
                .copied()
                .collect();
            fns.entry(name).or_default().push(ServiceFn {
                at: format!("{}:{}", f.path, i + 1),
                public_method: public
                    && in_service_impl
                    && indent == 4
                    && signature.contains("&self"),
                body: body
                    .iter()
                    .map(|l| code(l))
                    .collect::<String>()
                    .split_whitespace()
                    .collect(),
            });
        }
    }
    fns
}

/// The names ARCHITECTURE.md lists as the service methods that need not authorize: every
/// `name` in backticks in the invariant that starts "Every `pub` service method".
fn documented_exceptions() -> BTreeSet<String> {
    let architecture = read("ARCHITECTURE.md");
    let start = architecture
        .find("- Every `pub` service method")
        .expect("ARCHITECTURE.md states the authorization invariant");
    let rest = &architecture[start + 2..];
    let item = &rest[..rest.find("\n- ").unwrap_or(rest.len())];
    item.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| *w != "pub" && w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_public_service_method_authorizes_or_is_a_documented_exception() {
    let fns = service_fns();
    let exceptions = documented_exceptions();
    // A function authorizes when it calls authz::authorize or authz::visible itself, or
    // calls a function that does (every function of that name, to be safe).
    let direct = |f: &ServiceFn| {
        ["authorize(", "visible(", "visible_project("]
            .iter()
            .any(|check| f.body.contains(check))
    };
    // `callee(ctx` or `callee(&ctx` as a whole name: a method call or a free function.
    let calls = |body: &str, callee: &str| {
        [format!("{callee}(ctx"), format!("{callee}(&ctx")]
            .iter()
            .any(|call| {
                body.match_indices(call.as_str()).any(|(at, _)| {
                    !body[..at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                })
            })
    };
    let mut authorizing: BTreeSet<&str> = fns
        .iter()
        .filter(|(_, defs)| defs.iter().all(direct))
        .map(|(name, _)| name.as_str())
        .collect();
    loop {
        let more: Vec<&str> = fns
            .iter()
            .filter(|(name, _)| !authorizing.contains(name.as_str()))
            .filter(|(_, defs)| {
                defs.iter()
                    .all(|f| direct(f) || authorizing.iter().any(|callee| calls(&f.body, callee)))
            })
            .map(|(name, _)| name.as_str())
            .collect();
        if more.is_empty() {
            break;
        }
        authorizing.extend(more);
    }
    let unchecked: Vec<String> = fns
        .iter()
        .flat_map(|(name, defs)| defs.iter().map(move |f| (name, f)))
        .filter(|(name, f)| f.public_method && !authorizing.contains(name.as_str()))
        .filter(|(name, _)| !exceptions.contains(name.as_str()))
        .map(|(name, f)| format!("{} {name}", f.at))
        .collect();
    assert!(
        unchecked.is_empty(),
        "public service methods that neither authorize nor are named as exceptions in \
         ARCHITECTURE.md's invariant:\n{}",
        unchecked.join("\n")
    );
    // And the list names no method that no longer exists or that authorizes after all.
    let stale: Vec<&String> = exceptions
        .iter()
        .filter(|name| {
            fns.get(name.as_str()).is_none_or(|defs| {
                !defs.iter().any(|f| f.public_method) || authorizing.contains(name.as_str())
            })
        })
        .collect();
    assert!(
        stale.is_empty(),
        "ARCHITECTURE.md names as exceptions methods that are not public service methods \
         without authorization: {stale:?}"
    );
}

/// What each layer may not import: the layers point one way, from the portal and the APIs
/// down to the services, and from the services down to the database and the drivers.
const LAYERS: [(&str, &[&str]); 6] = [
    (
        "src/server/db/",
        &[
            "crate::server::services",
            "crate::server::drivers",
            "crate::server::rest",
            "crate::server::state",
            "crate::server_fns",
            "crate::ui",
            "crate::app",
        ],
    ),
    (
        "src/server/drivers/",
        &[
            "crate::server::services",
            "crate::server::db",
            "crate::server::rest",
            "crate::server::state",
            "crate::server_fns",
            "crate::ui",
            "crate::app",
        ],
    ),
    (
        "src/server/services/",
        &[
            "crate::server::rest",
            "crate::server::portal",
            "crate::server::application",
            "crate::server::state",
            "crate::server::config",
            "crate::server::status",
            "crate::server_fns",
            "crate::ui",
            "crate::app",
        ],
    ),
    (
        "src/server/rest/",
        &[
            "crate::server::portal",
            "crate::server::application",
            "crate::server_fns",
            "crate::ui",
            "crate::app",
        ],
    ),
    (
        "src/server_fns/",
        &[
            "crate::server::rest",
            "crate::server::application",
            "crate::ui",
            "crate::app",
        ],
    ),
    ("src/ui/", &["crate::app", "crate::server::"]),
];

#[test]
fn layers_import_downwards_only() {
    let mut found = Vec::new();
    for (layer, forbidden) in LAYERS {
        let files: Vec<_> = sources(layer.trim_end_matches('/'));
        assert!(!files.is_empty(), "no sources under {layer}");
        for hit in offending(&files, |_, code| forbidden.iter().any(|f| code.contains(f))) {
            found.push(hit);
        }
    }
    assert!(
        found.is_empty(),
        "imports that run back up a layer (move the shared piece down instead):\n{}",
        found.join("\n")
    );
}

/// The Rust string literals that follow `opener` in `text` (unescaped as the compiler does:
/// `\\`, `\"`, `\n`, and a backslash at a line's end swallowing the next line's indent),
/// with the line each starts on.
fn literals_after(text: &str, opener: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = rest.find(opener) {
        let after = &rest[at + opener.len()..];
        let trimmed = after.trim_start();
        let start = offset + at + opener.len() + (after.len() - trimmed.len());
        if let Some(body) = trimmed.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = body.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some('\n') => {
                            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                                chars.next();
                            }
                        }
                        Some(other) => value.push(other),
                        None => break,
                    },
                    c => value.push(c),
                }
            }
            out.push((text[..start].lines().count().max(1), value));
        }
        offset += at + opener.len();
        rest = &text[offset..];
    }
    out
}

/// The argument text of each call of `opener` (`bad_value(`), up to its closing parenthesis,
/// with the line it starts on.
fn call_arguments(text: &str, opener: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(opener) {
        let args = &text[at + opener.len()..];
        let mut depth = 1;
        let mut in_string = false;
        let mut escaped = false;
        let end = args.char_indices().find(|&(_, c)| {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '(' if !in_string => depth += 1,
                ')' if !in_string => depth -= 1,
                _ => {}
            }
            depth == 0
        });
        if let Some((end, _)) = end {
            out.push((text[..at].lines().count().max(1), args[..end].to_string()));
        }
    }
    out
}

/// The string literals in a piece of code, unescaped only as far as `\"`.
fn string_literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = code.chars();
    while chars.any(|c| c == '"') {
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => value.extend(chars.next()),
                c => value.push(c),
            }
        }
        out.push(value);
    }
    out
}

/// A source file's text as `sources` reads it (its test module left out).
fn joined(f: &Source) -> String {
    f.lines.join("\n")
}

/// The sources whose messages may reach the portal: all but the REST layer, whose own
/// messages go to API clients only, in English, as OpenStack's do (and `message.rs`, whose
/// examples are not messages).
fn outside_the_rest_layer() -> Vec<Source> {
    sources("src")
        .into_iter()
        .filter(|f| !f.path.starts_with("src/server/rest/") && f.path != "src/message.rs")
        .collect()
}

#[test]
fn every_message_the_portal_may_show_has_a_korean_rendering() {
    use gureum::i18n::errors::{ko, ko_noun};
    use gureum::message::Message;
    let files = outside_the_rest_layer();
    let mut found = Vec::new();
    let mut checked = 0;
    for f in &files {
        let text = joined(f);
        for (line, template) in literals_after(&text, "msg!(") {
            checked += 1;
            let here = format!("{}:{line}", f.path);
            match ko(&template) {
                None => found.push(format!("{here}: no Korean for {template:?}")),
                Some(korean) => {
                    let mut english = Message::placeholders(&template);
                    let mut theirs = Message::placeholders(korean);
                    english.sort();
                    english.dedup();
                    theirs.sort();
                    theirs.dedup();
                    if english != theirs {
                        found.push(format!(
                            "{here}: the Korean of {template:?} names {theirs:?}, not {english:?}"
                        ));
                    }
                }
            }
        }
        // The kinds that `{kind}` carries ("Could not find {kind}: {id}.").
        for opener in ["not_found(", "duplicate(", "kind: "] {
            for (line, kind) in literals_after(&text, opener) {
                if ko_noun(&kind).is_none() {
                    found.push(format!("{}:{line}: no Korean noun for {kind:?}", f.path));
                }
            }
        }
    }
    // The words that `{expected}` and `{what}` carry (Glance's "expected a boolean",
    // "the number of allowed image tags").
    use gureum::i18n::errors::ko_phrase;
    let mut phrases = 0;
    for f in sources("src") {
        let text = joined(&f);
        for (opener, pick_last) in [("bad_value(", true), ("over_limit(", false)] {
            for (line, args) in call_arguments(&text, opener) {
                // Words only: `format!("one of {}", list.join(", "))` carries "one of {}".
                let literals: Vec<String> = string_literals(&args)
                    .into_iter()
                    .filter(|l| l.chars().any(char::is_alphabetic))
                    .collect();
                let phrase = if pick_last {
                    literals.last()
                } else {
                    literals.first()
                };
                if let Some(phrase) = phrase {
                    phrases += 1;
                    if ko_phrase(phrase).is_none() {
                        found.push(format!(
                            "{}:{line}: no Korean for the phrase {phrase:?}",
                            f.path
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked > 100 && phrases > 10,
        "only {checked} messages and {phrases} phrases found: is the scan still right?"
    );
    assert!(
        found.is_empty(),
        "messages the Korean portal would show in English (add them to src/i18n/errors.rs):\n{}",
        found.join("\n")
    );
}

#[test]
fn text_without_a_translation_is_only_passed_on_by_the_rest_layer() {
    let files = outside_the_rest_layer();
    let found = offending(&files, |_, code| code.contains("Message::text("));
    assert!(
        found.is_empty(),
        "Message::text outside src/server/rest (a service's words go through msg!, which the portal translates):\n{}",
        found.join("\n")
    );
}

fn read(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
