//! The token revocation endpoint (RFC 7009), `/revoke`: a POST of `token`
//! (and optionally `token_type_hint`) with the client's authentication. A
//! refresh token of that client is revoked (a later refresh gets
//! `invalid_grant`), and so is an opaque access token; the answer is `200` whether or not the token was known
//! (§2.2), `401 invalid_client` when the client is not authenticated, `400`
//! for a request without `token` or with a `token_type_hint` the server does
//! not know of (`unsupported_token_type`, §2.2.1).

use super::wire::{Form, error};
use super::wire::{Outcome, Reply};
use super::{SeenAuth, Shared, lock};
use crate::secret::Secret;

/// The path of the revocation endpoint.
pub(super) const PATH: &str = "/revoke";

/// Answers a revocation request.
pub(super) fn handle(
    shared: &Shared,
    auth: SeenAuth,
    client: Option<(String, Secret)>,
    form: &Form,
) -> Outcome {
    lock(&shared.state).revocations += 1;
    let Some((client_id, _)) = client else {
        let why = if auth == SeenAuth::None {
            "client authentication required"
        } else {
            "client authentication failed"
        };
        return Outcome::Reply(error(401, "invalid_client", why));
    };
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return Outcome::Reply(error(400, "invalid_request", "token is missing"));
    };
    match form.get("token_type_hint") {
        None | Some("refresh_token" | "access_token") => {}
        Some(_) => {
            return Outcome::Reply(error(
                400,
                "unsupported_token_type",
                "the token_type_hint is not one this server knows",
            ));
        }
    }
    let token = Secret::from(token);
    let mut state = lock(&shared.state);
    // Only the client a token was issued to may revoke it (§2.1). An opaque
    // access token ends here; a JWT is self-contained and lives out its
    // lifetime.
    state
        .refresh
        .retain(|live| !(live.token == token && live.client_id == client_id));
    state
        .access
        .retain(|live| !(live.token == token && live.client_id == client_id));
    drop(state);
    Outcome::Reply(Reply::new(
        200,
        "application/json",
        zeroize::Zeroizing::new(b"{}".to_vec()),
    ))
}
