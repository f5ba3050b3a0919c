//! Configuration from the environment: the variables, secret files, the
//! first line of stdin, and the client and validation built from them.
//! Secrets are read into zeroized buffers and never echoed in a message.
//!
//! A command reads all it needs into one [`Problems`] before doing anything,
//! so that a configuration error names every variable at fault at once.

use std::io::ErrorKind;
use std::time::Duration;

use ropc::jwt::Validation;
use ropc::{Client, ClientAuth, Error, MAX_SECRET_SIZE, Secret, Setting};

use crate::Fail;
use crate::hygiene;
use crate::keysource::KeySource;
use crate::output::unbuffered;

pub(crate) fn var(name: &str) -> Result<Option<String>, Fail> {
    match std::env::var(name) {
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Fail::usage(format!("{name} is not valid UTF-8")))
        }
    }
}

/// The configuration problems found so far: the variables that are missing
/// and what is wrong with the others. [`done`](Problems::done) turns them
/// into one line naming every variable at fault.
#[derive(Default)]
pub(crate) struct Problems {
    missing: Vec<&'static str>,
    invalid: Vec<String>,
}

impl Problems {
    /// The variable `name`, `None` when unset (or invalid: recorded).
    pub(crate) fn var(&mut self, name: &'static str) -> Option<String> {
        self.ok(var(name)).flatten()
    }

    /// The variable `name`; recorded as missing when unset.
    pub(crate) fn required(&mut self, name: &'static str) -> Option<String> {
        match var(name) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                self.missing.push(name);
                None
            }
            Err(f) => {
                self.invalid.push(f.message);
                None
            }
        }
    }

    /// `r`'s value, or `None` with its message recorded.
    pub(crate) fn ok<T>(&mut self, r: Result<T, Fail>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(f) => {
                self.invalid.push(f.message);
                None
            }
        }
    }

    /// Records a missing setting (a variable name, or a phrase naming two).
    pub(crate) fn missing(&mut self, what: &'static str) {
        self.missing.push(what);
    }

    /// Records what is wrong with a variable.
    pub(crate) fn invalid(&mut self, message: impl Into<String>) {
        self.invalid.push(message.into());
    }

    /// `value` when nothing was found; otherwise the one-line error of
    /// [`done`](Problems::done). (`value` is `Some` whenever nothing was
    /// found: every `None` was recorded as a problem.)
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, Fail> {
        self.done()?;
        value.ok_or_else(|| Fail::usage("the configuration is incomplete"))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.invalid.is_empty()
    }

    /// `Ok` when nothing was found; otherwise exit 2 with one line:
    /// `A, B and C are not set; D must be …; E …`.
    pub(crate) fn done(self) -> Result<(), Fail> {
        if self.is_empty() {
            return Ok(());
        }
        let mut parts = Vec::with_capacity(1 + self.invalid.len());
        if let Some((last, rest)) = self.missing.split_last() {
            parts.push(if rest.is_empty() {
                format!("{last} is not set")
            } else {
                format!("{} and {last} are not set", rest.join(", "))
            });
        }
        parts.extend(self.invalid);
        Err(Fail::usage(parts.join("; ")))
    }
}

/// Reads a whole secret file ([`Secret::from_reader`]: 64 KiB at most,
/// into zeroized buffers, one trailing newline dropped), after refusing one
/// that others may read or write (looked at on the open file, so the file
/// read is the file checked). Every problem is said with `var_name` and the
/// path.
fn read_secret_file(var_name: &str, path: &str) -> Result<Secret, Fail> {
    let fail = |why: String| Fail::usage(format!("{var_name}: cannot read {path}: {why}"));
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let meta = file.metadata().map_err(|e| fail(e.to_string()))?;
    private_enough(&meta).map_err(|why| Fail::usage(format!("{var_name}: {path} {why}")))?;
    Secret::from_reader(file).map_err(|e| fail(e.to_string()))
}

/// Refuses a secret file that others may read or write, or its group write
/// (the token store is stricter, as ropc creates it itself; a secret file
/// is often provisioned `root:app` 0640 for a service's group). Only
/// regular files are looked at: a pipe (`<(pass show …)`) is the caller's.
fn private_enough(meta: &std::fs::Metadata) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if meta.is_file() && mode & 0o026 != 0 {
            return Err(format!(
                "is readable or writable by others, or writable by its group (mode {mode:04o}); \
                 refusing to use it (0600, 0400 or 0640 will do)"
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// The client secret, from `ROPC_CLIENT_SECRET` or `ROPC_CLIENT_SECRET_FILE`;
/// recorded as missing when neither is set.
pub(crate) fn client_secret(p: &mut Problems) -> Option<Secret> {
    let secret = optional_client_secret(p, "");
    if matches!(secret, Some(None)) {
        p.missing("ROPC_CLIENT_SECRET (or ROPC_CLIENT_SECRET_FILE)");
    }
    secret.flatten()
}

/// The client secret when one is set: `Some(None)` when neither variable
/// is, `None` when what is set is invalid (recorded). `why` is added to a
/// problem's message (why the secret is needed at all).
fn optional_client_secret(p: &mut Problems, why: &str) -> Option<Option<Secret>> {
    let inline = p.var("ROPC_CLIENT_SECRET");
    let file = p.var("ROPC_CLIENT_SECRET_FILE");
    let secret = match (inline, file) {
        (Some(_), Some(_)) => {
            hygiene::wipe_env_value("ROPC_CLIENT_SECRET");
            p.invalid("ROPC_CLIENT_SECRET and ROPC_CLIENT_SECRET_FILE are both set; set one");
            return None;
        }
        (Some(s), None) => {
            let secret = Secret::from(s);
            // The copy the kernel put in the environment block outlives any
            // heap wiping: overwrite it (best effort; see hygiene.rs).
            hygiene::wipe_env_value("ROPC_CLIENT_SECRET");
            secret
        }
        (None, Some(path)) => {
            let secret = p.ok(read_secret_file("ROPC_CLIENT_SECRET_FILE", &path))?;
            if secret.is_empty() {
                p.invalid(format!("ROPC_CLIENT_SECRET_FILE: {path} is empty{why}"));
                return None;
            }
            secret
        }
        (None, None) => return Some(None),
    };
    Some(Some(secret))
}

/// The first line of stdin (without its `\n` or `\r\n`), at most 64 KiB
/// ([`MAX_SECRET_SIZE`]); `None` when stdin is empty. Too long or not UTF-8
/// is a usage error naming `what`.
pub(crate) fn stdin_line(what: &str) -> Result<Option<Secret>, Fail> {
    stdin_line_within(MAX_SECRET_SIZE).map_err(|e| {
        Fail::usage(match e.kind() {
            ErrorKind::FileTooLarge => {
                format!("{what} on stdin is longer than {MAX_SECRET_SIZE} bytes")
            }
            ErrorKind::InvalidData => format!("{what} on stdin is not valid UTF-8"),
            _ => format!("cannot read {what} from stdin: {e}"),
        })
    })
}

/// The first line of stdin, at most `max` bytes long, as
/// [`Secret::read_first_line`] reads it (a byte at a time into a zeroized
/// buffer, no further than two bytes past `max`), straight from the
/// descriptor: std's stdin buffer, never wiped, keeps no copy. `None` when
/// stdin is empty.
///
/// # Errors
///
/// As [`Secret::read_first_line`]: `FileTooLarge`, `InvalidData` (not
/// UTF-8), or the read's own.
pub(crate) fn stdin_line_within(max: usize) -> std::io::Result<Option<Secret>> {
    Secret::read_first_line(unbuffered(&std::io::stdin())?, max)
}

pub(crate) fn password(username: &str) -> Result<Secret, Fail> {
    optional_password(username)?.ok_or_else(|| {
        Fail::usage("no password: set ROPC_PASSWORD_FILE or give it on the first line of stdin")
    })
}

/// The password: from `ROPC_PASSWORD_FILE`; otherwise, when stdin is a
/// terminal, asked for on the terminal without echo; otherwise the first
/// line of stdin. `None` when stdin gives none.
pub(crate) fn optional_password(username: &str) -> Result<Option<Secret>, Fail> {
    use std::io::IsTerminal as _;
    let (password, from) = match var("ROPC_PASSWORD_FILE")? {
        Some(path) => (
            read_secret_file("ROPC_PASSWORD_FILE", &path)?,
            format!("ROPC_PASSWORD_FILE: {path}"),
        ),
        None if std::io::stdin().is_terminal() => {
            (prompt(username)?, "the password typed".to_owned())
        }
        None => match stdin_line("the password")? {
            Some(s) => (s, "the password on stdin".to_owned()),
            None => return Ok(None),
        },
    };
    if password.is_empty() {
        return Err(Fail::usage(format!("{from} is empty")));
    }
    Ok(Some(password))
}

/// Asks for the password on the terminal (`/dev/tty`), without echo.
fn prompt(username: &str) -> Result<Secret, Fail> {
    // The username as the terminal will show it: no control characters.
    let user: String = username
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    Secret::prompt(&format!("ropc: password for {user}: ")).map_err(|e| {
        Fail::usage(match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "no password: the terminal input ended".into(),
            _ => format!("cannot read the password on the terminal: {e}"),
        })
    })
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

pub(crate) fn validation() -> Result<Validation, Fail> {
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

/// The retry policy: `ROPC_RETRIES` retries (default 2, `0` turns them
/// off, at most 10), each announced on stderr with `ROPC_VERBOSE=1`.
pub(crate) fn retry() -> Result<ropc::RetryPolicy, Fail> {
    let retries = match var("ROPC_RETRIES")? {
        None => ropc::DEFAULT_RETRIES,
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if n <= MAX_RETRIES => n,
            _ => {
                return Err(Fail::usage(format!(
                    "ROPC_RETRIES must be a whole number from 0 to {MAX_RETRIES}"
                )));
            }
        },
    };
    let verbose = match var("ROPC_VERBOSE")?.as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(Fail::usage("ROPC_VERBOSE must be 1 (or 0, or unset)")),
    };
    let policy = ropc::RetryPolicy::new().retries(retries);
    Ok(if verbose {
        policy.on_retry(|r| {
            // One line; the error's message holds no secret.
            eprintln!(
                "ropc: retry {} of {} in {} s: {}",
                r.number,
                r.of,
                tenths(r.wait),
                r.error
            );
        })
    } else {
        policy
    })
}

/// `d` in seconds to the nearest tenth (`0.4`, `10.0`), with integers
/// only: formatting a float would link ~10 KB of float-printing code into
/// the device binary for this one line.
fn tenths(d: Duration) -> String {
    let tenths = (d.as_millis() + 50) / 100;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The most retries `ROPC_RETRIES` may ask for.
pub(crate) const MAX_RETRIES: u32 = 10;

/// `ROPC_TIMEOUT`, when set.
fn timeout() -> Result<Option<Duration>, Fail> {
    match seconds("ROPC_TIMEOUT", 3600)? {
        Some(t) if t.is_zero() => Err(Fail::usage("ROPC_TIMEOUT must be at least 1 second")),
        t => Ok(t),
    }
}

fn client_auth() -> Result<Option<ClientAuth>, Fail> {
    Ok(match var("ROPC_CLIENT_AUTH")?.as_deref() {
        None => None,
        Some("basic") => Some(ClientAuth::Basic),
        Some("basic-encoded") => Some(ClientAuth::BasicFormEncoded),
        Some("post") => Some(ClientAuth::Post),
        Some("none") => Some(ClientAuth::None),
        Some(_) => {
            return Err(Fail::usage(
                "ROPC_CLIENT_AUTH must be basic, basic-encoded, post or none",
            ));
        }
    })
}

/// The endpoint a command sends to, and so the URL it needs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// The token endpoint: `ROPC_TOKEN_URL` is needed;
    /// `ROPC_REVOCATION_URL` is checked when set.
    Token,
    /// The revocation endpoint (RFC 7009): `ROPC_REVOCATION_URL` is needed;
    /// `ROPC_TOKEN_URL` is checked when set.
    Revocation,
}

/// The client: the URL `endpoint` needs, `ROPC_CLIENT_ID`, the client
/// secret (unless a public client, `ROPC_CLIENT_AUTH=none`, whose tokens are
/// not verified with it), the key source (`keys`; for revocation, where no
/// token is verified, `None`) and the optional variables
/// (`ROPC_REVOCATION_URL`, `ROPC_EXTRA_PARAMS` among them). `None` when
/// anything is missing or invalid (recorded in `p`, every variable
/// checked).
pub(crate) fn client(
    p: &mut Problems,
    endpoint: Endpoint,
    keys: Option<&KeySource>,
) -> Option<Client> {
    let (token_url, revocation_url) = match endpoint {
        Endpoint::Token => (p.required("ROPC_TOKEN_URL"), p.var("ROPC_REVOCATION_URL")),
        Endpoint::Revocation => (p.var("ROPC_TOKEN_URL"), p.required("ROPC_REVOCATION_URL")),
    };
    let id = p.required("ROPC_CLIENT_ID");
    let auth = p.ok(client_auth());
    let public = matches!(auth, Some(Some(ClientAuth::None)));
    // The secret authenticates a confidential client, and is the HS256 key
    // of the default verification: a public client verifying otherwise (or
    // only revoking) needs none.
    let secret_is_key = keys.is_some_and(KeySource::is_client_secret);
    let secret = if public && !secret_is_key {
        optional_client_secret(p, "").map(Option::unwrap_or_default)
    } else if public {
        let why = " (access tokens are verified with it: HS256; or set ROPC_JWKS_URL, \
                   ROPC_JWT_KEYS_FILE or ROPC_VERIFY=none)";
        match optional_client_secret(p, why) {
            Some(None) => {
                p.invalid(format!(
                    "ROPC_CLIENT_SECRET (or ROPC_CLIENT_SECRET_FILE) is not set, and a public \
                     client (ROPC_CLIENT_AUTH=none) still needs it{why}"
                ));
                None
            }
            other => other.flatten(),
        }
    } else {
        client_secret(p)
    };
    let validation = p.ok(validation());
    let timeout = p.ok(timeout());
    let retry = p.ok(retry());
    let extra = p.var("ROPC_EXTRA_PARAMS");
    let ca = p.var("ROPC_CA_FILE");
    let jwks_url = keys.and_then(KeySource::jwks_url);
    let urls = [
        ("ROPC_TOKEN_URL", token_url.as_deref()),
        ("ROPC_REVOCATION_URL", revocation_url.as_deref()),
        ("ROPC_JWKS_URL", jwks_url),
    ];
    // A client that only revokes has no use for a token URL; the library
    // wants one, and gets the revocation URL (which it never posts a grant
    // to).
    let url = token_url.clone().or_else(|| revocation_url.clone());
    let (Some(url), Some(id), Some(secret)) = (url, id, secret) else {
        // The client cannot be built, but the variables that can be checked
        // on their own are, so that all of them are named at once.
        check_urls(p, &urls);
        if let Some(extra) = &extra {
            p.ok(check_extra_params(extra));
        }
        if let Some(ca) = ca {
            // A builder only to read the bundle with.
            let check = Client::builder("https://check.invalid/", "check", "check");
            p.ok(add_ca(check, &ca));
        }
        return None;
    };
    let mut builder = Client::builder(url, id, secret);
    if let Some(revocation_url) = &revocation_url {
        builder = builder.revocation_url(revocation_url);
    }
    // Revocation verifies no token: nothing to verify with is needed.
    builder =
        builder.verification(keys.map_or(ropc::Verification::Opaque, KeySource::verification));
    if let Some(v) = validation {
        builder = builder.validation(v);
    }
    if let Some(Some(t)) = timeout {
        builder = builder
            .timeout(t)
            .connect_timeout(t.min(ropc::DEFAULT_CONNECT_TIMEOUT));
    }
    if let Some(Some(auth)) = auth {
        builder = builder.client_auth(auth);
    }
    if let Some(retry) = retry {
        builder = builder.retry(retry);
    }
    if let Some(extra) = &extra {
        builder = p.ok(add_extra_params(builder, extra))?;
    }
    if let Some(ca) = ca {
        builder = p.ok(add_ca(builder, &ca))?;
    }
    match builder.build() {
        Ok(client) if p.is_empty() => Some(client),
        Ok(_) => None,
        Err(Error::Config(c))
            if matches!(
                c.setting,
                Setting::TokenUrl | Setting::RevocationUrl | Setting::Verification
            ) =>
        {
            // Each URL on its own, so that the message names the variable
            // at fault (and both when both are).
            check_urls(p, &urls);
            if p.is_empty() {
                p.invalid(Error::Config(c).to_string());
            }
            None
        }
        Err(Error::Config(c)) if c.setting == Setting::ExtraParams => {
            p.invalid(format!("ROPC_EXTRA_PARAMS: {}", c.reason));
            None
        }
        Err(e) => {
            p.invalid(e.to_string());
            None
        }
    }
}

/// `ROPC_EXTRA_PARAMS` (form-urlencoded `name=value&…`) on `builder`; a
/// reserved name is found by `build`.
fn add_extra_params(
    builder: ropc::ClientBuilder,
    extra: &str,
) -> Result<ropc::ClientBuilder, Fail> {
    builder.extra_params_encoded(extra).map_err(|e| match e {
        Error::Config(c) => Fail::usage(format!("ROPC_EXTRA_PARAMS {}", c.reason)),
        e => e.into(),
    })
}

/// Checks `ROPC_EXTRA_PARAMS` on its own (a client that is built and
/// dropped, never used), reserved names included.
fn check_extra_params(extra: &str) -> Result<(), Fail> {
    let builder = add_extra_params(
        Client::builder("http://127.0.0.1/", "check", "check"),
        extra,
    )?;
    match builder.build() {
        Err(Error::Config(c)) if c.setting == Setting::ExtraParams => {
            Err(Fail::usage(format!("ROPC_EXTRA_PARAMS: {}", c.reason)))
        }
        _ => Ok(()),
    }
}

/// A client for `ropc verify` with `ROPC_JWKS_URL`: it only fetches the key
/// set (the library wants a token URL and gets the JWKS URL, which it never
/// posts a grant to; no client credentials are involved), with the
/// validation (read by the caller: `None` when it is invalid, already
/// recorded), timeout, retry and CA bundle variables applied. `None` when
/// something is invalid (recorded, every variable checked).
#[cfg(feature = "asymmetric")]
pub(crate) fn jwks_client(
    p: &mut Problems,
    url: &str,
    validation: Option<&Validation>,
) -> Option<Client> {
    let timeout = p.ok(timeout());
    let retry = p.ok(retry());
    let ca = p.var("ROPC_CA_FILE");
    let (Some(validation), Some(timeout), Some(retry)) = (validation, timeout, retry) else {
        // The variables that can be checked on their own are, so that all
        // of them are named at once.
        check_urls(p, &[("ROPC_JWKS_URL", Some(url))]);
        if let Some(ca) = ca {
            let check = Client::builder("https://check.invalid/", "check", "check");
            p.ok(add_ca(check, &ca));
        }
        return None;
    };
    let mut builder = Client::builder(url, "ropc-verify", "")
        .client_auth(ClientAuth::None)
        .verification(ropc::Verification::JwksUrl(url.to_owned()))
        .validation(validation.clone())
        .retry(retry);
    if let Some(t) = timeout {
        builder = builder
            .timeout(t)
            .connect_timeout(t.min(ropc::DEFAULT_CONNECT_TIMEOUT));
    }
    if let Some(ca) = ca {
        builder = p.ok(add_ca(builder, &ca))?;
    }
    match builder.build() {
        Ok(client) => Some(client),
        Err(Error::Config(c)) => {
            check_urls(p, &[("ROPC_JWKS_URL", Some(url))]);
            if p.is_empty() {
                p.invalid(Error::Config(c).to_string());
            }
            None
        }
        Err(e) => {
            p.invalid(e.to_string());
            None
        }
    }
}

/// Records what is wrong with each URL that is set.
fn check_urls(p: &mut Problems, urls: &[(&str, Option<&str>)]) {
    for (var, url) in urls {
        if let Some(url) = url
            && let Err(e) = check_url(url)
        {
            p.invalid(url_problem(var, url, &e));
        }
    }
}

/// Checks `url` on its own against the library's URL policy (a client that
/// is built and dropped, never used).
fn check_url(url: &str) -> Result<(), Error> {
    Client::builder(url, "check", "check").build().map(drop)
}

/// What is wrong with the URL in `var`, said for the command line. The
/// library's reason for refusing plain http names its own remedy
/// (`allow_insecure_http`), which the command line does not offer: when
/// that is the only thing wrong (the URL passes with it), this says so.
fn url_problem(var: &str, url: &str, e: &Error) -> String {
    let only_http = || {
        Client::builder(url, "check", "check")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    };
    match e {
        Error::Config(_)
            if url
                .get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
                && only_http() =>
        {
            format!(
                "{var} must be https: plain http is allowed only to a loopback address \
                 (127.0.0.1, ::1, localhost), and ropc has no setting to allow it elsewhere"
            )
        }
        Error::Config(c) => format!("{var} {}", c.reason),
        e => format!("{var}: {e}"),
    }
}

/// How a timeout reads on the command line: how long was waited, and what
/// sets it (`ROPC_TIMEOUT`; connecting gets at most
/// [`ropc::DEFAULT_CONNECT_TIMEOUT`] of it).
pub(crate) fn timeout_phrase(kind: ropc::TransportKind) -> String {
    let set = seconds("ROPC_TIMEOUT", 3600).ok().flatten();
    let whole = set.unwrap_or(ropc::DEFAULT_TIMEOUT);
    if kind == ropc::TransportKind::ConnectTimeout {
        let connect = whole.min(ropc::DEFAULT_CONNECT_TIMEOUT);
        return format!("could not connect within {} s", connect.as_secs());
    }
    match set {
        Some(t) => format!("no complete answer within {} s (ROPC_TIMEOUT)", t.as_secs()),
        None => format!(
            "no complete answer within {} s (the default; ROPC_TIMEOUT sets it)",
            whole.as_secs()
        ),
    }
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn add_ca(builder: ropc::ClientBuilder, path: &str) -> Result<ropc::ClientBuilder, Fail> {
    builder
        .add_root_certificates_file(path)
        .map_err(|e| match e {
            // The variable and the path, as for every file: the library's
            // reason names the path when the file could not be read, not
            // when what it holds is wrong.
            Error::Config(c) if c.reason.contains(path) => {
                Fail::usage(format!("ROPC_CA_FILE: {}", c.reason))
            }
            Error::Config(c) => Fail::usage(format!("ROPC_CA_FILE: {path}: {}", c.reason)),
            e => e.into(),
        })
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
fn add_ca(_: ropc::ClientBuilder, _: &str) -> Result<ropc::ClientBuilder, Fail> {
    Err(Fail::usage(
        "ROPC_CA_FILE is set, but ropc was built without TLS",
    ))
}

pub(crate) fn scopes() -> Result<Vec<String>, Fail> {
    Ok(var("ROPC_SCOPE")?
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_reads_in_tenths_of_a_second_rounded_to_the_nearest() {
        for (ms, said) in [
            (0, "0.0"),
            (49, "0.0"),
            (50, "0.1"),
            (449, "0.4"),
            (999, "1.0"),
            (1_000, "1.0"),
            (10_000, "10.0"),
            (12_345, "12.3"),
        ] {
            assert_eq!(tenths(Duration::from_millis(ms)), said, "{ms} ms");
        }
    }
}
