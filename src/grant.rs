//! What a token endpoint's reply means: a pure function from the status, the
//! one header that matters and the body to a token response or an error.

use zeroize::Zeroizing;

use crate::error::{Endpoint, Error, OAuthError};
use crate::redact::Redactor;
use crate::response::{self, Parsed, ResponseError, ResponseProblem, TokenResponse};

/// A reply as it came: the status, whether the body was content-encoded
/// (then not read), the body (capped, zeroized; empty for a redirect), and
/// the two headers that say something about time.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) encoded: bool,
    pub(crate) body: Zeroizing<Vec<u8>>,
    /// The `Date` header (RFC 9110 §6.6.1), in seconds since the Unix
    /// epoch, when there was a valid one: the provider's clock.
    pub(crate) date: Option<i64>,
    /// The `Retry-After` header (RFC 9110 §10.2.3), when there was a valid
    /// one.
    pub(crate) retry_after: Option<RetryAfter>,
}

/// A `Retry-After` header: a number of seconds, or an HTTP-date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryAfter {
    Seconds(u64),
    /// Seconds since the Unix epoch.
    At(i64),
}

impl RetryAfter {
    /// Reads a `Retry-After` value: `delay-seconds` (digits only) or an
    /// HTTP-date (any of its three formats); `None` for anything else.
    pub(crate) fn parse(value: &str) -> Option<RetryAfter> {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // A number too large for u64 is "longer than any wait".
            return Some(RetryAfter::Seconds(value.parse().unwrap_or(u64::MAX)));
        }
        http_date(value).map(RetryAfter::At)
    }

    /// How long it says to wait: seconds as they are, a date measured
    /// against the same response's `Date` (never the local clock, which may
    /// be wrong); `None` for a date without a `Date` to measure it by.
    pub(crate) fn wait(self, date: Option<i64>) -> Option<std::time::Duration> {
        match self {
            RetryAfter::Seconds(s) => Some(std::time::Duration::from_secs(s)),
            RetryAfter::At(at) => {
                let secs = at.saturating_sub(date?).max(0);
                Some(std::time::Duration::from_secs(secs.unsigned_abs()))
            }
        }
    }
}

/// An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and
/// asctime forms) in seconds since the Unix epoch.
pub(crate) fn http_date(value: &str) -> Option<i64> {
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    let secs = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

/// The token response in `reply`, or the error it amounts to.
///
/// * a 3xx is refused (never followed: a 307/308 would re-send the password);
/// * an `error` member is an [`Error::OAuth`] whatever the status (RFC 6749
///   §5.2; some providers send errors with 200);
/// * a token response is accepted only with a 2xx status;
/// * anything else is an [`Error::Response`] naming the problem, with a short
///   excerpt of the body when it is not a 2xx (an HTML error page, a proxy's
///   message) — never of a 2xx body, which may hold a token.
///
/// Every string shown has the request's secrets redacted first.
pub(crate) fn interpret(reply: &Reply, redactor: &Redactor) -> Result<TokenResponse, Error> {
    let status = reply.status;
    let refuse = |problem| {
        Error::Response(ResponseError {
            problem,
            status: Some(status),
            excerpt: None,
            endpoint: Endpoint::Token,
        })
    };
    if (300..400).contains(&status) {
        return Err(refuse(ResponseProblem::Redirect));
    }
    if reply.encoded {
        return Err(refuse(ResponseProblem::ContentEncoding));
    }
    let success = (200..300).contains(&status);
    match response::parse(&reply.body, redactor) {
        Ok(Parsed::Error(response)) => Err(Error::OAuth(OAuthError { status, response })),
        Ok(Parsed::Token(token)) if success => Ok(token),
        Ok(Parsed::Token(_)) => Err(refuse(ResponseProblem::Status)),
        Err(mut e) => {
            e.status = Some(status);
            if !success {
                e.problem = ResponseProblem::Status;
                e.excerpt = Some(excerpt(&reply.body, redactor));
            }
            Err(Error::Response(e))
        }
    }
}

/// What a revocation endpoint's reply means (RFC 7009 §2.2): a 2xx is
/// success (for a token the provider did not know, too), whatever the body
/// (unless it holds an `error` member); an RFC 6749 error body is
/// [`Error::OAuth`] (e.g. `unsupported_token_type`, `invalid_client`);
/// anything else as for token responses (a redirect refused, a non-2xx
/// without an error body an [`Error::Response`] with an excerpt).
pub(crate) fn interpret_revocation(reply: &Reply, redactor: &Redactor) -> Result<(), Error> {
    let success = (200..300).contains(&reply.status);
    if success && reply.encoded {
        // A body ropc does not decode: there is no error member to find.
        return Ok(());
    }
    // Read as a token endpoint's reply is (a leading BOM or whitespace
    // included): what is not an error response is, with a 2xx, success.
    match interpret(reply, redactor) {
        Err(Error::Response(_)) | Ok(_) if success => Ok(()),
        Err(Error::Response(mut r)) => {
            r.endpoint = Endpoint::Revocation;
            Err(Error::Response(r))
        }
        Err(e) => Err(e),
        Ok(_) => Err(Error::Response(ResponseError {
            problem: ResponseProblem::Status,
            status: Some(reply.status),
            excerpt: None,
            endpoint: Endpoint::Revocation,
        })),
    }
}

/// The key set in a JWKS URL's reply (RFC 7517 §5): a 2xx with a JWKS body.
/// A redirect is refused (never followed), an encoded body is not read, any
/// other status is an [`Error::Response`] with an excerpt of the body, and a
/// body that is not a key set names what is wrong with it.
#[cfg(feature = "asymmetric")]
pub(crate) fn interpret_key_set(reply: &Reply) -> Result<crate::jwt::KeySet, Error> {
    let status = reply.status;
    let refuse = |problem, excerpt| {
        Error::Response(ResponseError {
            problem,
            status: Some(status),
            excerpt,
            endpoint: Endpoint::Jwks,
        })
    };
    if (300..400).contains(&status) {
        return Err(refuse(ResponseProblem::Redirect, None));
    }
    if reply.encoded {
        return Err(refuse(ResponseProblem::ContentEncoding, None));
    }
    if !(200..300).contains(&status) {
        // Nothing secret was sent with a key set request.
        let shown = excerpt(&reply.body, &Redactor::default());
        return Err(refuse(ResponseProblem::Status, Some(shown)));
    }
    crate::jwt::KeySet::from_jwks(&reply.body).map_err(|e| refuse(ResponseProblem::KeySet(e), None))
}

/// A short excerpt of a body that is not a token response, with the
/// request's secrets redacted from the whole body before it is cut (so no
/// part of one survives at the cut).
fn excerpt(bytes: &[u8], redactor: &Redactor) -> String {
    // Leading whitespace is not shown, and does not count against the 80
    // characters; it is not cut off before redaction either (a secret may
    // start with a space).
    let leading = bytes.len() - bytes.trim_ascii_start().len();
    redactor.clean(bytes, leading + 80).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            encoded: false,
            body: Zeroizing::new(body.as_bytes().to_vec()),
            date: None,
            retry_after: None,
        }
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        assert_eq!(RetryAfter::parse("120"), Some(RetryAfter::Seconds(120)));
        assert_eq!(RetryAfter::parse(" 0 "), Some(RetryAfter::Seconds(0)));
        assert_eq!(
            RetryAfter::parse("99999999999999999999999"),
            Some(RetryAfter::Seconds(u64::MAX))
        );
        // RFC 9110's example, in its three formats.
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(RetryAfter::parse(date), Some(RetryAfter::At(784_111_777)));
        }
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "0x10",
        ] {
            assert_eq!(RetryAfter::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_http_date_retry_after_is_measured_against_the_responses_date() {
        let at = RetryAfter::At(1_000_120);
        assert_eq!(at.wait(Some(1_000_000)), Some(Duration::from_secs(120)));
        // Already past: no wait.
        assert_eq!(at.wait(Some(1_000_500)), Some(Duration::ZERO));
        // No Date to measure by: not used (the local clock may be wrong).
        assert_eq!(at.wait(None), None);
        assert_eq!(
            RetryAfter::Seconds(7).wait(None),
            Some(Duration::from_secs(7))
        );
    }

    fn problem(r: &Reply) -> Option<ResponseProblem> {
        match interpret(r, &Redactor::none()) {
            Err(Error::Response(e)) => Some(e.problem),
            _ => None,
        }
    }

    #[test]
    fn an_error_member_is_an_oauth_error_whatever_the_status() {
        for status in [200, 400, 401, 500] {
            let got = interpret(
                &reply(status, r#"{"error":"invalid_grant"}"#),
                &Redactor::none(),
            );
            assert!(
                matches!(&got, Err(Error::OAuth(e)) if e.status == status),
                "{status}"
            );
        }
    }

    #[test]
    fn a_token_response_needs_a_2xx() {
        let body = r#"{"access_token":"a","token_type":"Bearer"}"#;
        assert!(interpret(&reply(200, body), &Redactor::none()).is_ok());
        assert_eq!(problem(&reply(500, body)), Some(ResponseProblem::Status));
    }

    #[test]
    fn a_revocation_succeeds_with_any_2xx_unless_it_holds_an_error() {
        let ok = |status, body| interpret_revocation(&reply(status, body), &Redactor::none());
        assert!(ok(200, "").is_ok());
        assert!(ok(200, "{}").is_ok());
        assert!(ok(204, "").is_ok());
        assert!(ok(200, "not json").is_ok());
        assert!(matches!(
            ok(200, r#"{"error":"invalid_client"}"#),
            Err(Error::OAuth(_))
        ));
        // However the JSON starts: whitespace, a byte order mark.
        for body in [
            "\n {\"error\":\"invalid_client\"}",
            "\u{feff}{\"error\":\"invalid_client\"}",
        ] {
            assert!(matches!(ok(200, body), Err(Error::OAuth(_))), "{body:?}");
        }
        assert!(matches!(
            ok(400, r#"{"error":"unsupported_token_type"}"#),
            Err(Error::OAuth(e)) if e.response.code == crate::ErrorCode::Other("unsupported_token_type".into())
        ));
        assert!(
            matches!(ok(503, "<html>down</html>"), Err(Error::Response(r)) if r.is_unavailable())
        );
        assert!(
            matches!(ok(307, ""), Err(Error::Response(r)) if r.problem == ResponseProblem::Redirect)
        );
    }

    #[test]
    fn redirects_and_encoded_bodies_are_refused() {
        assert_eq!(problem(&reply(307, "")), Some(ResponseProblem::Redirect));
        let mut r = reply(200, "");
        r.encoded = true;
        assert_eq!(problem(&r), Some(ResponseProblem::ContentEncoding));
    }

    #[test]
    fn only_non_2xx_bodies_are_excerpted() {
        let Err(Error::Response(e)) = interpret(&reply(502, "  <h1>Bad</h1>"), &Redactor::none())
        else {
            panic!()
        };
        assert_eq!(e.excerpt.as_deref(), Some("<h1>Bad</h1>"));
        let Err(Error::Response(e)) = interpret(&reply(200, "access_token=x"), &Redactor::none())
        else {
            panic!()
        };
        assert_eq!(e.excerpt, None);
    }
}
