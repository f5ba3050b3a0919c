//! `ropc`: the password grant, refresh and HS256 verification for shell
//! scripts and small devices. Secrets come from the environment, files or
//! stdin, never from the command line. See `ropc --help`.
//!
//! One job per file: this one runs a command and maps its failure to an
//! exit status; [`args`] reads the arguments, [`help`] holds the help
//! texts, [`config`]
//! reads the environment, files and stdin, [`output`] writes JSON and
//! stdout, [`commands`] are the commands, and [`hygiene`] wipes what the
//! library cannot reach.
//!
//! `#![forbid(unsafe_code)]`: no `unsafe` block is written here. One thing
//! is unsafe in effect all the same, and said so: [`hygiene`] overwrites
//! the client secret's copy in the process's environment block by writing
//! `/proc/self/mem`, memory surgery through the kernel that the compiler
//! cannot check (best effort, Linux only, refused by some kernels and
//! policies; the module docs say why it is sound here and why it is done).

#![forbid(unsafe_code)]

mod args;
mod clock;
mod commands;
mod config;
mod help;
mod hygiene;
mod keysource;
mod output;

use std::io::Write;
use std::process::ExitCode;

use ropc::Error;

use args::Options;

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
            // A provider that said "not now" (429, 503) after the retries
            // (or asking for a longer wait than is waited for) is a passing
            // failure like a transport one; `temporarily_unavailable` is an
            // RFC 6749 refusal and stays 3.
            Error::Response(_) if e.was_not_processed() => 5,
            // Error::Response and anything added later.
            _ => 6,
        };
        let message = match &e {
            // How long was waited, and the variable that sets it.
            Error::Transport(t)
                if matches!(
                    t.kind,
                    ropc::TransportKind::Timeout | ropc::TransportKind::ConnectTimeout
                ) =>
            {
                format!(
                    "{}transport error: timed out: {}",
                    if t.endpoint == ropc::Endpoint::Jwks {
                        "fetching the key set (JWKS URL): "
                    } else {
                        ""
                    },
                    config::timeout_phrase(t.kind)
                )
            }
            Error::Jwt(j) => match clock::hint(j) {
                Some(hint) => format!("{e} ({hint})"),
                None => e.to_string(),
            },
            e => e.to_string(),
        };
        Fail { code, message }
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
    let help = |text: &str| {
        print!("{text}");
        Ok(())
    };
    match command.as_str() {
        "-h" | "--help" => help(help::MAIN),
        "-V" | "--version" => help(help::VERSION),
        // `ropc help`, `ropc help COMMAND`, and `ropc help --help` (the
        // help of `help`: the main help).
        "help" => match rest.first().map(String::as_str) {
            None | Some("-h" | "--help") => help(help::MAIN),
            Some(topic) => help(help::of(topic).ok_or_else(|| args::unknown_command(topic))?),
        },
        _ if rest.iter().any(|a| a == "-h" || a == "--help") => {
            help(help::of(command).ok_or_else(|| args::unknown_command(command))?)
        }
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
        "revoke" => {
            Options::parse(command, rest)?;
            commands::revoke()
        }
        "demo" => {
            Options::parse(command, rest)?;
            commands::demo()
        }
        _ => Err(args::unknown_command(command)),
    }
}
