//! `ropc`: the password grant, refresh and HS256 verification for shell
//! scripts and small devices. Secrets come from the environment, files or
//! stdin, never from the command line. See `ropc --help`: the contract (the
//! commands, the variables, the exit statuses) is there, and the notes
//! below only add to it.
//!
//! # Building it
//!
//! `cargo install --path . --features cli` (add `testing` for `ropc demo`):
//! a 3.8 MB release binary (2026-12-01). For a device, build the device
//! profile instead — 1.8 MB stripped with rustls, 0.8 MB without TLS for
//! loopback-only use (the crate documentation's "Performance and
//! footprint"):
//!
//! ```sh
//! cargo build --profile device --features cli      # target/device/ropc, stripped
//! ```
//!
//! # Recipes
//!
//! ```sh
//! # once: interactively (asked for on the terminal, no echo), or from a provisioning script (the password on stdin)
//! ropc access --store ~/.cache/my-app/tokens > /dev/null
//! ropc access --store ~/.cache/my-app/tokens < /run/my-app/password > /dev/null
//!
//! # then as often as you like, without the password:
//! curl -H "Authorization: Bearer $(ropc access --store ~/.cache/my-app/tokens)" https://api.example/v1/me
//!
//! # cron, every 5 minutes: the token file is replaced atomically (mode 0600) and
//! # left as it was on any failure (exit 3 = login required: alert a human)
//! */5 * * * * ropc access --store /var/lib/my-app/tokens --output /run/my-app/access-token || logger "my-app: ropc exit $?"
//!
//! # a shell loop
//! while sleep 60; do
//!     token=$(ropc access --store /var/lib/my-app/tokens) || break
//!     curl -s -H "Authorization: Bearer $token" https://api.example/v1/ping
//! done
//!
//! # end the session at the provider too (RFC 7009), then remove the store
//! ROPC_REVOCATION_URL=https://id.example/oauth/revoke ropc logout --store /var/lib/my-app/tokens
//!
//! # against the built-in loopback provider, no configuration needed
//! cargo run --features cli,testing -- demo
//! ```
//!
//! # Beyond `--help`
//!
//! * A secret given as an argument is refused, and not echoed. A mistyped
//!   command is named back with the nearest one when it looks like a
//!   command word; anything else is not echoed (it could be a secret typed
//!   in the wrong place). `ropc help [COMMAND]` is `ropc [COMMAND] --help`.
//! * Every file a variable names is read with a cap, however it is given (a
//!   regular file, a pipe, `/dev/zero`): 64 KiB for the secret and password
//!   files, 1 MiB for `ROPC_CA_FILE`; a larger one is exit 2 naming the
//!   variable, never an unbounded read. `ROPC_PASSWORD_FILE` follows the
//!   client secret file's mode rule. From stdin, only the line's `\n` or
//!   `\r\n` is stripped. `ROPC_CA_FILE`'s certificates are added to the
//!   built-in roots. `ROPC_REVOCATION_URL`, when set, is checked by every
//!   command.
//! * Missing or invalid configuration is exit 2 with one line naming every
//!   variable at fault at once, e.g. `ropc: ROPC_TOKEN_URL, ROPC_CLIENT_ID
//!   and ROPC_USERNAME are not set` — never `login required`. The password
//!   prompt on the terminal reads `ropc: password for alice: `.
//! * `claims` in the output of `token` and `refresh` is the verified JWT
//!   payload as signed, whitespace removed. `ropc verify` prints the claims
//!   exactly as in the token (u64::MAX, i64::MIN and 2^53+1 survive); an
//!   empty token, one that is not UTF-8, or one longer than the verifier's
//!   16 KiB cap (however long: reading stops one byte past the cap) exits 4.
//! * Errors go to stderr as one line starting `ropc: `; nothing secret is
//!   printed except the tokens on stdout that `token`/`refresh` exist to
//!   print.
//! * `logout`: the store is checked against whatever configuration is set;
//!   a mismatch is exit 2 and leaves the store as it is, with or without
//!   revocation; with no configuration set, `logout` without revocation
//!   removes any ropc store it can read back.
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
            // An `error` member with HTTP 429 or 503 (Auth0's rate limit
            // answer) is a "not now" like any other 429/503: exit 5 below.
            Error::OAuth(o)
                if o.response.code != ropc::ErrorCode::TemporarilyUnavailable
                    && e.was_not_processed() =>
            {
                5
            }
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
