//! `ropc`: the password grant, refresh and HS256 verification for shell
//! scripts and small devices. Secrets come from the environment, files or
//! stdin, never from the command line. See `ropc --help`.
//!
//! One job per file: this one reads the arguments, runs a command and maps
//! its failure to an exit status; [`help`] holds the help texts, [`config`]
//! reads the environment, files and stdin, [`output`] writes JSON and
//! stdout, [`commands`] are the commands, and [`hygiene`] wipes what the
//! library cannot reach.

#![forbid(unsafe_code)]

mod commands;
mod config;
mod help;
mod hygiene;
mod output;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ropc::Error;

/// A failure: the exit status and one line for stderr.
struct Fail {
    code: u8,
    message: String,
}

impl Fail {
    fn usage(message: impl Into<String>) -> Fail {
        Fail {
            code: 2,
            message: message.into(),
        }
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        let code = match &e {
            Error::Config(_) | Error::Store(_) => 2,
            Error::OAuth(_) | Error::LoginRequired => 3,
            Error::Jwt(_) => 4,
            Error::Transport(_) => 5,
            // Error::Response and anything added later.
            _ => 6,
        };
        Fail {
            code,
            message: e.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let code = run_and_report();
    // Every secret was dropped (and its heap block wiped) when `run`
    // returned; what is left is the copies on the stack.
    hygiene::scrub_stack();
    code
}

fn run_and_report() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // One line, printable characters only.
            let line: String = f
                .message
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let _ = writeln!(std::io::stderr(), "ropc: {line}");
            ExitCode::from(f.code)
        }
    }
}

fn run(args: &[String]) -> Result<(), Fail> {
    let Some(command) = args.first() else {
        return Err(Fail::usage("no command given (try `ropc --help`)"));
    };
    let rest = &args[1..];
    let wants_help = rest.iter().any(|a| a == "-h" || a == "--help");
    let help = |text: &str| {
        print!("{text}");
        Ok(())
    };
    match command.as_str() {
        "-h" | "--help" | "help" => help(help::MAIN),
        "-V" | "--version" => help(help::VERSION),
        "token" if wants_help => help(help::TOKEN),
        "refresh" if wants_help => help(help::REFRESH),
        "verify" if wants_help => help(help::VERIFY),
        "access" if wants_help => help(help::ACCESS),
        "logout" if wants_help => help(help::LOGOUT),
        "demo" if wants_help => help(help::DEMO),
        "token" => commands::token(Options::parse(command, rest)?.output()),
        "refresh" => commands::refresh(Options::parse(command, rest)?.output()),
        "verify" => {
            Options::parse(command, rest)?;
            commands::verify()
        }
        "access" => {
            let options = Options::parse(command, rest)?;
            commands::access(options.store(command)?, options.output())
        }
        "logout" => commands::logout(Options::parse(command, rest)?.store(command)?),
        "demo" => {
            Options::parse(command, rest)?;
            commands::demo()
        }
        // Not echoed, for the same reason as in `Options::parse`.
        _ => Err(Fail::usage("unknown command (try `ropc --help`)")),
    }
}

/// A command's options: `--store PATH` and `--output FILE` (also as
/// `--store=PATH`, `--output=FILE`), where the command takes them.
#[derive(Default)]
struct Options {
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
            _ => ("ropc demo", &[]),
        }
    }

    fn parse(command: &str, rest: &[String]) -> Result<Options, Fail> {
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
    fn store(&self, command: &str) -> Result<&Path, Fail> {
        self.store
            .as_deref()
            .ok_or_else(|| Fail::usage(format!("usage: {}", Options::usage(command).0)))
    }

    fn output(&self) -> Option<&Path> {
        self.output.as_deref()
    }
}
