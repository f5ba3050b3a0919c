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
use std::path::PathBuf;
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
        "token" => {
            no_args(command, rest)?;
            commands::token()
        }
        "refresh" => {
            no_args(command, rest)?;
            commands::refresh()
        }
        "verify" => {
            no_args(command, rest)?;
            commands::verify()
        }
        "access" => commands::access(&store_path(command, rest)?),
        "logout" => commands::logout(&store_path(command, rest)?),
        "demo" => {
            no_args(command, rest)?;
            commands::demo()
        }
        // Not echoed, for the same reason as in `no_args`.
        _ => Err(Fail::usage("unknown command (try `ropc --help`)")),
    }
}

fn no_args(command: &str, rest: &[String]) -> Result<(), Fail> {
    match rest.first() {
        None => Ok(()),
        // The argument is not echoed: it may be a secret typed in the wrong place.
        Some(_) => Err(Fail::usage(format!(
            "`ropc {command}` takes no argument (secrets come from the environment, files or stdin)"
        ))),
    }
}

fn store_path(command: &str, rest: &[String]) -> Result<PathBuf, Fail> {
    let path = match rest {
        [flag, path] if flag == "--store" => path,
        [one] if one.starts_with("--store=") => &one["--store=".len()..],
        _ => return Err(Fail::usage(format!("usage: ropc {command} --store PATH"))),
    };
    if path.is_empty() {
        return Err(Fail::usage(
            "--store is empty: give the path of the token store file",
        ));
    }
    Ok(path.into())
}
