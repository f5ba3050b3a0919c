//! The JOSE header (RFC 7515 §4), read once for both verifiers: `alg` (a
//! string, recognised or not), `kid` (kept for key selection), no `crit`,
//! `typ` absent, `null`, `JWT` or `at+jwt`, no duplicate member names.
//! `jku`, `x5u`, `jwk` and `x5c` are read like any other member (checked for
//! duplicates, then dropped): ropc never fetches or uses them.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::JwtError;
use crate::json::{self, KeySet, Problem, Str, StrictAny};

/// A JOSE `alg` value ropc recognises (RFC 7518 §3.1, RFC 8037, RFC 9864),
/// whether or not a verifier accepts it. Anything else is unrecognised and
/// never named in an error (the token's own text is not echoed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    /// RFC 8037's name: with ropc's keys, always Ed25519.
    EdDSA,
    /// RFC 9864's fully specified name for the same algorithm.
    Ed25519,
    /// `none`, in any spelling: an unsecured JWS.
    None,
}

impl Alg {
    /// The algorithm `name` stands for. JOSE names are case-sensitive;
    /// `none` is recognised in any case, since that is how it is abused.
    pub(super) fn from_name(name: &str) -> Option<Alg> {
        Some(match name {
            "HS256" => Alg::HS256,
            "HS384" => Alg::HS384,
            "HS512" => Alg::HS512,
            "RS256" => Alg::RS256,
            "RS384" => Alg::RS384,
            "RS512" => Alg::RS512,
            "PS256" => Alg::PS256,
            "PS384" => Alg::PS384,
            "PS512" => Alg::PS512,
            "ES256" => Alg::ES256,
            "ES384" => Alg::ES384,
            "ES512" => Alg::ES512,
            "EdDSA" => Alg::EdDSA,
            "Ed25519" => Alg::Ed25519,
            _ if name.eq_ignore_ascii_case("none") => Alg::None,
            _ => return None,
        })
    }

    /// The canonical JOSE name.
    pub(super) fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
            Alg::Ed25519 => "Ed25519",
            Alg::None => "none",
        }
    }
}

/// The `kid` member as read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Kid<'a> {
    Absent,
    Str(Cow<'a, str>),
    /// Present but not a JSON string.
    NotString,
}

/// What a verifier needs of a header that passed the common checks.
#[derive(Debug)]
pub(super) struct Header<'a> {
    /// `None`: a string ropc does not recognise.
    pub(super) alg: Option<Alg>,
    /// Read by the key-set verifier only (HS256 ignores `kid`).
    #[cfg_attr(not(feature = "asymmetric"), allow(dead_code))]
    pub(super) kid: Kid<'a>,
}

/// Reads a decoded header: JSON object without duplicate names, no `crit`,
/// an acceptable `typ`, an `alg` that is a string. The `alg` value and the
/// `kid` are for the caller to judge.
pub(super) fn parse(header: &[u8]) -> Result<Header<'_>, JwtError> {
    // Not UTF-8 is not JSON; checked first so serde_json reads a `str` (one
    // reader type for all of ropc's JSON: a smaller binary).
    let header = std::str::from_utf8(header).map_err(|_| JwtError::Header("not valid JSON"))?;
    let seen = serde_json::from_str::<Seen<'_>>(header).map_err(|e| {
        JwtError::Header(match json::classify(&e) {
            Problem::Syntax => "not valid JSON",
            Problem::NotObject => "not a JSON object",
            Problem::Duplicate => "duplicate member name",
        })
    })?;
    if seen.crit {
        return Err(JwtError::Header("`crit` extensions are not supported"));
    }
    if !seen.typ_ok {
        return Err(JwtError::Header("`typ` is not JWT or at+jwt"));
    }
    match seen.alg {
        None => Err(JwtError::Header("`alg` is missing")),
        Some(Member::Str { alg, .. }) => Ok(Header { alg, kid: seen.kid }),
        Some(_) => Err(JwtError::Header("`alg` is not a string")),
    }
}

/// The HS256 verifier's header check: [`parse`], then `alg` exactly `HS256`.
pub(super) fn check_hs256(header: &[u8]) -> Result<(), JwtError> {
    match parse(header)?.alg {
        Some(Alg::HS256) => Ok(()),
        other => Err(JwtError::Algorithm {
            found: other.map(Alg::name),
        }),
    }
}

/// What the header says, as far as the checks care.
struct Seen<'a> {
    alg: Option<Member>,
    kid: Kid<'a>,
    typ_ok: bool,
    crit: bool,
}

/// A member's value: a string (the algorithm it names, and whether it is an
/// acceptable `typ`), `null`, or something else.
enum Member {
    Str { alg: Option<Alg>, typ: bool },
    Null,
    Other,
}

fn acceptable_typ(typ: &str) -> bool {
    // `get` rather than slicing: byte 12 may fall inside a character.
    let bare = match (typ.get(..12), typ.get(12..)) {
        (Some(prefix), Some(rest))
            if !rest.is_empty() && prefix.eq_ignore_ascii_case("application/") =>
        {
            rest
        }
        _ => typ,
    };
    bare.eq_ignore_ascii_case("JWT") || bare.eq_ignore_ascii_case("at+jwt")
}

impl<'de> de::Deserialize<'de> for Seen<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Seen<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen<'de>, A::Error> {
        let mut keys = KeySet::new();
        let mut seen = Seen {
            alg: None,
            kid: Kid::Absent,
            typ_ok: true,
            crit: false,
        };
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            match &*key {
                "alg" => seen.alg = Some(map.next_value::<Member>()?),
                "kid" => {
                    seen.kid = match map.next_value::<KidValue<'de>>()? {
                        KidValue(Some(s)) => Kid::Str(s),
                        KidValue(None) => Kid::NotString,
                    }
                }
                // JSON null is an absent `typ` (PyJWT, node jsonwebtoken and
                // the jsonwebtoken crate mint and accept these).
                "typ" => {
                    seen.typ_ok = match map.next_value::<Member>()? {
                        Member::Str { typ, .. } => typ,
                        Member::Null => true,
                        Member::Other => false,
                    }
                }
                "crit" => {
                    map.next_value::<StrictAny>()?;
                    seen.crit = true;
                }
                _ => {
                    map.next_value::<StrictAny>()?;
                }
            }
            keys.insert(key)?;
        }
        Ok(seen)
    }
}

impl<'de> de::Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Member, E> {
        Ok(Member::Str {
            alg: Alg::from_name(v),
            typ: acceptable_typ(v),
        })
    }
    fn visit_unit<E>(self) -> Result<Member, E> {
        Ok(Member::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Member, E> {
        Ok(Member::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Member, E> {
        Ok(Member::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Member, E> {
        Ok(Member::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Member, E> {
        Ok(Member::Other)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Member, A::Error> {
        json::strict_seq(seq)?;
        Ok(Member::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Member, A::Error> {
        json::strict_map(map)?;
        Ok(Member::Other)
    }
}

/// A `kid` value: the string, or `None` for any other JSON value (checked
/// for duplicate member names all the same).
struct KidValue<'de>(Option<Cow<'de, str>>);

impl<'de> de::Deserialize<'de> for KidValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KidVisitor)
    }
}

struct KidVisitor;

impl<'de> Visitor<'de> for KidVisitor {
    type Value = KidValue<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(KidValue(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(KidValue(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(KidValue(None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(KidValue(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(KidValue(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(KidValue(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(KidValue(None))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        json::strict_seq(seq).map(|()| KidValue(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        json::strict_map(map).map(|()| KidValue(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recognised_name_reads_back_as_itself() {
        for alg in [
            Alg::HS256,
            Alg::HS384,
            Alg::HS512,
            Alg::RS256,
            Alg::RS384,
            Alg::RS512,
            Alg::PS256,
            Alg::PS384,
            Alg::PS512,
            Alg::ES256,
            Alg::ES384,
            Alg::ES512,
            Alg::EdDSA,
            Alg::Ed25519,
            Alg::None,
        ] {
            assert_eq!(Alg::from_name(alg.name()), Some(alg));
        }
        assert_eq!(Alg::from_name("NoNe"), Some(Alg::None));
        for other in ["rs256", "ES256K", "RS256 ", "", "Ed448", "HS2560"] {
            assert_eq!(Alg::from_name(other), None, "{other}");
        }
    }

    #[test]
    fn kid_is_read_as_a_string_or_marked_otherwise() {
        let h = parse(br#"{"alg":"RS256","kid":"a\"b"}"#).unwrap();
        assert_eq!(h.kid, Kid::Str("a\"b".into()));
        assert_eq!(h.alg, Some(Alg::RS256));
        let h = parse(br#"{"alg":"RS256","kid":7}"#).unwrap();
        assert_eq!(h.kid, Kid::NotString);
        let h = parse(br#"{"alg":"ES256"}"#).unwrap();
        assert_eq!(h.kid, Kid::Absent);
        // A duplicate inside a non-string kid is still a duplicate.
        assert_eq!(
            parse(br#"{"alg":"RS256","kid":{"a":1,"a":2}}"#).unwrap_err(),
            JwtError::Header("duplicate member name")
        );
    }
}
