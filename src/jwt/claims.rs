//! [`Claims`]: the verified payload.

use std::borrow::Cow;
use std::fmt;

use zeroize::Zeroizing;

use super::RegisteredClaim;
use crate::json;

/// A string claim: a span of the payload text, or (when the JSON had escapes)
/// its own zeroized copy.
#[derive(Clone)]
pub(super) enum Text {
    Span(usize, usize),
    Owned(Zeroizing<String>),
}

impl Text {
    /// A string read from `json`: its place there when it was borrowed from
    /// it, otherwise the unescaped copy itself.
    pub(super) fn new(s: Cow<'_, str>, json: &str) -> Text {
        match s {
            Cow::Borrowed(b) => match json::span(json, b) {
                Some((start, end)) => Text::Span(start, end),
                None => Text::Owned(Zeroizing::new(b.to_owned())),
            },
            Cow::Owned(o) => Text::Owned(Zeroizing::new(o)),
        }
    }

    pub(super) fn get<'a>(&'a self, json: &'a str) -> &'a str {
        match self {
            Text::Span(start, end) => json.get(*start..*end).unwrap_or_default(),
            Text::Owned(s) => s,
        }
    }
}

/// The payload text, wiped on drop.
///
/// `Zeroizing<String>` wipes a `String` one byte at a time (zeroize's `Vec`
/// impl zeroizes element by element, each a volatile write and a fence); this
/// wipes the bytes and the spare capacity with zeroize's bulk slice wipe
/// (a fill behind an optimization barrier): the same guarantee, several
/// times faster on a payload of a few hundred bytes.
#[derive(Clone, Default)]
pub(super) struct WipedText(pub(super) String);

impl std::ops::Deref for WipedText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Drop for WipedText {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.as_mut_slice().zeroize();
        bytes.spare_capacity_mut().zeroize();
    }
}

#[derive(Clone)]
pub(super) enum Aud {
    None,
    One(Text),
    /// An array of strings without escapes: the place of its text, read
    /// back on demand (no allocation when verifying).
    Array(usize, usize),
    /// An array of strings some of which had escapes.
    Many(Vec<Text>),
}

/// The verified claims of a token: the registered claims typed, everything
/// else kept as the exact JSON text of the payload and read on demand.
///
/// The payload text is held in a zeroized buffer and wiped on drop.
///
/// ```
/// use base64::Engine as _;
/// use hmac::{KeyInit, Mac};
///
/// let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
/// let input = format!(
///     "{}.{}",
///     b64.encode(r#"{"alg":"HS256"}"#),
///     b64.encode(r#"{"iss":"https://id.example","aud":["api","app"],"exp":2000000000,"tier":"gold"}"#),
/// );
/// let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"key").unwrap();
/// mac.update(input.as_bytes());
/// let token = format!("{input}.{}", b64.encode(mac.finalize().into_bytes()));
///
/// let claims = ropc::jwt::verify(&token, b"key", &ropc::Validation::new().at(1_900_000_000))?;
/// assert_eq!(claims.iss(), Some("https://id.example"));
/// assert_eq!(claims.aud().collect::<Vec<_>>(), ["api", "app"]);
/// assert_eq!(claims.exp(), Some(2_000_000_000));
/// assert_eq!(claims.get("tier"), Some(serde_json::json!("gold")));
/// assert!(claims.as_json().starts_with(r#"{"iss""#)); // exactly as signed
/// # Ok::<(), ropc::JwtError>(())
/// ```
#[derive(Clone)]
pub struct Claims {
    pub(super) json: WipedText,
    pub(super) iss: Option<Text>,
    pub(super) sub: Option<Text>,
    pub(super) jti: Option<Text>,
    pub(super) aud: Aud,
    pub(super) exp: Option<i64>,
    pub(super) nbf: Option<i64>,
    pub(super) iat: Option<i64>,
}

impl Claims {
    /// `iss`, the issuer.
    #[must_use]
    pub fn iss(&self) -> Option<&str> {
        self.iss.as_ref().map(|t| t.get(&self.json))
    }

    /// `sub`, the subject.
    #[must_use]
    pub fn sub(&self) -> Option<&str> {
        self.sub.as_ref().map(|t| t.get(&self.json))
    }

    /// `jti`, the token id.
    #[must_use]
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_ref().map(|t| t.get(&self.json))
    }

    /// `aud`, the audiences: one item for a string `aud`, each element for an
    /// array, none when absent.
    pub fn aud(&self) -> impl Iterator<Item = &str> + '_ {
        let json: &str = &self.json;
        let (items, array): (&[Text], Vec<&str>) = match &self.aud {
            Aud::None => (&[], Vec::new()),
            Aud::One(t) => (std::slice::from_ref(t), Vec::new()),
            // Checked when verified: an array of strings without escapes.
            Aud::Array(start, end) => (
                &[],
                serde_json::from_str(json.get(*start..*end).unwrap_or_default())
                    .unwrap_or_default(),
            ),
            Aud::Many(v) => (v, Vec::new()),
        };
        items.iter().map(|t| t.get(json)).chain(array)
    }

    /// Whether `aud` holds `audience` (without allocating).
    pub(super) fn has_audience(&self, audience: &str) -> bool {
        match &self.aud {
            Aud::Array(start, end) => {
                let text = self.json.get(*start..*end).unwrap_or_default();
                let mut de = serde_json::Deserializer::from_str(text);
                serde::de::DeserializeSeed::deserialize(Contains(audience), &mut de)
                    .unwrap_or(false)
            }
            _ => self.aud().any(|a| a == audience),
        }
    }

    /// Whether a registered claim is present.
    pub(super) fn has(&self, claim: RegisteredClaim) -> bool {
        match claim {
            RegisteredClaim::Iss => self.iss.is_some(),
            RegisteredClaim::Sub => self.sub.is_some(),
            RegisteredClaim::Aud => !matches!(self.aud, Aud::None),
            RegisteredClaim::Exp => self.exp.is_some(),
            RegisteredClaim::Nbf => self.nbf.is_some(),
            RegisteredClaim::Iat => self.iat.is_some(),
            RegisteredClaim::Jti => self.jti.is_some(),
        }
    }

    /// `exp`, the expiry, in seconds since the Unix epoch (a fractional value
    /// is rounded down).
    #[must_use]
    pub fn exp(&self) -> Option<i64> {
        self.exp
    }

    /// `nbf`, not-before, in seconds since the Unix epoch (rounded up).
    #[must_use]
    pub fn nbf(&self) -> Option<i64> {
        self.nbf
    }

    /// `iat`, issued-at, in seconds since the Unix epoch (rounded up).
    #[must_use]
    pub fn iat(&self) -> Option<i64> {
        self.iat
    }

    /// Any claim, registered or not, parsed from the payload on demand.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<serde_json::Value> {
        match self.to_value() {
            serde_json::Value::Object(mut map) => map.remove(name),
            _ => None,
        }
    }

    /// The whole payload as a JSON object. Numbers keep their value
    /// (`u64::MAX`, `i64::MIN`, 2^53+1 stay integers).
    #[must_use]
    pub fn to_value(&self) -> serde_json::Value {
        // The text was checked to be a JSON object when the token was verified.
        serde_json::from_str(&self.json).unwrap_or(serde_json::Value::Null)
    }

    /// The payload exactly as it was signed: the JSON text of the decoded
    /// second segment. This is what `ropc` prints as `claims`.
    #[must_use]
    pub fn as_json(&self) -> &str {
        &self.json
    }
}

impl fmt::Debug for Claims {
    /// Shows the issuer, audiences and times; the subject, token id and the
    /// other claims may be personal data and are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("iss", &self.iss())
            .field("aud", &self.aud().collect::<Vec<_>>())
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .finish_non_exhaustive()
    }
}

impl serde::Serialize for Claims {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

/// Looks for one string in an array of strings without escapes.
struct Contains<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for Contains<'_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Contains<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(item) = seq.next_element::<&'de str>()? {
            found |= item == self.0;
        }
        Ok(found)
    }
}

impl Claims {
    /// No claims: the payload `{}` (what [`Tokens`](crate::Tokens) holds for
    /// an opaque access token, which is not parsed or verified).
    pub(crate) fn empty() -> Claims {
        Claims {
            json: WipedText(String::from("{}")),
            iss: None,
            sub: None,
            jti: None,
            aud: Aud::None,
            exp: None,
            nbf: None,
            iat: None,
        }
    }
}
