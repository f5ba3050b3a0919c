//! The wire, as every part of the provider sees it: a request, a reply,
//! what to do with a request once understood, the form a request body is
//! (RFC 6749 Appendix B) and the error response (§5.2). The server (HTTP)
//! and the endpoints (token, revocation, key set, resource) sit above it,
//! so imports run one way.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use zeroize::Zeroizing;

use super::builder::OWN_PARAMS;
use std::time::Duration;

use super::to_json;
use crate::form;

/// An RFC 6749 §5.2 error response; a 401 also names the Basic scheme.
pub(super) fn error(status: u16, code: &str, description: &str) -> Reply {
    let mut r = Reply::json(
        status,
        &ErrorResponse {
            error: code,
            description,
        },
    );
    if status == 401 {
        r.headers
            .push(("WWW-Authenticate", r#"Basic realm="ropc-provider""#.into()));
    }
    r
}

/// The body of an error response (RFC 6749 §5.2).
pub(super) struct ErrorResponse<'a> {
    pub(super) error: &'a str,
    pub(super) description: &'a str,
}

impl Serialize for ErrorResponse<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut body = serializer.serialize_struct("ErrorResponse", 2)?;
        body.serialize_field("error", self.error)?;
        body.serialize_field("error_description", self.description)?;
        body.end()
    }
}

/// The request body's parameters, when it is a form.
pub(super) struct Form(Option<Vec<(Zeroizing<String>, Zeroizing<String>)>>);

impl Form {
    pub(super) fn parse(body: &[u8]) -> Form {
        Form(std::str::from_utf8(body).ok().and_then(form::decode))
    }

    /// Whether the body decoded as a form.
    pub(super) fn is_form(&self) -> bool {
        self.0.is_some()
    }

    /// The first value of `name`.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .as_ref()?
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every parameter that is not one of the grant's own, in order.
    pub(super) fn extra_params(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .flatten()
            .filter(|(k, _)| !OWN_PARAMS.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str().to_owned(), v.as_str().to_owned()))
            .collect()
    }
}

/// One request, its header values and body in zeroized buffers (they carry
/// credentials).
pub(super) struct Request {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) headers: Vec<(String, Zeroizing<String>)>,
    pub(super) body: Zeroizing<Vec<u8>>,
    pub(super) close: bool,
}

impl Request {
    /// The first header of that name (matched case-insensitively).
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One reply; `Content-Length` and `Connection` are added when it is written.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) body: Zeroizing<Vec<u8>>,
}

impl Reply {
    /// A reply of this type that no cache may keep (RFC 6749 §5.1 asks it of
    /// token responses; the provider says it of every answer).
    pub(super) fn new(status: u16, content_type: &str, body: Zeroizing<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![
                ("Content-Type", content_type.into()),
                ("Cache-Control", "no-store".into()),
            ],
            body,
        }
    }

    /// An `application/json` reply of `value`, serialized into a zeroized
    /// buffer.
    pub(super) fn json(status: u16, value: &impl serde::Serialize) -> Reply {
        Reply::new(status, "application/json", to_json(value))
    }
}

/// What to do with a request once it is understood.
pub(super) enum Outcome {
    Reply(Reply),
    /// Close the connection without a word.
    Close,
    /// Announce the reply's body, send half of it, close.
    Truncate(Reply),
    /// The reply's head, then its body a byte at a time with this pause.
    Drip(Reply, Duration),
}
