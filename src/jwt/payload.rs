//! The payload (RFC 7519 §4): a JSON object without duplicate member names
//! at any depth, its registered claims of the right type. Read once with
//! serde_json; the registered claims are kept as places in the payload text
//! (no copy) unless they had escapes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use super::claims::{Aud, Claims, Text, WipedText};
use super::{JwtError, MAX_NUMERIC_DATE};
use crate::json::{self, KeySet, Problem, Str, StrictAny};

/// Reads the decoded payload (moved in, wiped on every path).
pub(super) fn parse(mut payload: Zeroizing<Vec<u8>>) -> Result<Claims, JwtError> {
    // Moves the buffer (no copy); on error the bytes are handed back and
    // wiped.
    let json = match String::from_utf8(std::mem::take(&mut *payload)) {
        Ok(s) => WipedText(s),
        Err(e) => {
            drop(Zeroizing::new(e.into_bytes()));
            return Err(JwtError::Payload("not valid UTF-8"));
        }
    };
    let raw = serde_json::from_str::<Registered<'_>>(&json).map_err(|e| {
        JwtError::Payload(match json::classify(&e) {
            Problem::Syntax => "not valid JSON",
            Problem::NotObject => "not a JSON object",
            Problem::Duplicate => "duplicate member name",
        })
    })?;
    let iss = text_claim("iss", raw.iss, &json)?;
    let sub = text_claim("sub", raw.sub, &json)?;
    let jti = text_claim("jti", raw.jti, &json)?;
    let aud = match raw.aud {
        None => Aud::None,
        Some(AudValue::One(s)) => Aud::One(Text::new(s, &json)),
        Some(AudValue::Array {
            raw,
            escaped: false,
        }) => {
            let (start, end) = json::span(&json, raw).unwrap_or_default();
            Aud::Array(start, end)
        }
        Some(AudValue::Array { raw, escaped: true }) => {
            let items: Vec<Cow<'_, str>> =
                serde_json::from_str(raw).map_err(|_| JwtError::Payload("not valid JSON"))?;
            Aud::Many(items.into_iter().map(|s| Text::new(s, &json)).collect())
        }
        Some(AudValue::Other) => {
            return Err(JwtError::InvalidClaim {
                claim: "aud",
                reason: "must be a string or an array of strings",
            });
        }
    };
    let exp = numeric_date("exp", raw.exp, f64::floor)?;
    let nbf = numeric_date("nbf", raw.nbf, f64::ceil)?;
    let iat = numeric_date("iat", raw.iat, f64::ceil)?;
    Ok(Claims {
        json,
        iss,
        sub,
        jti,
        aud,
        exp,
        nbf,
        iat,
    })
}

/// The registered claims as read, borrowed from the payload text. A value
/// of the wrong type is recorded, not an error at once: a duplicate member
/// name anywhere in the payload is reported first.
#[derive(Default)]
struct Registered<'de> {
    iss: Option<Scalar<'de>>,
    sub: Option<Scalar<'de>>,
    jti: Option<Scalar<'de>>,
    aud: Option<AudValue<'de>>,
    exp: Option<Scalar<'de>>,
    nbf: Option<Scalar<'de>>,
    iat: Option<Scalar<'de>>,
}

/// A registered claim's value.
enum Scalar<'de> {
    Str(Cow<'de, str>),
    U64(u64),
    I64(i64),
    F64(f64),
    /// `true`, `false`, `null`, an array or an object.
    Other,
}

enum AudValue<'de> {
    One(Cow<'de, str>),
    /// An array of strings: its text, and whether an element has escapes.
    Array {
        raw: &'de str,
        escaped: bool,
    },
    Other,
}

impl<'de> de::Deserialize<'de> for Registered<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(PayloadVisitor)
    }
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = Registered<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = KeySet::new();
        let mut r = Registered::default();
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            let slot = match &*key {
                "iss" => Some(&mut r.iss),
                "sub" => Some(&mut r.sub),
                "jti" => Some(&mut r.jti),
                "exp" => Some(&mut r.exp),
                "nbf" => Some(&mut r.nbf),
                "iat" => Some(&mut r.iat),
                _ => None,
            };
            match slot {
                Some(slot) => *slot = Some(map.next_value::<Scalar<'de>>()?),
                None if key == "aud" => r.aud = Some(aud_value(map.next_value::<&RawValue>()?)?),
                None => {
                    map.next_value::<StrictAny>()?;
                }
            }
            keys.insert(key)?;
        }
        Ok(r)
    }
}

/// `aud`: a string, an array of strings, or something else (checked for
/// duplicate member names like everything else).
fn aud_value<'de, E: de::Error>(raw: &'de RawValue) -> Result<AudValue<'de>, E> {
    let text = raw.get();
    let value = if text.starts_with('"') {
        serde_json::from_str::<Str<'de>>(text).map(|Str(s)| AudValue::One(s))
    } else if text.starts_with('[') {
        serde_json::from_str::<StrArray>(text).map(|a| match a {
            StrArray::Strings { escaped } => AudValue::Array { raw: text, escaped },
            StrArray::Other => AudValue::Other,
        })
    } else {
        serde_json::from_str::<StrictAny>(text).map(|_| AudValue::Other)
    };
    value.map_err(|e| match json::classify(&e) {
        Problem::Duplicate => E::custom(e),
        _ => E::custom("aud"),
    })
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::I64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::F64(v))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        json::strict_seq(seq).map(|()| Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        json::strict_map(map).map(|()| Scalar::Other)
    }
}

/// An array, told apart by whether it holds only strings.
enum StrArray {
    Strings { escaped: bool },
    Other,
}

impl<'de> de::Deserialize<'de> for StrArray {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrArray;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrArray, A::Error> {
                let mut strings = true;
                let mut escaped = false;
                while let Some(item) = seq.next_element::<Scalar<'de>>()? {
                    match item {
                        Scalar::Str(Cow::Borrowed(_)) => {}
                        Scalar::Str(Cow::Owned(_)) => escaped = true,
                        _ => strings = false,
                    }
                }
                Ok(if strings {
                    StrArray::Strings { escaped }
                } else {
                    StrArray::Other
                })
            }
        }
        d.deserialize_seq(V)
    }
}

fn text_claim(
    claim: &'static str,
    value: Option<Scalar<'_>>,
    json: &str,
) -> Result<Option<Text>, JwtError> {
    match value {
        None => Ok(None),
        Some(Scalar::Str(s)) => Ok(Some(Text::new(s, json))),
        Some(_) => Err(JwtError::InvalidClaim {
            claim,
            reason: "must be a string",
        }),
    }
}

/// A NumericDate (RFC 7519 §2): an integer or a finite number of seconds in
/// `0..=MAX_NUMERIC_DATE`. Anything else is an error, never "absent".
fn numeric_date(
    claim: &'static str,
    value: Option<Scalar<'_>>,
    round: fn(f64) -> f64,
) -> Result<Option<i64>, JwtError> {
    let out_of_range = JwtError::InvalidClaim {
        claim,
        reason: "NumericDate out of range",
    };
    let seconds = match value {
        None => return Ok(None),
        Some(Scalar::U64(v)) => i64::try_from(v).map_err(|_| out_of_range.clone())?,
        Some(Scalar::I64(v)) => v,
        // Range-checked before the cast; the bound is below 2^53, so exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        Some(Scalar::F64(v)) => {
            if !v.is_finite() || !(0.0..=MAX_NUMERIC_DATE as f64).contains(&v) {
                return Err(out_of_range);
            }
            round(v) as i64
        }
        Some(_) => {
            return Err(JwtError::InvalidClaim {
                claim,
                reason: "must be a number (NumericDate)",
            });
        }
    };
    if !(0..=MAX_NUMERIC_DATE).contains(&seconds) {
        return Err(out_of_range);
    }
    Ok(Some(seconds))
}
