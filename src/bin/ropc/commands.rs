//! The commands: `token`, `refresh`, `verify`, `access`, `logout`, `revoke`,
//! `demo`.

use std::io::ErrorKind;
use std::path::Path;

use ropc::jwt;
use ropc::{Error, FileStore, Secret, Session, TokenStore, TokenTypeHint};

use crate::Fail;
use crate::config::{self, Endpoint, Problems};
use crate::keysource::{self, KeySource};
use crate::output::{self, emit};

pub(crate) fn token(output: Option<&Path>) -> Result<(), Fail> {
    let mut p = Problems::default();
    let keys = keysource::read(&mut p);
    let client = config::client(&mut p, Endpoint::Token, keys.as_ref());
    let username = p.required("ROPC_USERNAME");
    let scopes = p.ok(config::scopes());
    let (keys, client, username, scopes) =
        p.finish((|| Some((keys?, client?, username?, scopes?)))())?;
    output::check_file(output)?;
    let password = config::password(&username)?;
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let tokens = client
        .password_grant(&username, &password, &scopes)
        .map_err(|e| keysource::failure(&keys, e))?;
    drop(password);
    output::deliver(output::tokens_json(&tokens)?, output)
}

pub(crate) fn refresh(output: Option<&Path>) -> Result<(), Fail> {
    let mut p = Problems::default();
    let keys = keysource::read(&mut p);
    let client = config::client(&mut p, Endpoint::Token, keys.as_ref());
    let scopes = p.ok(config::scopes());
    let (keys, client, scopes) = p.finish((|| Some((keys?, client?, scopes?)))())?;
    output::check_file(output)?;
    let refresh_token = config::stdin_line("the refresh token")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Fail::usage("no refresh token on the first line of stdin"))?;
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let tokens = client
        .refresh_with(&refresh_token, &scopes)
        .map_err(|e| keysource::failure(&keys, e))?;
    output::deliver(output::tokens_json(&tokens)?, output)
}

pub(crate) fn verify() -> Result<(), Fail> {
    let mut p = Problems::default();
    let keys = keysource::read(&mut p);
    let validation = p.ok(config::validation());
    // The key: the client secret (the default), or a key set; with
    // ROPC_VERIFY=none there is nothing to verify with.
    let checker = match &keys {
        Some(KeySource::ClientSecret) => config::client_secret(&mut p).map(Checker::Secret),
        Some(KeySource::Opaque) => {
            p.invalid(
                "ROPC_VERIFY=none: opaque tokens are not verified, so `ropc verify` has \
                 nothing to verify with (set ROPC_JWKS_URL, ROPC_JWT_KEYS_FILE or the client \
                 secret instead)",
            );
            None
        }
        #[cfg(feature = "asymmetric")]
        Some(KeySource::Keys(set)) => Some(Checker::Keys(set.clone())),
        #[cfg(feature = "asymmetric")]
        Some(KeySource::Jwks(url)) => {
            config::jwks_client(&mut p, url, validation.as_ref()).map(Checker::Jwks)
        }
        None => None,
    };
    let (keys, checker, validation) = p.finish((|| Some((keys?, checker?, validation?)))())?;
    // A token longer than the verifier's cap is a failed verification like
    // any other (exit 4), found after reading one byte past the cap.
    let max = jwt::DEFAULT_MAX_TOKEN_SIZE;
    let failed = |why: String| Fail {
        code: 4,
        message: format!("token verification failed: {why}"),
    };
    let token = match config::stdin_line_within(max) {
        Ok(token) => token.unwrap_or_default(),
        Err(e) if e.kind() == ErrorKind::FileTooLarge => {
            return Err(failed(format!(
                "token too large: longer than the {max}-byte limit"
            )));
        }
        Err(e) if e.kind() == ErrorKind::InvalidData => {
            return Err(failed("malformed token: not UTF-8".into()));
        }
        Err(e) => {
            return Err(Fail::usage(format!(
                "cannot read the token from stdin: {e}"
            )));
        }
    };
    let claims = match checker {
        Checker::Secret(key) => jwt::verify(
            token.expose_secret(),
            key.expose_secret().as_bytes(),
            &validation,
        )
        .map_err(Error::Jwt),
        #[cfg(feature = "asymmetric")]
        Checker::Keys(set) => set
            .verify(token.expose_secret(), &validation)
            .map_err(Error::Jwt),
        #[cfg(feature = "asymmetric")]
        Checker::Jwks(client) => client
            .verify_access_token(&token)
            .and_then(|c| c.ok_or(Error::Jwt(jwt::JwtError::Malformed("not verified")))),
    }
    .map_err(|e| keysource::verify_failure(&keys, e))?;
    emit(output::claims_json(claims.as_json())?)
}

/// What `ropc verify` checks a token with.
enum Checker {
    /// HS256 with the client secret.
    Secret(Secret),
    /// The keys of ROPC_JWT_KEYS_FILE.
    #[cfg(feature = "asymmetric")]
    Keys(ropc::jwt::KeySet),
    /// A client that fetches ROPC_JWKS_URL's keys (and only that: it sends
    /// no grant), verifying with ROPC_ISSUER/ROPC_AUDIENCE/ROPC_LEEWAY.
    #[cfg(feature = "asymmetric")]
    Jwks(ropc::Client),
}

/// Whether two paths name the same file, however spelled: the same
/// directory (after resolving links) and name, or the same file on disk
/// (a hard link).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    let place = |p: &Path| {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        Some((std::fs::canonicalize(dir).ok()?, p.file_name()?.to_owned()))
    };
    if let (Some(pa), Some(pb)) = (place(a), place(b))
        && pa == pb
    {
        return true;
    }
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => ma.dev() == mb.dev() && ma.ino() == mb.ino(),
        _ => false,
    }
}

pub(crate) fn access(store: &Path, output: Option<&Path>) -> Result<(), Fail> {
    let mut p = Problems::default();
    let keys = keysource::read(&mut p);
    let client = config::client(&mut p, Endpoint::Token, keys.as_ref());
    let username = p.required("ROPC_USERNAME");
    let scopes = p.ok(config::scopes());
    let (keys, client, username, scopes) =
        p.finish((|| Some((keys?, client?, username?, scopes?)))())?;
    // Every problem with the store path or the output file is found before
    // a password is asked for or sent.
    if let Some(output) = output
        && (same_file(output, store) || same_file(output, &FileStore::new(store).lock_path()))
    {
        return Err(Fail::usage(
            "--output names the same file as the token store or its lock file; refusing to overwrite it",
        ));
    }
    output::check_file(output)?;
    let store = FileStore::new(store);
    store.check()?;
    // The store is ROPC_USERNAME's: one made for another user, client or
    // token URL is refused, its tokens never printed.
    let session = Session::with_store_for(client, store, username.as_str())?;
    let result = match session.access_token() {
        Err(Error::LoginRequired) => {
            // No usable refresh token: the password grant, but only when a
            // password is at hand (ROPC_PASSWORD_FILE, a line on stdin, or
            // typed on the terminal).
            let Some(password) = config::optional_password(&username)? else {
                return Err(Fail {
                    code: 3,
                    message: "login required: no usable refresh token is stored and no \
                              password was given (ROPC_PASSWORD_FILE, stdin or the terminal)"
                        .into(),
                });
            };
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
        Err(e) => return Err(keysource::failure(&keys, e)),
    };
    output::deliver(output::line(token.expose_secret()), output)?;
    match unsaved {
        None => Ok(()),
        Some(e) => Err(Fail {
            code: 2,
            message: format!(
                "the access token was {}, but the new refresh token could not be saved \
                 (the next run may need the password again): {e}",
                match output {
                    None => "printed".to_owned(),
                    Some(path) => format!("written to {}", path.display()),
                }
            ),
        }),
    }
}

/// `ropc logout`: [`Session::logout_store`]. The store is checked against
/// whatever of `ROPC_TOKEN_URL`, `ROPC_CLIENT_ID` and `ROPC_USERNAME` is
/// set: a store made for another of them is refused (exit 2) and left as it
/// is, with or without revocation. With `ROPC_REVOCATION_URL`, the stored
/// refresh token is revoked at the provider first (RFC 7009); then the store
/// is wiped and removed, whatever the revocation's outcome. Configuration
/// errors are found before anything is done.
pub(crate) fn logout(store: &Path) -> Result<(), Fail> {
    let mut p = Problems::default();
    let (client, token_url, client_id, username) = match config::var("ROPC_REVOCATION_URL")? {
        // Without a revocation URL nothing is sent, and no variable is
        // needed: those set are compared with the store.
        None => (
            None,
            p.var("ROPC_TOKEN_URL"),
            p.var("ROPC_CLIENT_ID"),
            p.var("ROPC_USERNAME"),
        ),
        Some(_) => {
            // The client reads ROPC_TOKEN_URL (and names what is wrong with
            // it); when it is unset, the client's token URL is a stand-in,
            // never compared.
            let client = config::client(&mut p, Endpoint::Revocation, None);
            let token_url = config::var("ROPC_TOKEN_URL").ok().flatten();
            let client_id = client.as_ref().map(|c| c.client_id().to_owned());
            (client, token_url, client_id, p.var("ROPC_USERNAME"))
        }
    };
    p.done()?;
    let store = FileStore::new(store);
    // A path the store refuses gets no lock file created beside it.
    store.check()?;
    let ended = Session::logout_store(
        &store,
        client.as_ref(),
        token_url.as_deref(),
        client_id.as_deref(),
        username.as_deref(),
    );
    match ended {
        Ok(()) => Ok(()),
        // Nothing done, or the store not removed (or removed with its token
        // unread): the error says which.
        Err(e @ Error::Store(_)) => Err(e.into()),
        // Anything else is the revocation's, and the store is gone.
        Err(e) => {
            let failed = Fail::from(e);
            Err(Fail {
                code: failed.code,
                message: format!(
                    "the local token store was removed, but revoking its refresh token failed, \
                     so it may still be valid: {}",
                    failed.message
                ),
            })
        }
    }
}

/// `ropc revoke`: the refresh token on the first line of stdin, revoked at
/// `ROPC_REVOCATION_URL` (RFC 7009).
pub(crate) fn revoke() -> Result<(), Fail> {
    let mut p = Problems::default();
    let client = config::client(&mut p, Endpoint::Revocation, None);
    let client = p.finish(client)?;
    let token = config::stdin_line("the refresh token")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Fail::usage("no refresh token on the first line of stdin"))?;
    client.revoke(&token, TokenTypeHint::RefreshToken)?;
    Ok(())
}

#[cfg(feature = "testing")]
pub(crate) fn demo() -> Result<(), Fail> {
    use ropc::Client;
    use ropc::testing::{
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider,
    };
    let provider =
        Provider::start().map_err(|e| Fail::usage(format!("cannot start the provider: {e}")))?;
    eprintln!("ropc demo: loopback provider at {}", provider.url());
    let client = Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .issuer(provider.issuer())
        .audience(DEMO_CLIENT_ID)
        .revocation_url(provider.revocation_url())
        .build()?;
    eprintln!("ropc demo: password grant for {DEMO_USERNAME}");
    let tokens = client.password_grant(
        DEMO_USERNAME,
        &Secret::from(DEMO_PASSWORD),
        &["openid", "email"],
    )?;
    emit(output::tokens_json(&tokens)?)?;
    eprintln!("ropc demo: refresh");
    let refreshed = client.refresh(&tokens)?;
    emit(output::tokens_json(&refreshed)?)?;
    eprintln!("ropc demo: verify the new access token");
    let claims = jwt::verify(
        refreshed.access_token().expose_secret(),
        DEMO_CLIENT_SECRET.as_bytes(),
        client.validation(),
    )
    .map_err(Error::Jwt)?;
    eprintln!(
        "ropc demo: verified, sub {}",
        claims.sub().unwrap_or("(none)")
    );
    match client.password_grant(DEMO_USERNAME, &Secret::from("wrong password"), &[]) {
        Err(Error::OAuth(e)) => {
            eprintln!("ropc demo: a wrong password is refused: {}", e.response);
        }
        _ => return Err(Fail::usage("the demo provider accepted a wrong password")),
    }
    eprintln!("ropc demo: log out: revoke the refresh token (RFC 7009)");
    if let Some(refresh_token) = refreshed.refresh_token() {
        client.revoke(refresh_token, ropc::TokenTypeHint::RefreshToken)?;
        match client.refresh(&refreshed) {
            Err(Error::OAuth(e)) => {
                eprintln!(
                    "ropc demo: the revoked refresh token is refused: {}",
                    e.response.code
                );
            }
            _ => {
                return Err(Fail::usage(
                    "the demo provider kept a revoked refresh token",
                ));
            }
        }
    }
    eprintln!("ropc demo: done");
    Ok(())
}

#[cfg(not(feature = "testing"))]
pub(crate) fn demo() -> Result<(), Fail> {
    Err(Fail::usage(
        "`ropc demo` is not in this build of ropc (it was built without the `testing` feature)",
    ))
}
