//! How each [`Misbehavior`] bends the provider's answer: some replace it
//! before the request is looked at ([`before`]), some change the tokens
//! ([`TokenQuirks`]), some change how the real answer is sent ([`after`]).

use serde_json::json;
use zeroize::Zeroizing;

use super::Misbehavior;
use super::mint::Alg;
use super::wire::{self, ErrorResponse};
use super::wire::{Outcome, Reply, Request};
use crate::secret::Secret;

/// The answer that replaces the real one, if `m` says so. The request has
/// been recorded by then; a [`Misbehavior::Delay`] is slept here and lets
/// the request through.
pub(super) fn before(m: &Misbehavior, req: &Request, password: Option<&str>) -> Option<Outcome> {
    match m {
        Misbehavior::Delay(d) => {
            std::thread::sleep(*d);
            None
        }
        Misbehavior::CloseWithoutAnswer => Some(Outcome::Close),
        Misbehavior::Truncate => {
            let body = json!({
                "access_token": "truncated-token-truncated-token",
                "token_type": "Bearer",
            });
            Some(Outcome::Truncate(Reply::json(200, &body)))
        }
        Misbehavior::Oversized(n) => {
            // `{"access_token":"x","padding":""}` is 33 bytes; pad it to `n`.
            let padding = "p".repeat(n.saturating_sub(33));
            let body = json!({ "access_token": "x", "padding": padding });
            Some(Outcome::Reply(Reply::json(200, &body)))
        }
        Misbehavior::Html502 => Some(Outcome::Reply(html(
            502,
            Zeroizing::new("<html><body><h1>502 Bad Gateway</h1></body></html>".into()),
        ))),
        Misbehavior::EchoRequest => Some(Outcome::Reply(html(502, echo_page(req)))),
        Misbehavior::ErrorQuotingPassword => {
            // `concat` allocates the exact length once: no unwiped copy.
            let description = Zeroizing::new(
                [
                    "wrong password '",
                    password.unwrap_or(""),
                    "' for this user",
                ]
                .concat(),
            );
            let body = ErrorResponse {
                error: "invalid_grant",
                description: &description,
            };
            Some(Outcome::Reply(Reply::json(400, &body)))
        }
        Misbehavior::Reply {
            status,
            content_type,
            body,
        } => {
            let body = Zeroizing::new(body.clone().into_bytes());
            Some(Outcome::Reply(Reply::new(*status, content_type, body)))
        }
        Misbehavior::Unavailable {
            status,
            retry_after,
        } => {
            let text = if *status == 429 {
                "Too Many Requests"
            } else {
                "Service Unavailable"
            };
            let mut r = Reply::new(
                *status,
                "text/plain",
                Zeroizing::new(text.as_bytes().to_vec()),
            );
            if let Some(after) = retry_after {
                r.headers.push(("Retry-After", after.clone()));
            }
            Some(Outcome::Reply(r))
        }
        Misbehavior::NotJson => Some(Outcome::Reply(Reply::new(
            200,
            "application/json",
            Zeroizing::new(b"access_token=abc&token_type=bearer".to_vec()),
        ))),
        // `/moved` is where the redirect leads: there the grant is answered.
        Misbehavior::Redirect(code) if req.path != "/moved" => Some(Outcome::Reply(Reply {
            status: *code,
            headers: vec![("Location", "/moved".into())],
            body: Zeroizing::new(Vec::new()),
        })),
        _ => None,
    }
}

/// How the answer to a grant that went through is sent.
pub(super) fn after(m: Option<&Misbehavior>, reply: Reply) -> Outcome {
    match m {
        Some(Misbehavior::ErrorWith200) => {
            Outcome::Reply(wire::error(200, "invalid_grant", "sent with HTTP 200"))
        }
        Some(Misbehavior::SlowBody(pause)) => Outcome::Drip(reply, *pause),
        // Processed (a refresh token rotated), the answer lost.
        Some(Misbehavior::ProcessThenClose) => Outcome::Close,
        _ => Outcome::Reply(reply),
    }
}

/// How a misbehaviour changes issued tokens and the token response.
pub(super) struct TokenQuirks<'a> {
    /// Sign with a key that is not the client secret, nor published.
    pub(super) wrong_key: bool,
    /// HS512 instead of HS256; under an asymmetric [`Signing`], HS256 keyed
    /// with the current public key's PEM (algorithm confusion).
    ///
    /// [`Signing`]: super::Signing
    pub(super) alg: Alg,
    expired: bool,
    pub(super) token_type: &'a str,
    pub(super) expires_in_as_string: bool,
}

impl<'a> TokenQuirks<'a> {
    pub(super) fn of(m: Option<&'a Misbehavior>) -> Self {
        TokenQuirks {
            wrong_key: m == Some(&Misbehavior::WrongKey),
            alg: if m == Some(&Misbehavior::OtherAlg) {
                Alg::Hs512
            } else {
                Alg::Hs256
            },
            expired: m == Some(&Misbehavior::Expired),
            token_type: match m {
                Some(Misbehavior::TokenType(t)) => t,
                _ => "Bearer",
            },
            expires_in_as_string: m == Some(&Misbehavior::ExpiresInString),
        }
    }

    /// The key to sign access tokens with: the client secret, or not.
    pub(super) fn key<'k>(&self, client_secret: &'k Secret) -> &'k [u8] {
        if self.wrong_key {
            b"not-the-client-secret"
        } else {
            client_secret.expose_secret().as_bytes()
        }
    }

    /// The `exp` of an access token issued at `now` for `lifetime` seconds.
    pub(super) fn exp(&self, now: i64, lifetime: u64) -> i64 {
        if self.expired {
            now - 3600
        } else {
            now + i64::try_from(lifetime).unwrap_or(i64::MAX / 2)
        }
    }
}

fn html(status: u16, mut page: Zeroizing<String>) -> Reply {
    // Moves the buffer (no copy); the emptied `Zeroizing` drops harmlessly.
    let page = Zeroizing::new(std::mem::take(&mut *page).into_bytes());
    Reply::new(status, "text/html", page)
}

/// A careless proxy's error page: the request body and headers, verbatim.
fn echo_page(req: &Request) -> Zeroizing<String> {
    const OPEN: &str = "<html><body><pre>";
    const CLOSE: &str = "</pre></body></html>";
    let body = String::from_utf8_lossy(&req.body);
    let headers: usize = req.headers.iter().map(|(n, v)| n.len() + v.len() + 3).sum();
    // Sized up front so that the page never grows and leaves a copy behind.
    let mut page = Zeroizing::new(String::with_capacity(
        OPEN.len() + body.len() + 1 + headers + CLOSE.len(),
    ));
    page.push_str(OPEN);
    page.push_str(&body);
    page.push('\n');
    for (name, value) in &req.headers {
        page.push_str(name);
        page.push_str(": ");
        page.push_str(value);
        page.push('\n');
    }
    page.push_str(CLOSE);
    page
}
