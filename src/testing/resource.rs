//! A protected resource, `/userinfo` (RFC 6750): the verified claims of a
//! valid Bearer access token, `401` with `WWW-Authenticate` otherwise — so a
//! downstream test of "call the API with the token" needs no server of its
//! own.

use super::server::{Outcome, Reply, Request};
use super::{Shared, lock};
use crate::jwt::{self, Validation};

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
    let config = lock(&shared.config);
    let validation = Validation::new()
        .issuer(config.issuer.clone())
        .clock(config.clock.clone());
    // Signed with the secret of the client it was issued to (its `aud`).
    let claims = config.clients.iter().find_map(|(id, secret)| {
        jwt::verify(token, secret.expose_secret().as_bytes(), &validation)
            .ok()
            .filter(|c| c.aud().any(|a| a == id))
    });
    drop(config);
    match claims {
        Some(claims) => {
            let mut body = zeroize::Zeroizing::new(Vec::with_capacity(claims.as_json().len()));
            body.extend_from_slice(claims.as_json().as_bytes());
            Outcome::Reply(Reply::new(200, "application/json", body))
        }
        None => Outcome::Reply(challenge(401, Some("invalid_token"))),
    }
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
