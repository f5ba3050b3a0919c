//! Configuration from the environment: the variables, secret files, the
//! first line of stdin, and the client and validation built from them.
//! Secrets are read into zeroized buffers and never echoed in a message.

use std::io::Read;
use std::time::Duration;

use ropc::jwt::Validation;
use ropc::{Client, ClientAuth, Error, Secret, Setting};
use zeroize::Zeroizing;

use crate::Fail;
use crate::hygiene;
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

pub(crate) fn required(name: &str) -> Result<String, Fail> {
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

pub(crate) fn client_secret() -> Result<Secret, Fail> {
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
pub(crate) fn stdin_line(what: &str) -> Result<Option<Zeroizing<String>>, Fail> {
    match stdin_line_within(what, MAX_STDIN_LINE)? {
        Line::Empty => Ok(None),
        Line::Text(text) => Ok(Some(text)),
        Line::TooLong => Err(Fail::usage(format!(
            "{what} on stdin is longer than {MAX_STDIN_LINE} bytes"
        ))),
        Line::NotUtf8 => Err(Fail::usage(format!("{what} on stdin is not valid UTF-8"))),
    }
}

pub(crate) enum Line {
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
pub(crate) fn stdin_line_within(what: &str, max: usize) -> Result<Line, Fail> {
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

pub(crate) fn password() -> Result<Secret, Fail> {
    optional_password()?.ok_or_else(|| {
        Fail::usage("no password: set ROPC_PASSWORD_FILE or give it on the first line of stdin")
    })
}

/// The password from ROPC_PASSWORD_FILE or the first line of stdin; `None`
/// when neither gives one.
pub(crate) fn optional_password() -> Result<Option<Secret>, Fail> {
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

pub(crate) fn client() -> Result<Client, Fail> {
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

pub(crate) fn scopes() -> Result<Vec<String>, Fail> {
    Ok(var("ROPC_SCOPE")?
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default())
}
