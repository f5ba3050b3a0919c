//! The key set, `/jwks` (RFC 7517 §5): the public keys the provider signs
//! with, for a client that verifies its tokens with them.

use zeroize::Zeroizing;

use super::endpoint::error;
use super::server::{Outcome, Reply, Request};
use super::{Shared, lock};

/// The path of the key set.
pub(super) const PATH: &str = "/jwks";

/// Answers a request for the key set.
pub(super) fn handle(req: &Request, shared: &Shared) -> Outcome {
    if req.method != "GET" {
        let mut r = error(405, "invalid_request", "the key set takes GET");
        r.headers.push(("Allow", "GET".into()));
        return Outcome::Reply(r);
    }
    let jwks = lock(&shared.keys).jwks();
    Outcome::Reply(Reply::new(
        200,
        "application/json",
        Zeroizing::new(jwks.into_bytes()),
    ))
}
