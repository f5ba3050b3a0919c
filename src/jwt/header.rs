//! The JOSE header (RFC 7515 §4): `alg` exactly `"HS256"`, no `crit`, `typ`
//! absent, `null`, `JWT` or `at+jwt`, no duplicate member names.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::JwtError;
use crate::json::{self, KeySet, Problem, Str, StrictAny};

/// Checks a decoded header.
pub(super) fn check(header: &[u8]) -> Result<(), JwtError> {
    // Not UTF-8 is not JSON; checked first so serde_json reads a `str` (one
    // reader type for all of ropc's JSON: a smaller binary).
    let header = std::str::from_utf8(header).map_err(|_| JwtError::Header("not valid JSON"))?;
    let seen = serde_json::from_str::<Seen>(header).map_err(|e| {
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
        Some(Member::Str { hs256: true, .. }) => Ok(()),
        Some(Member::Str { .. }) => Err(JwtError::Algorithm),
        Some(_) => Err(JwtError::Header("`alg` is not a string")),
    }
}

/// What the header says, as far as the checks care.
struct Seen {
    alg: Option<Member>,
    typ_ok: bool,
    crit: bool,
}

/// A member's value: a string (whether it is the one acceptable `alg`, and
/// an acceptable `typ`), `null`, or something else.
enum Member {
    Str { hs256: bool, typ: bool },
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

impl<'de> de::Deserialize<'de> for Seen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Seen;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        let mut keys = KeySet::new();
        let mut seen = Seen {
            alg: None,
            typ_ok: true,
            crit: false,
        };
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            match &*key {
                "alg" => seen.alg = Some(map.next_value::<Member>()?),
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
            hs256: v == "HS256",
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
