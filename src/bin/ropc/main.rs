//! `ropc`: the password grant, refresh and HS256 verification for shell
//! scripts and small devices. Secrets come from the environment, files or
//! stdin, never from the command line. See `ropc --help`.

#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use ropc::jwt::{self, Validation};
use ropc::{Client, ClientAuth, Error, FileStore, Secret, Session, Setting, TokenStore, Tokens};
use zeroize::Zeroizing;

const HELP: &str = "\
ropc — OAuth 2.0 password grant client with HS256 verification

Usage: ropc <command> [options]

Commands:
  token                 password grant; prints the tokens and claims as JSON
  refresh               refresh grant (refresh token on stdin); same output
  verify                verify a JWT (on stdin) with the client secret; prints its claims
  access --store PATH   print a valid access token, refreshing or logging in as needed
  logout --store PATH   wipe and remove the token store
  demo                  run the whole flow against a built-in loopback provider

Options:
  -h, --help            this help (also `ropc <command> --help`)
  -V, --version         the version

Configuration (environment; secrets never on the command line):
  ROPC_TOKEN_URL        token URL (https; http only for loopback)
  ROPC_CLIENT_ID        client id
  ROPC_CLIENT_SECRET    client secret (also the HS256 key), or
  ROPC_CLIENT_SECRET_FILE  a file holding it (one trailing newline stripped)
  ROPC_USERNAME         the resource owner's username
  ROPC_PASSWORD_FILE    file holding the password; otherwise the first line of stdin
  ROPC_SCOPE            space-separated scopes (optional)
  ROPC_ISSUER           expected `iss` (optional)
  ROPC_AUDIENCE         expected `aud` (optional)
  ROPC_LEEWAY           clock leeway in seconds for exp/nbf/iat (optional, default 60)
  ROPC_CA_FILE          PEM bundle of extra trusted root certificates (optional)
  ROPC_TIMEOUT          whole-request timeout in seconds (optional, default 30)
  ROPC_CLIENT_AUTH      basic (default), basic-encoded (RFC 6749 2.3.1) or post

Exit status: 0 success; 2 usage or configuration error; 3 the provider refused;
4 the token failed verification; 5 transport failure; 6 malformed or oversized
provider response.
";

const HELP_TOKEN: &str = "\
Usage: ropc token

Runs the password grant with ROPC_USERNAME and the password from
ROPC_PASSWORD_FILE (or the first line of stdin), verifies the access token and
prints one JSON object on stdout:
  {\"token_type\", \"access_token\", \"refresh_token\", \"expires_in\", \"scope\", \"claims\"}
";

const HELP_REFRESH: &str = "\
Usage: ropc refresh

Reads a refresh token from the first line of stdin, runs the refresh grant,
verifies the new access token and prints the same JSON object as `ropc token`.
`refresh_token` is always the one to use next (the rotated one, or the one
passed in when the provider sent none).
";

const HELP_VERIFY: &str = "\
Usage: ropc verify

Reads a JWT from the first line of stdin and verifies it (HS256, key from
ROPC_CLIENT_SECRET or ROPC_CLIENT_SECRET_FILE; ROPC_ISSUER, ROPC_AUDIENCE and
ROPC_LEEWAY apply). Prints the verified claims as JSON, exactly as in the
token. Exit 4 names the failed check.
";

const HELP_ACCESS: &str = "\
Usage: ropc access --store PATH

Prints only a valid access token and a newline, for
  Authorization: Bearer $(ropc access --store PATH)
Uses the tokens in the store (created with mode 0600), refreshing when near
expiry and saving a rotated refresh token. Runs the password grant (password as
for `ropc token`) only when no usable refresh token is stored; with neither,
exits 3 with `login required`.

The store and PATH.lock must be regular files of yours: a symbolic link, FIFO,
device, directory, another user's file or a file that is not a ropc store is
refused (exit 2), before any password is sent, and left as it is. When the new
tokens cannot be saved, the access token is printed all the same, one line on
stderr says so, and the exit status is 2.
";

const HELP_LOGOUT: &str = "\
Usage: ropc logout --store PATH

Overwrites the token store with zeros and removes it. Only a ropc store (first
line `ropc-store 1`) of yours is wiped: a symbolic link, FIFO, device,
directory, another user's file or any other file is refused (exit 2) and left
as it is. PATH.lock is kept.
";

const HELP_DEMO: &str = "\
Usage: ropc demo

Starts the built-in loopback provider and runs the password grant, a refresh,
a verification and a refused wrong password against it. Needs the `testing`
feature.
";

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

mod hygiene;

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
        "-h" | "--help" | "help" => help(HELP),
        "-V" | "--version" => help(concat!("ropc ", env!("CARGO_PKG_VERSION"), "\n")),
        "token" if wants_help => help(HELP_TOKEN),
        "refresh" if wants_help => help(HELP_REFRESH),
        "verify" if wants_help => help(HELP_VERIFY),
        "access" if wants_help => help(HELP_ACCESS),
        "logout" if wants_help => help(HELP_LOGOUT),
        "demo" if wants_help => help(HELP_DEMO),
        "token" => {
            no_args(command, rest)?;
            token()
        }
        "refresh" => {
            no_args(command, rest)?;
            refresh()
        }
        "verify" => {
            no_args(command, rest)?;
            verify()
        }
        "access" => access(&store_path(command, rest)?),
        "logout" => logout(&store_path(command, rest)?),
        "demo" => {
            no_args(command, rest)?;
            demo()
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

fn store_path(command: &str, rest: &[String]) -> Result<std::path::PathBuf, Fail> {
    match rest {
        [flag, path] if flag == "--store" => Ok(path.into()),
        [one] if one.starts_with("--store=") => Ok(one["--store=".len()..].into()),
        _ => Err(Fail::usage(format!("usage: ropc {command} --store PATH"))),
    }
}

// ---------------------------------------------------------------------------
// Configuration

fn var(name: &str) -> Result<Option<String>, Fail> {
    match std::env::var(name) {
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Fail::usage(format!("{name} is not valid UTF-8")))
        }
    }
}

fn required(name: &str) -> Result<String, Fail> {
    var(name)?.ok_or_else(|| Fail::usage(format!("{name} is not set")))
}

/// Reads a whole secret file into a zeroized buffer (size-capped).
fn read_secret_file(var_name: &str, path: &str) -> Result<Zeroizing<String>, Fail> {
    const MAX: u64 = 64 * 1024;
    let fail = |why: String| Fail::usage(format!("{var_name}: cannot read {path}: {why}"));
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX {
        return Err(fail(format!("larger than {MAX} bytes")));
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(len).unwrap_or(0) + 1));
    file.take(MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX {
        return Err(fail(format!("larger than {MAX} bytes")));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| fail("not valid UTF-8".into()))?;
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    out.push_str(text);
    Ok(out)
}

/// Strips one trailing `\n` or `\r\n`.
fn strip_newline(s: &mut Zeroizing<String>) {
    let cut = if s.ends_with("\r\n") {
        2
    } else {
        usize::from(s.ends_with('\n'))
    };
    let keep = s.len() - cut;
    s.truncate(keep);
}

fn client_secret() -> Result<Secret, Fail> {
    let inline = var("ROPC_CLIENT_SECRET")?;
    let file = var("ROPC_CLIENT_SECRET_FILE")?;
    let secret = match (inline, file) {
        (Some(_), Some(_)) => {
            return Err(Fail::usage(
                "ROPC_CLIENT_SECRET and ROPC_CLIENT_SECRET_FILE are both set; set one",
            ));
        }
        (Some(s), None) => {
            let secret = Secret::from(s);
            // The copy the kernel put in the environment block outlives any
            // heap wiping: overwrite it (best effort; see hygiene.rs).
            hygiene::wipe_env_value("ROPC_CLIENT_SECRET");
            secret
        }
        (None, Some(path)) => {
            let mut s = read_secret_file("ROPC_CLIENT_SECRET_FILE", &path)?;
            strip_newline(&mut s);
            Secret::from(s)
        }
        (None, None) => {
            return Err(Fail::usage(
                "ROPC_CLIENT_SECRET or ROPC_CLIENT_SECRET_FILE is not set",
            ));
        }
    };
    if secret.is_empty() {
        return Err(Fail::usage("the client secret is empty"));
    }
    Ok(secret)
}

/// The largest line read from stdin (a password or a refresh token).
const MAX_STDIN_LINE: usize = 64 * 1024;

/// The first line of stdin (without its `\n` or `\r\n`), read without
/// std's stdin buffer so no unwiped copy is left behind. `None` when stdin
/// is empty. A longer line than [`MAX_STDIN_LINE`] is a usage error.
fn stdin_line(what: &str) -> Result<Option<Zeroizing<String>>, Fail> {
    match stdin_line_within(what, MAX_STDIN_LINE)? {
        Line::Empty => Ok(None),
        Line::Text(text) => Ok(Some(text)),
        Line::TooLong => Err(Fail::usage(format!(
            "{what} on stdin is longer than {MAX_STDIN_LINE} bytes"
        ))),
        Line::NotUtf8 => Err(Fail::usage(format!("{what} on stdin is not valid UTF-8"))),
    }
}

enum Line {
    /// Nothing on stdin.
    Empty,
    /// The first line.
    Text(Zeroizing<String>),
    /// The first line is longer than the cap: reading stopped there.
    TooLong,
    /// The first line is not UTF-8.
    NotUtf8,
}

/// The first line of stdin, reading no more than `max + 1` bytes of it.
fn stdin_line_within(what: &str, max: usize) -> Result<Line, Fail> {
    const MAX: usize = 64 * 1024;
    let max = max.min(MAX);
    let mut input = unbuffered(&std::io::stdin())
        .map_err(|e| Fail::usage(format!("cannot read {what} from stdin: {e}")))?;
    let mut line = Zeroizing::new(Vec::with_capacity(max + 1));
    let mut chunk = Zeroizing::new([0u8; 1024]);
    let mut saw_input = false;
    'read: loop {
        let n = match input.read(&mut chunk[..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Fail::usage(format!("cannot read {what} from stdin: {e}"))),
        };
        saw_input = true;
        for &b in &chunk[..n] {
            if b == b'\n' {
                break 'read;
            }
            if line.len() == max {
                return Ok(Line::TooLong);
            }
            line.push(b);
        }
    }
    if !saw_input {
        return Ok(Line::Empty);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let Ok(text) = std::str::from_utf8(&line) else {
        return Ok(Line::NotUtf8);
    };
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    out.push_str(text);
    Ok(Line::Text(out))
}

fn password() -> Result<Secret, Fail> {
    optional_password()?.ok_or_else(|| {
        Fail::usage("no password: set ROPC_PASSWORD_FILE or give it on the first line of stdin")
    })
}

/// The password from ROPC_PASSWORD_FILE or the first line of stdin; `None`
/// when neither gives one.
fn optional_password() -> Result<Option<Secret>, Fail> {
    let password = match var("ROPC_PASSWORD_FILE")? {
        Some(path) => {
            let mut s = read_secret_file("ROPC_PASSWORD_FILE", &path)?;
            strip_newline(&mut s);
            s
        }
        None => match stdin_line("the password")? {
            Some(s) => s,
            None => return Ok(None),
        },
    };
    if password.is_empty() {
        return Err(Fail::usage("the password is empty"));
    }
    Ok(Some(Secret::from(password)))
}

fn leeway() -> Result<Option<Duration>, Fail> {
    seconds("ROPC_LEEWAY", 24 * 3600)
}

fn seconds(name: &str, max: u64) -> Result<Option<Duration>, Fail> {
    match var(name)? {
        None => Ok(None),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n <= max => Ok(Some(Duration::from_secs(n))),
            _ => Err(Fail::usage(format!(
                "{name} must be a whole number of seconds from 0 to {max}"
            ))),
        },
    }
}

fn validation() -> Result<Validation, Fail> {
    let mut v = Validation::default();
    if let Some(iss) = var("ROPC_ISSUER")? {
        v = v.issuer(iss);
    }
    if let Some(aud) = var("ROPC_AUDIENCE")? {
        v = v.audience(aud);
    }
    if let Some(l) = leeway()? {
        v = v.leeway(l);
    }
    Ok(v)
}

fn client() -> Result<Client, Fail> {
    let url = required("ROPC_TOKEN_URL")?;
    let id = required("ROPC_CLIENT_ID")?;
    let secret = client_secret()?;
    let mut builder = Client::builder(url, id, secret).validation(validation()?);
    if let Some(t) = seconds("ROPC_TIMEOUT", 3600)? {
        if t.is_zero() {
            return Err(Fail::usage("ROPC_TIMEOUT must be at least 1 second"));
        }
        builder = builder
            .timeout(t)
            .connect_timeout(t.min(ropc::DEFAULT_CONNECT_TIMEOUT));
    }
    if let Some(auth) = var("ROPC_CLIENT_AUTH")? {
        builder = builder.client_auth(match auth.as_str() {
            "basic" => ClientAuth::Basic,
            "basic-encoded" => ClientAuth::BasicFormEncoded,
            "post" => ClientAuth::Post,
            _ => {
                return Err(Fail::usage(
                    "ROPC_CLIENT_AUTH must be basic, basic-encoded or post",
                ));
            }
        });
    }
    if let Some(ca) = var("ROPC_CA_FILE")? {
        builder = add_ca(builder, &ca)?;
    }
    builder.build().map_err(|e| match e {
        Error::Config(c) if c.setting == Setting::TokenUrl => {
            Fail::usage(format!("ROPC_TOKEN_URL {}", c.reason))
        }
        e => e.into(),
    })
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn add_ca(builder: ropc::ClientBuilder, path: &str) -> Result<ropc::ClientBuilder, Fail> {
    builder
        .add_root_certificates_file(path)
        .map_err(|e| match e {
            Error::Config(c) => Fail::usage(format!("ROPC_CA_FILE: {}", c.reason)),
            e => e.into(),
        })
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
fn add_ca(_: ropc::ClientBuilder, _: &str) -> Result<ropc::ClientBuilder, Fail> {
    Err(Fail::usage(
        "ROPC_CA_FILE is set, but ropc was built without TLS",
    ))
}

fn scopes() -> Result<Vec<String>, Fail> {
    Ok(var("ROPC_SCOPE")?
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default())
}

// ---------------------------------------------------------------------------
// Output

/// Appends `s` as a JSON string.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends JSON text with the whitespace between tokens removed; strings and
/// numbers are kept byte for byte (so `u64::MAX` or `2^53+1` keep their value).
fn push_compact_json(out: &mut String, json: &str) {
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
}

/// A `File` on a duplicate of the stream's descriptor: reads and writes go
/// straight to the kernel, not through std's stdin/stdout buffers, which are
/// never freed or wiped and would keep a copy of the password or the tokens
/// for the life of the process.
fn unbuffered(stream: &impl std::os::fd::AsFd) -> std::io::Result<std::fs::File> {
    Ok(std::fs::File::from(stream.as_fd().try_clone_to_owned()?))
}

/// Writes `text` to stdout in one go (unbuffered), then wipes it.
fn emit(text: Zeroizing<String>) -> Result<(), Fail> {
    let fail = |e: std::io::Error| Fail::usage(format!("cannot write to stdout: {e}"));
    // Anything std buffered earlier goes first.
    std::io::stdout().flush().map_err(fail)?;
    let mut out = unbuffered(&std::io::stdout()).map_err(fail)?;
    out.write_all(text.as_bytes()).map_err(fail)
}

fn tokens_json(tokens: &Tokens) -> Zeroizing<String> {
    let claims = tokens.claims().as_json();
    let access = tokens.access_token().expose_secret();
    let refresh = tokens.refresh_token().map(Secret::expose_secret);
    // Sized once for the worst case (every character escaped as \uXXXX), so
    // the buffer never grows and leaves an unwiped copy behind.
    let scope = tokens.scope().map_or(0, str::len);
    let mut out = Zeroizing::new(String::with_capacity(
        claims.len() + (access.len() + refresh.map_or(0, str::len) + scope) * 6 + 256,
    ));
    out.push_str("{\"token_type\":\"Bearer\",\"access_token\":");
    push_json_str(&mut out, access);
    out.push_str(",\"refresh_token\":");
    match refresh {
        Some(r) => push_json_str(&mut out, r),
        None => out.push_str("null"),
    }
    out.push_str(",\"expires_in\":");
    match tokens.expires_in() {
        Some(n) => out.push_str(&n.to_string()),
        None => out.push_str("null"),
    }
    out.push_str(",\"scope\":");
    match tokens.scope() {
        Some(s) => push_json_str(&mut out, s),
        None => out.push_str("null"),
    }
    out.push_str(",\"claims\":");
    push_compact_json(&mut out, claims);
    out.push_str("}\n");
    out
}

// ---------------------------------------------------------------------------
// Commands

fn token() -> Result<(), Fail> {
    let client = client()?;
    let username = required("ROPC_USERNAME")?;
    let password = password()?;
    let scopes = scopes()?;
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let tokens = client.password_grant(&username, &password, &scopes)?;
    drop(password);
    emit(tokens_json(&tokens))
}

fn refresh() -> Result<(), Fail> {
    let client = client()?;
    let refresh_token = stdin_line("the refresh token")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Fail::usage("no refresh token on the first line of stdin"))?;
    let refresh_token = Secret::from(refresh_token);
    let scopes = scopes()?;
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let tokens = client.refresh_with(&refresh_token, &scopes)?;
    emit(tokens_json(&tokens))
}

fn verify() -> Result<(), Fail> {
    let key = client_secret()?;
    let validation = validation()?;
    // A token longer than the verifier's cap is a failed verification like
    // any other (exit 4), found after reading one byte past the cap.
    let max = jwt::DEFAULT_MAX_TOKEN_SIZE;
    let token = match stdin_line_within("the token", max)? {
        Line::Empty => Zeroizing::new(String::new()),
        Line::Text(t) => t,
        Line::NotUtf8 => {
            return Err(Fail {
                code: 4,
                message: "token verification failed: malformed token: not UTF-8".into(),
            });
        }
        Line::TooLong => {
            return Err(Fail {
                code: 4,
                message: format!(
                    "token verification failed: token too large: longer than the {max}-byte limit"
                ),
            });
        }
    };
    let claims =
        jwt::verify(&token, key.expose_secret().as_bytes(), &validation).map_err(Error::Jwt)?;
    let mut out = Zeroizing::new(String::with_capacity(claims.as_json().len() + 1));
    push_compact_json(&mut out, claims.as_json());
    out.push('\n');
    emit(out)
}

fn access(store: &std::path::Path) -> Result<(), Fail> {
    let client = client()?;
    let session = Session::with_store(client, FileStore::new(store))?;
    let result = match session.access_token() {
        Err(Error::LoginRequired) => {
            // No usable refresh token: the password grant, but only when a
            // password is at hand (ROPC_PASSWORD_FILE, or a line on stdin).
            let username = var("ROPC_USERNAME")?;
            let password = optional_password()?;
            let (Some(username), Some(password)) = (username, password) else {
                return Err(Fail {
                    code: 3,
                    message: "login required: no usable refresh token is stored and no \
                              password was given (ROPC_USERNAME with ROPC_PASSWORD_FILE or stdin)"
                        .into(),
                });
            };
            let scopes = scopes()?;
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            session
                .login(&username, &password, &scopes)
                .map(|t| t.access_token().clone())
        }
        other => other,
    };
    // New tokens that could not be saved are still good for this run: the
    // token is printed, and the failure reported (exit 2).
    let (token, unsaved) = match result {
        Ok(t) => (t, None),
        Err(Error::Store(e)) if session.has_unsaved_tokens() => match session.tokens() {
            Some(t) => (t.access_token().clone(), Some(e)),
            None => return Err(Error::Store(e).into()),
        },
        Err(e) => return Err(e.into()),
    };
    let mut out = Zeroizing::new(String::with_capacity(token.len() + 1));
    out.push_str(token.expose_secret());
    out.push('\n');
    emit(out)?;
    match unsaved {
        None => Ok(()),
        Some(e) => Err(Fail {
            code: 2,
            message: format!(
                "the access token was printed, but the new refresh token could not be saved \
                 (the next run may need the password again): {e}"
            ),
        }),
    }
}

fn logout(store: &std::path::Path) -> Result<(), Fail> {
    let store = FileStore::new(store);
    // A path the store refuses gets no lock file created beside it.
    store.check()?;
    let _lock = store.lock()?;
    store.clear()?;
    Ok(())
}

#[cfg(feature = "testing")]
fn demo() -> Result<(), Fail> {
    use ropc::testing::{
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider,
    };
    let provider =
        Provider::start().map_err(|e| Fail::usage(format!("cannot start the provider: {e}")))?;
    eprintln!("ropc demo: loopback provider at {}", provider.url());
    let client = Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .issuer(provider.issuer())
        .audience(DEMO_CLIENT_ID)
        .build()?;
    eprintln!("ropc demo: password grant for {DEMO_USERNAME}");
    let tokens = client.password_grant(
        DEMO_USERNAME,
        &Secret::from(DEMO_PASSWORD),
        &["openid", "email"],
    )?;
    emit(tokens_json(&tokens))?;
    eprintln!("ropc demo: refresh");
    let refreshed = client.refresh(&tokens)?;
    emit(tokens_json(&refreshed))?;
    eprintln!("ropc demo: verify the new access token");
    let claims = jwt::verify(
        refreshed.access_token().expose_secret(),
        DEMO_CLIENT_SECRET.as_bytes(),
        client.validation(),
    )
    .map_err(Error::Jwt)?;
    eprintln!("ropc demo: verified, sub {:?}", claims.sub());
    match client.password_grant(DEMO_USERNAME, &Secret::from("wrong password"), &[]) {
        Err(Error::OAuth(e)) => {
            eprintln!("ropc demo: a wrong password is refused: {}", e.response);
        }
        _ => return Err(Fail::usage("the demo provider accepted a wrong password")),
    }
    eprintln!("ropc demo: done");
    Ok(())
}

#[cfg(not(feature = "testing"))]
fn demo() -> Result<(), Fail> {
    Err(Fail::usage(
        "`ropc demo` needs the `testing` feature (cargo run --features cli,testing -- demo)",
    ))
}
