//! `application/x-www-form-urlencoded` bodies and HTTP Basic client
//! credentials, written into zeroized buffers sized once (so no reallocation
//! leaves an unwiped copy behind).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// How the client authenticates itself to the token endpoint. Exactly one
/// method is used per request; ropc never retries with another (that would
/// send the password twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// HTTP Basic with the id and secret as they are:
    /// `base64(client_id ":" client_secret)`. The default, as identity
    /// providers document it; many deployed servers do not form-decode Basic
    /// credentials.
    #[default]
    Basic,
    /// HTTP Basic with the id and secret each form-urlencoded first, as
    /// RFC 6749 §2.3.1 specifies. Needed when a server decodes them (and for
    /// ids or secrets holding `:`).
    BasicFormEncoded,
    /// `client_id` and `client_secret` as form parameters in the body
    /// (`client_secret_post`, RFC 6749 §2.3.1).
    Post,
    /// A public client (RFC 6749 §2.1; `none` in RFC 7591): no secret, only
    /// `client_id` in the body and no `Authorization` header. The client
    /// secret is then not needed, unless access tokens are verified with it
    /// (the default HS256 verification).
    None,
}

/// Whether a byte is left as it is by the form-urlencoded serializer (the
/// WHATWG URL standard, which RFC 6749 Appendix B follows).
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_')
}

/// Length of `s` once form-urlencoded.
#[must_use]
pub fn encoded_len(s: &str) -> usize {
    s.bytes()
        .map(|b| if unreserved(b) || b == b' ' { 1 } else { 3 })
        .sum()
}

/// Appends `s` form-urlencoded to `out` (space as `+`, other reserved bytes as
/// `%XX` in upper case).
pub fn push_encoded(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if unreserved(b) {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// Encodes `name=value` pairs as an `application/x-www-form-urlencoded` body,
/// in a zeroized buffer allocated once at its final size.
#[must_use]
pub fn encode(pairs: &[(&str, &str)]) -> Zeroizing<String> {
    let len: usize = pairs
        .iter()
        .map(|(k, v)| encoded_len(k) + 1 + encoded_len(v))
        .sum::<usize>()
        + pairs.len().saturating_sub(1);
    let mut out = Zeroizing::new(String::with_capacity(len));
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, k);
        out.push('=');
        push_encoded(&mut out, v);
    }
    debug_assert_eq!(out.len(), len);
    out
}

/// Decodes an `application/x-www-form-urlencoded` body into name/value pairs,
/// each in a zeroized buffer. Returns `None` for a bad `%` escape or bytes that
/// are not UTF-8 once decoded. Empty pieces (`a=1&&b=2`) are skipped and a
/// piece without `=` has an empty value, as the WHATWG standard says.
#[must_use]
pub fn decode(body: &str) -> Option<Vec<(Zeroizing<String>, Zeroizing<String>)>> {
    let mut pairs = Vec::new();
    for piece in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        pairs.push((decode_component(k)?, decode_component(v)?));
    }
    Some(pairs)
}

/// Decodes one form-urlencoded component into a zeroized string (the
/// provider reads request bodies with it, the token store its account
/// lines).
#[must_use]
pub fn decode_component(s: &str) -> Option<Zeroizing<String>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(s.len()));
    let mut it = s.bytes();
    while let Some(b) = it.next() {
        bytes.push(match b {
            b'+' => b' ',
            b'%' => {
                let hi = char::from(it.next()?).to_digit(16)?;
                let lo = char::from(it.next()?).to_digit(16)?;
                u8::try_from(hi * 16 + lo).ok()?
            }
            b => b,
        });
    }
    std::str::from_utf8(&bytes).ok()?;
    let mut out = Zeroizing::new(String::with_capacity(bytes.len()));
    out.push_str(std::str::from_utf8(&bytes).ok()?);
    Some(out)
}

/// The `Authorization` header value for HTTP Basic client authentication,
/// `Basic <base64>`, built in zeroized buffers of their final size.
///
/// With [`ClientAuth::Basic`] the id and secret are used as they are; with
/// [`ClientAuth::BasicFormEncoded`] each is form-urlencoded first
/// (RFC 6749 §2.3.1). For [`ClientAuth::Post`] and [`ClientAuth::None`]
/// there is no header: `None`.
#[must_use]
pub fn basic_authorization(
    client_id: &str,
    client_secret: &str,
    style: ClientAuth,
) -> Option<Zeroizing<String>> {
    let mut plain = match style {
        ClientAuth::Post | ClientAuth::None => return None,
        ClientAuth::Basic => Zeroizing::new(String::with_capacity(
            client_id.len() + 1 + client_secret.len(),
        )),
        ClientAuth::BasicFormEncoded => Zeroizing::new(String::with_capacity(
            encoded_len(client_id) + 1 + encoded_len(client_secret),
        )),
    };
    if style == ClientAuth::Basic {
        plain.push_str(client_id);
        plain.push(':');
        plain.push_str(client_secret);
    } else {
        push_encoded(&mut plain, client_id);
        plain.push(':');
        push_encoded(&mut plain, client_secret);
    }
    // Encoded straight into the zeroized buffer (`encode_string` would pass
    // the credentials through a chunk buffer on the stack).
    let b64_len = plain.len().div_ceil(3) * 4;
    let mut bytes = Zeroizing::new(vec![0u8; 6 + b64_len]);
    bytes[..6].copy_from_slice(b"Basic ");
    let n = STANDARD
        .encode_slice(plain.as_bytes(), &mut bytes[6..])
        .ok()?;
    debug_assert_eq!(n, b64_len);
    let mut header = Zeroizing::new(String::with_capacity(bytes.len()));
    header.push_str(std::str::from_utf8(&bytes).ok()?);
    Some(header)
}

#[cfg(any(feature = "testing", feature = "_fuzz", test))]
/// Reads the client id and secret back out of a `Basic` `Authorization`
/// header value (the scheme is matched case-insensitively). With
/// [`ClientAuth::BasicFormEncoded`] both parts are form-decoded. `None` when
/// the value is not Basic credentials of that style.
#[must_use]
pub fn parse_basic_authorization(
    value: &str,
    style: ClientAuth,
) -> Option<(Zeroizing<String>, Zeroizing<String>)> {
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let mut raw = Zeroizing::new(vec![0u8; base64::decoded_len_estimate(rest.trim().len())]);
    let n = STANDARD.decode_slice(rest.trim(), &mut raw).ok()?;
    raw.truncate(n);
    let text = std::str::from_utf8(&raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    match style {
        ClientAuth::Basic => Some((
            Zeroizing::new(id.to_owned()),
            Zeroizing::new(secret.to_owned()),
        )),
        ClientAuth::BasicFormEncoded => Some((decode_component(id)?, decode_component(secret)?)),
        ClientAuth::Post | ClientAuth::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_bytes_pass_through() {
        assert_eq!(encode(&[("a", "AZaz09*-._")]).as_str(), "a=AZaz09*-._");
    }

    #[test]
    fn space_becomes_plus_and_reserved_bytes_percent() {
        assert_eq!(
            encode(&[("scope", "openid email"), ("p", "a+b/c=d&e%~é")]).as_str(),
            "scope=openid+email&p=a%2Bb%2Fc%3Dd%26e%25%7E%C3%A9"
        );
    }

    #[test]
    fn encode_allocates_exactly_once() {
        let body = encode(&[("password", "pa ss+wörd"), ("username", "u")]);
        assert_eq!(body.capacity(), body.len());
    }

    #[test]
    fn empty_pairs_give_empty_body() {
        assert_eq!(encode(&[]).as_str(), "");
        assert_eq!(encode(&[("a", "")]).as_str(), "a=");
    }

    #[test]
    fn decode_inverts_encode() {
        let pairs = [("grant_type", "password"), ("password", "p@ss word+%&=é😀")];
        let body = encode(&pairs);
        let back = decode(&body).unwrap();
        assert_eq!(back.len(), 2);
        for ((k, v), (dk, dv)) in pairs.iter().zip(&back) {
            assert_eq!((*k, *v), (dk.as_str(), dv.as_str()));
        }
    }

    #[test]
    fn decode_rejects_bad_escapes() {
        assert!(decode("a=%zz").is_none());
        assert!(decode("a=%4").is_none());
        assert!(decode("a=%ff").is_none());
        assert_eq!(decode("a&&b=1").unwrap().len(), 2);
    }

    #[test]
    fn basic_as_is_keeps_the_secret_unencoded() {
        let h = basic_authorization("id", "a+b/c=", ClientAuth::Basic).unwrap();
        assert_eq!(h.as_str(), "Basic aWQ6YStiL2M9");
        let (id, s) = parse_basic_authorization(&h, ClientAuth::Basic).unwrap();
        assert_eq!((id.as_str(), s.as_str()), ("id", "a+b/c="));
        assert_eq!(h.capacity(), h.len());
    }

    #[test]
    fn basic_rfc6749_form_encodes_id_and_secret() {
        let h = basic_authorization("my id", "a+b:c", ClientAuth::BasicFormEncoded).unwrap();
        // base64("my+id:a%2Bb%3Ac")
        assert_eq!(h.as_str(), "Basic bXkraWQ6YSUyQmIlM0Fj");
        let (id, s) = parse_basic_authorization(&h, ClientAuth::BasicFormEncoded).unwrap();
        assert_eq!((id.as_str(), s.as_str()), ("my id", "a+b:c"));
    }

    #[test]
    fn post_has_no_header() {
        assert!(basic_authorization("id", "s", ClientAuth::Post).is_none());
    }

    #[test]
    fn parse_basic_rejects_other_schemes_and_garbage() {
        assert!(parse_basic_authorization("Bearer abc", ClientAuth::Basic).is_none());
        assert!(parse_basic_authorization("Basic !!!", ClientAuth::Basic).is_none());
        assert!(parse_basic_authorization("Basic bm9jb2xvbg==", ClientAuth::Basic).is_none());
        assert!(parse_basic_authorization("basic aWQ6cw==", ClientAuth::Basic).is_some());
    }
}
