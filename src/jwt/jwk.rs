//! JWK and JWK Set documents (RFC 7517, RFC 7518 §6, RFC 8037 §2) read with
//! serde_json and ropc's strict visitors: a duplicate member name at any
//! depth makes the whole document unreadable, while a key with members of
//! the wrong type or value is only left out, with the reason.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::keys::{self, Bound, Builder, KeySet, KeySetError, MAX_KEYS, Material};
use crate::json::{self, KeySet as Names, Problem, Str, StrictAny};

/// The serde error message for a `keys` array over the cap.
const TOO_MANY: &str = "too many keys";

/// A top-level object: read as a JWK, and its `keys` member if any (an
/// array of entries, or `Err` when it is not an array).
pub(super) struct Top<'de> {
    pub(super) jwk: Jwk<'de>,
    pub(super) keys: Option<Result<Vec<Entry<'de>>, ()>>,
}

/// An element of `keys`: a JWK, or `Err` when it is not an object.
pub(super) type Entry<'de> = Result<Jwk<'de>, ()>;

/// The members of a JWK that ropc reads, as found.
#[derive(Default)]
pub(super) struct Jwk<'de> {
    kty: Option<Value<'de>>,
    kid: Option<Value<'de>>,
    use_: Option<Value<'de>>,
    key_ops: Option<Value<'de>>,
    alg: Option<Value<'de>>,
    crv: Option<Value<'de>>,
    n: Option<Value<'de>>,
    e: Option<Value<'de>>,
    x: Option<Value<'de>>,
    y: Option<Value<'de>>,
    /// A private member (`d`, RSA's `p` `q` `dp` `dq` `qi` `oth`) is present.
    private: bool,
}

/// A member's value.
enum Value<'de> {
    Str(Cow<'de, str>),
    /// An array of strings.
    Strs(Vec<Cow<'de, str>>),
    /// Anything else (checked for duplicate names all the same).
    Other,
}

/// Reads a JSON document that should be a JWK or a JWKS (a leading byte
/// order mark is tolerated).
pub(super) fn read(json: &[u8]) -> Result<Top<'_>, KeySetError> {
    let json = json.strip_prefix(b"\xef\xbb\xbf").unwrap_or(json);
    let text = std::str::from_utf8(json).map_err(|_| KeySetError::NotUtf8)?;
    serde_json::from_str::<Top<'_>>(text).map_err(|e| {
        if e.to_string().starts_with(TOO_MANY) {
            return KeySetError::TooManyKeys { max: MAX_KEYS };
        }
        match json::classify(&e) {
            Problem::Syntax => KeySetError::NotJson,
            Problem::NotObject => KeySetError::NotObject,
            Problem::Duplicate => KeySetError::DuplicateMember,
        }
    })
}

/// The set of these entries: each usable, or left out with its reason.
pub(super) fn build(entries: Vec<Entry<'_>>) -> Result<KeySet, KeySetError> {
    let mut set = Builder::default();
    for entry in entries {
        match entry {
            Ok(jwk) => {
                let (kid, key) = jwk.check();
                set.push(kid, key)?;
            }
            Err(()) => set.push(None, Err("not a JSON object"))?,
        }
    }
    Ok(set.build())
}

impl Jwk<'_> {
    /// The key's `kid` (when a string) and the key, or why it is left out.
    fn check(&self) -> (Option<String>, Bound) {
        let kid = match &self.kid {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone().into_owned())),
            Some(_) => Err("`kid` is not a string"),
        };
        match kid {
            Ok(kid) => (kid, self.key()),
            Err(why) => (None, Err(why)),
        }
    }

    fn key(&self) -> Bound {
        let kty = string(&self.kty, "`kty` is missing", "`kty` is not a string")?;
        if kty == "oct" {
            return Err("symmetric (`oct`) keys are never used");
        }
        if !matches!(kty, "RSA" | "EC" | "OKP") {
            return Err("unknown `kty`");
        }
        if self.private {
            return Err("JWK holds a private key");
        }
        match &self.use_ {
            None => {}
            Some(Value::Str(u)) if u == "sig" => {}
            Some(Value::Str(_)) => return Err("`use` is not `sig`"),
            Some(_) => return Err("`use` is not a string"),
        }
        match &self.key_ops {
            None => {}
            Some(Value::Strs(ops)) if ops.iter().any(|op| op == "verify") => {}
            Some(Value::Strs(_)) => return Err("`key_ops` lacks `verify`"),
            Some(_) => return Err("`key_ops` is not an array of strings"),
        }
        let alg = match &self.alg {
            None => None,
            Some(Value::Str(a)) => Some(&**a),
            Some(_) => return Err("JWK `alg` is not a string"),
        };
        let material = match kty {
            "RSA" => {
                let n = b64(
                    &self.n,
                    "RSA `n` is missing",
                    "RSA `n` is not strict base64url",
                )?;
                let e = b64(
                    &self.e,
                    "RSA `e` is missing",
                    "RSA `e` is not strict base64url",
                )?;
                Material::rsa(&n, &e)?
            }
            "EC" => {
                let p384 =
                    match string(&self.crv, "EC `crv` is missing", "EC `crv` is not a string")? {
                        "P-256" => false,
                        "P-384" => true,
                        _ => return Err("EC curve other than P-256 and P-384"),
                    };
                let x = b64(
                    &self.x,
                    "EC `x` is missing",
                    "EC `x` is not strict base64url",
                )?;
                let y = b64(
                    &self.y,
                    "EC `y` is missing",
                    "EC `y` is not strict base64url",
                )?;
                Material::ec(&x, &y, p384)?
            }
            _ => {
                match string(
                    &self.crv,
                    "OKP `crv` is missing",
                    "OKP `crv` is not a string",
                )? {
                    "Ed25519" => {}
                    _ => return Err("OKP curve other than Ed25519"),
                }
                let x = b64(
                    &self.x,
                    "OKP `x` is missing",
                    "OKP `x` is not strict base64url",
                )?;
                Material::ed25519(&x)?
            }
        };
        keys::bind(alg, material)
    }
}

fn string<'a>(
    value: &'a Option<Value<'_>>,
    missing: &'static str,
    wrong: &'static str,
) -> Result<&'a str, &'static str> {
    match value {
        None => Err(missing),
        Some(Value::Str(s)) => Ok(s),
        Some(_) => Err(wrong),
    }
}

/// A member holding base64url without padding, strictly decoded (canonical
/// trailing bits, no whitespace).
fn b64(
    value: &Option<Value<'_>>,
    missing: &'static str,
    wrong: &'static str,
) -> Result<Vec<u8>, &'static str> {
    URL_SAFE_NO_PAD
        .decode(string(value, missing, wrong)?)
        .map_err(|_| wrong)
}

impl<'de> de::Deserialize<'de> for Top<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Top<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Top<'de>, A::Error> {
                members(map, true)
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads an object's members; with `top`, also its `keys` array.
fn members<'de, A: MapAccess<'de>>(mut map: A, top: bool) -> Result<Top<'de>, A::Error> {
    let mut names = Names::new();
    let mut jwk = Jwk::default();
    let mut keys = None;
    while let Some(Str(name)) = map.next_key::<Str<'de>>()? {
        let slot = match &*name {
            "kty" => Some(&mut jwk.kty),
            "kid" => Some(&mut jwk.kid),
            "use" => Some(&mut jwk.use_),
            "key_ops" => Some(&mut jwk.key_ops),
            "alg" => Some(&mut jwk.alg),
            "crv" => Some(&mut jwk.crv),
            "n" => Some(&mut jwk.n),
            "e" => Some(&mut jwk.e),
            "x" => Some(&mut jwk.x),
            "y" => Some(&mut jwk.y),
            _ => None,
        };
        match slot {
            Some(slot) => *slot = Some(map.next_value::<Value<'de>>()?),
            None if top && name == "keys" => keys = Some(map.next_value::<Keys<'de>>()?.0),
            None => {
                jwk.private |= matches!(&*name, "d" | "p" | "q" | "dp" | "dq" | "qi" | "oth");
                map.next_value::<StrictAny>()?;
            }
        }
        names.insert(name)?;
    }
    Ok(Top { jwk, keys })
}

/// The `keys` member: an array of at most [`MAX_KEYS`] entries, or `Err`
/// for any other JSON value.
struct Keys<'de>(Result<Vec<Entry<'de>>, ()>);

impl<'de> de::Deserialize<'de> for Keys<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Keys<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Keys<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(EntryValue(entry)) = seq.next_element::<EntryValue<'de>>()? {
                    if entries.len() == MAX_KEYS {
                        return Err(de::Error::custom(TOO_MANY));
                    }
                    entries.push(entry);
                }
                Ok(Keys(Ok(entries)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Keys<'de>, A::Error> {
                json::strict_map(map).map(|()| Keys(Err(())))
            }
            fn visit_str<E>(self, _: &str) -> Result<Keys<'de>, E> {
                Ok(Keys(Err(())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Keys<'de>, E> {
                Ok(Keys(Err(())))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Keys<'de>, E> {
                Ok(Keys(Err(())))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Keys<'de>, E> {
                Ok(Keys(Err(())))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Keys<'de>, E> {
                Ok(Keys(Err(())))
            }
            fn visit_unit<E>(self) -> Result<Keys<'de>, E> {
                Ok(Keys(Err(())))
            }
        }
        d.deserialize_any(V)
    }
}

/// One element of `keys`.
struct EntryValue<'de>(Entry<'de>);

impl<'de> de::Deserialize<'de> for EntryValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EntryValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                members(map, false).map(|top| EntryValue(Ok(top.jwk)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                json::strict_seq(seq).map(|()| EntryValue(Err(())))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(EntryValue(Err(())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(EntryValue(Err(())))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(EntryValue(Err(())))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(EntryValue(Err(())))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(EntryValue(Err(())))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(EntryValue(Err(())))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> de::Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Value::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Value::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut strings = Some(Vec::new());
                while let Some(item) = seq.next_element::<Value<'de>>()? {
                    match (item, &mut strings) {
                        (Value::Str(s), Some(v)) => v.push(s),
                        _ => strings = None,
                    }
                }
                Ok(strings.map_or(Value::Other, Value::Strs))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                json::strict_map(map).map(|()| Value::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Value::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Value::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Value::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Value::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Value::Other)
            }
        }
        d.deserialize_any(V)
    }
}
