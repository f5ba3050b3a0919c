//! A protected resource, `/userinfo` (RFC 6750): the verified claims of a
//! valid Bearer access token, `401` with `WWW-Authenticate` otherwise — so a
//! downstream test of "call the API with the token" needs no server of its
//! own. Valid are the access tokens this provider issued and that have not
//! expired (with the verifier's default leeway): opaque ones it remembers,
//! JWTs whose signature its current signing says is its own (the client
//! secret under HS256, a published key otherwise). An id token is no access
//! token (it has no `scope`): refused.

use zeroize::Zeroizing;

use super::keys::Signing;
use super::wire::{Outcome, Reply, Request};
use super::{Shared, lock};
use crate::jwt::{self, Validation};
use crate::secret::Secret;

/// The path of the protected resource.
pub(super) const PATH: &str = "/userinfo";

/// Answers a request for the protected resource.
pub(super) fn handle(req: &Request, shared: &Shared) -> Outcome {
    if req.method != "GET" && req.method != "POST" {
        let mut r = challenge(405, None);
        r.headers.push(("Allow", "GET, POST".into()));
        return Outcome::Reply(r);
    }
    let Some(token) = req.header("authorization").and_then(bearer) else {
        // No credentials: the challenge without an error code (RFC 6750 §3.1).
        return Outcome::Reply(challenge(401, None));
    };
    match opaque(token, shared).or_else(|| signed(token, shared)) {
        Some(claims) => Outcome::Reply(Reply::new(200, "application/json", claims)),
        None => Outcome::Reply(challenge(401, Some("invalid_token"))),
    }
}

/// The verifier's default leeway, in seconds.
pub(super) fn leeway() -> i64 {
    i64::try_from(jwt::DEFAULT_LEEWAY.as_secs()).unwrap_or(60)
}

/// The claims of an opaque access token this provider issued, unexpired.
fn opaque(token: &str, shared: &Shared) -> Option<Zeroizing<Vec<u8>>> {
    let now = lock(&shared.config).clock.now();
    let token = Secret::from(token);
    let state = lock(&shared.state);
    let live = state.access.iter().find(|live| live.token == token)?;
    (now <= live.exp.saturating_add(leeway())).then(|| live.claims.clone())
}

/// The claims of a JWT access token this provider signed, unexpired.
fn signed(token: &str, shared: &Shared) -> Option<Zeroizing<Vec<u8>>> {
    let config = lock(&shared.config);
    let keys = lock(&shared.keys);
    if keys.signing() != Signing::Hs256 {
        #[cfg(feature = "asymmetric")]
        {
            let payload = keys.verify(token)?;
            drop(keys);
            let known = |aud: &str| {
                config.clients.iter().any(|(id, _)| id == aud)
                    || config.public_clients.iter().any(|id| id == aud)
            };
            return acceptable(&payload, &config.issuer, config.clock.now(), known)
                .then_some(payload);
        }
    }
    drop(keys);
    let validation = Validation::new()
        .issuer(config.issuer.clone())
        .clock(config.clock.clone());
    // Signed with the secret of the client it was issued to (its `aud`).
    let claims = config.clients.iter().find_map(|(id, secret)| {
        jwt::verify(token, secret.expose_secret().as_bytes(), &validation)
            .ok()
            .filter(|c| c.aud().any(|a| a == id) && c.get("scope").is_some())
    })?;
    let mut body = Zeroizing::new(Vec::with_capacity(claims.as_json().len()));
    body.extend_from_slice(claims.as_json().as_bytes());
    Some(body)
}

/// Whether the claims of a token with a good signature make it a valid
/// access token: this issuer, an audience it knows, not expired nor before
/// its `nbf` (with the leeway), and a `scope` (which id tokens lack).
#[cfg(feature = "asymmetric")]
fn acceptable(payload: &[u8], issuer: &str, now: i64, known: impl Fn(&str) -> bool) -> bool {
    use serde_json::Value;
    let Ok(claims) = serde_json::from_slice::<Value>(payload) else {
        return false;
    };
    let leeway = leeway();
    let audience = match &claims["aud"] {
        Value::String(aud) => known(aud),
        Value::Array(auds) => auds.iter().filter_map(Value::as_str).any(known),
        _ => false,
    };
    claims["iss"].as_str() == Some(issuer)
        && audience
        && claims["exp"]
            .as_i64()
            .is_some_and(|exp| now <= exp.saturating_add(leeway))
        && claims.get("nbf").is_none_or(|nbf| {
            nbf.as_i64()
                .is_some_and(|nbf| nbf <= now.saturating_add(leeway))
        })
        && claims.get("scope").is_some()
}

/// The token of an `Authorization: Bearer <token>` value (the scheme matched
/// without case, RFC 7235 §2.1).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// An empty reply with the Bearer challenge (RFC 6750 §3).
fn challenge(status: u16, error: Option<&str>) -> Reply {
    let mut r = Reply::new(status, "text/plain", zeroize::Zeroizing::new(Vec::new()));
    let value = match error {
        Some(code) => format!(r#"Bearer realm="ropc-provider", error="{code}""#),
        None => r#"Bearer realm="ropc-provider""#.to_owned(),
    };
    r.headers.push(("WWW-Authenticate", value));
    r
}
