//! The arguments: each command's options, and what is said about an
//! argument that is not one. An argument is shown back only when it looks
//! like a command word or an option (short, lowercase ASCII letters and
//! dashes): anything else may be a secret typed in the wrong place.

use std::path::{Path, PathBuf};

use crate::Fail;

/// The commands, for suggestions.
const COMMANDS: &[&str] = &[
    "token", "refresh", "verify", "access", "logout", "revoke", "demo", "help",
];
/// The options that stand in for a command.
const TOP_OPTIONS: &[&str] = &["--help", "--version"];

/// What is said about `word` where a command was expected: named with the
/// nearest command when it looks like a command word, not shown otherwise.
pub(crate) fn unknown_command(word: &str) -> Fail {
    let (what, candidates) = if word.starts_with('-') {
        ("option", TOP_OPTIONS)
    } else {
        ("command", COMMANDS)
    };
    Fail::usage(unknown(what, word, candidates, "(try `ropc --help`)"))
}

/// `unknown WHAT `WORD` (did you mean `X`?)`, or `unknown WHAT `WORD`
/// OTHERWISE`; `unknown WHAT (not shown: …) OTHERWISE` when `word` could be
/// a secret.
fn unknown(what: &str, word: &str, candidates: &[&str], otherwise: &str) -> String {
    if !shown(word) {
        return format!(
            "unknown {what} (not shown: it does not look like one, and could be a secret) \
             {otherwise}"
        );
    }
    match nearest(word, candidates) {
        Some(near) => format!("unknown {what} `{word}` (did you mean `{near}`?)"),
        None => format!("unknown {what} `{word}` {otherwise}"),
    }
}

/// Whether `word` may be shown back: 1 to 16 lowercase ASCII letters and
/// dashes, as command words and options are. A password or a token almost
/// never is; one that is would be a poor secret anyway.
fn shown(word: &str) -> bool {
    (1..=16).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

/// The candidate within two edits of `word` (insertions, deletions,
/// substitutions, swaps of neighbours), the closest first; none when
/// `word` is too short for that to mean anything.
fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= 2 && *d < word.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The optimal string alignment distance between two ASCII words.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // d[i][j]: the distance between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// A command's options: `--store PATH` and `--output FILE` (also as
/// `--store=PATH`, `--output=FILE`), where the command takes them.
#[derive(Default)]
pub(crate) struct Options {
    store: Option<PathBuf>,
    output: Option<PathBuf>,
}

impl Options {
    /// The usage line of `command`, and the options it takes.
    fn usage(command: &str) -> (&'static str, &'static [&'static str]) {
        match command {
            "token" => ("ropc token [--output FILE]", &["--output"]),
            "refresh" => ("ropc refresh [--output FILE]", &["--output"]),
            "access" => (
                "ropc access --store PATH [--output FILE]",
                &["--store", "--output"],
            ),
            "logout" => ("ropc logout --store PATH", &["--store"]),
            "verify" => ("ropc verify", &[]),
            "revoke" => ("ropc revoke", &[]),
            _ => ("ropc demo", &[]),
        }
    }

    pub(crate) fn parse(command: &str, rest: &[String]) -> Result<Options, Fail> {
        let (usage, takes) = Options::usage(command);
        // An argument that is not an option of the command is not echoed:
        // it may be a secret typed in the wrong place.
        let misplaced = || {
            Fail::usage(format!(
                "usage: {usage} (secrets come from the environment, files or stdin, never \
                 from arguments)"
            ))
        };
        let mut options = Options::default();
        let mut args = rest.iter();
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value)),
                _ => (arg.as_str(), None),
            };
            let Some(&name) = takes.iter().find(|t| **t == name) else {
                // An option of another spelling is named (its value never).
                if name.starts_with("--") && shown(name) {
                    let otherwise = format!("(usage: {usage})");
                    return Err(Fail::usage(unknown("option", name, takes, &otherwise)));
                }
                return Err(misplaced());
            };
            let value = match inline {
                Some(value) => value,
                None => args
                    .next()
                    .ok_or_else(|| Fail::usage(format!("usage: {usage}")))?,
            };
            let (slot, what) = if name == "--store" {
                (&mut options.store, "the token store file")
            } else {
                (&mut options.output, "the file to write")
            };
            if value.is_empty() {
                return Err(Fail::usage(format!(
                    "{name} is empty: give the path of {what}"
                )));
            }
            if slot.replace(value.into()).is_some() {
                return Err(Fail::usage(format!("{name} is given twice")));
            }
        }
        Ok(options)
    }

    /// `--store PATH`, which the command needs.
    pub(crate) fn store(&self, command: &str) -> Result<&Path, Fail> {
        self.store
            .as_deref()
            .ok_or_else(|| Fail::usage(format!("usage: {}", Options::usage(command).0)))
    }

    pub(crate) fn output(&self) -> Option<&Path> {
        self.output.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_insertions_deletions_substitutions_and_swaps() {
        assert_eq!(edit_distance("token", "token"), 0);
        assert_eq!(edit_distance("tokne", "token"), 1);
        assert_eq!(edit_distance("acess", "access"), 1);
        assert_eq!(edit_distance("tokens", "token"), 1);
        assert_eq!(edit_distance("taken", "token"), 1);
        assert_eq!(edit_distance("", "demo"), 4);
        assert_eq!(edit_distance("list", "demo"), 4);
    }

    #[test]
    fn only_command_like_words_are_shown() {
        for word in ["tokne", "list", "--stor", "x"] {
            assert!(shown(word), "{word}");
        }
        for word in [
            "",
            "Token",
            "hunter2",
            "pass word",
            "p@ss",
            "aaaaaaaaaaaaaaaaa",
            "é",
        ] {
            assert!(!shown(word), "{word}");
        }
    }

    #[test]
    fn a_suggestion_is_within_two_edits_and_shorter_than_the_word() {
        assert_eq!(nearest("refesh", COMMANDS), Some("refresh"));
        assert_eq!(nearest("verfy", COMMANDS), Some("verify"));
        assert_eq!(nearest("x", COMMANDS), None);
        assert_eq!(nearest("list", COMMANDS), None);
    }
}
