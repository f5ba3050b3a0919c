//! Where access tokens are verified from: the client secret (HS256, the
//! default), `ROPC_JWKS_URL`, `ROPC_JWT_KEYS_FILE` or `ROPC_VERIFY=none`; at
//! most one of the last three. And what a failed verification's message
//! adds when another key source would fit the token.

use ropc::jwt::JwtError;
use ropc::{Error, Verification};

use crate::config::Problems;

/// The variables that choose a key source other than the client secret.
const VARIABLES: [&str; 3] = ["ROPC_JWKS_URL", "ROPC_JWT_KEYS_FILE", "ROPC_VERIFY"];

/// The key source the environment names.
pub(crate) enum KeySource {
    /// HS256 with the client secret (no variable set).
    ClientSecret,
    /// `ROPC_JWKS_URL`.
    #[cfg(feature = "asymmetric")]
    Jwks(String),
    /// `ROPC_JWT_KEYS_FILE`, read and parsed.
    #[cfg(feature = "asymmetric")]
    Keys(ropc::jwt::KeySet),
    /// `ROPC_VERIFY=none`: opaque access tokens, not verified.
    Opaque,
}

impl KeySource {
    /// What the library is told.
    pub(crate) fn verification(&self) -> Verification {
        match self {
            KeySource::ClientSecret => Verification::ClientSecret,
            #[cfg(feature = "asymmetric")]
            KeySource::Jwks(url) => Verification::JwksUrl(url.clone()),
            #[cfg(feature = "asymmetric")]
            KeySource::Keys(keys) => Verification::Keys(keys.clone()),
            KeySource::Opaque => Verification::Opaque,
        }
    }

    /// The JWKS URL, when that is the source.
    pub(crate) fn jwks_url(&self) -> Option<&str> {
        match self {
            #[cfg(feature = "asymmetric")]
            KeySource::Jwks(url) => Some(url),
            _ => None,
        }
    }

    /// Whether the client secret is the key (so it is needed even for a
    /// public client).
    pub(crate) fn is_client_secret(&self) -> bool {
        matches!(self, KeySource::ClientSecret)
    }

    /// What a failed verification's message adds: the variable that fits a
    /// token this source cannot verify (an RS/PS/ES/EdDSA token under the
    /// client secret, a token that is not a JWT at all).
    pub(crate) fn hint(&self, e: &JwtError) -> Option<&'static str> {
        if not_a_jwt(e) {
            return Some(match self {
                KeySource::Opaque => return None,
                _ => {
                    "the access token is not a JWT: if the provider issues opaque tokens, \
                     set ROPC_VERIFY=none"
                }
            });
        }
        match (self, e) {
            (
                KeySource::ClientSecret,
                JwtError::Algorithm {
                    found: Some(alg), ..
                },
            ) if is_asymmetric(alg) => Some(
                "the token is signed with the provider's private key, not the client secret: \
                 set ROPC_JWKS_URL (the provider's published keys) or ROPC_JWT_KEYS_FILE",
            ),
            _ => None,
        }
    }
}

/// Whether the token failed for not being a JWT at all.
fn not_a_jwt(e: &JwtError) -> bool {
    matches!(
        e,
        JwtError::Malformed(_)
            | JwtError::Base64 {
                segment: ropc::jwt::Segment::Header
            }
            | JwtError::Header("not valid JSON" | "not a JSON object")
    )
}

fn is_asymmetric(alg: &str) -> bool {
    ["RS", "PS", "ES"].iter().any(|p| alg.starts_with(p)) || alg == "EdDSA" || alg == "Ed25519"
}

/// The key source, with every problem recorded in `p`: two or more set at
/// once (named), `ROPC_VERIFY` other than `none`, a keys file that cannot be
/// read or holds no usable key, a build without asymmetric verification.
pub(crate) fn read(p: &mut Problems) -> Option<KeySource> {
    let set: Vec<(&str, String)> = VARIABLES
        .iter()
        .filter_map(|&name| Some((name, p.var(name)?)))
        .collect();
    match set.as_slice() {
        [] => Some(KeySource::ClientSecret),
        [(name, value)] => one(p, name, value),
        many => {
            let names: Vec<&str> = many.iter().map(|(name, _)| *name).collect();
            p.invalid(format!(
                "{} are set at once: set one of them (one way to verify access tokens)",
                and_list(&names)
            ));
            None
        }
    }
}

fn one(p: &mut Problems, name: &str, value: &str) -> Option<KeySource> {
    match name {
        "ROPC_VERIFY" if value == "none" => Some(KeySource::Opaque),
        "ROPC_VERIFY" => {
            p.invalid("ROPC_VERIFY must be `none` (opaque access tokens) or unset");
            None
        }
        #[cfg(feature = "asymmetric")]
        "ROPC_JWKS_URL" => Some(KeySource::Jwks(value.to_owned())),
        #[cfg(feature = "asymmetric")]
        _ => keys_file(p, value),
        #[cfg(not(feature = "asymmetric"))]
        _ => {
            p.invalid(format!(
                "{name} is set, but this ropc was built without RS/PS/ES/EdDSA verification \
                 (the `asymmetric` feature)"
            ));
            None
        }
    }
}

/// `ROPC_JWT_KEYS_FILE`: public keys (a JWKS, one JWK, or PEM), read with
/// the 64 KiB cap; its mode is not checked (it is no secret).
#[cfg(feature = "asymmetric")]
fn keys_file(p: &mut Problems, path: &str) -> Option<KeySource> {
    // Read as a secret file is (capped, however it is given), but public
    // keys are no secret: the file's mode is not checked.
    let text = match ropc::Secret::from_file(path) {
        Ok(text) => text,
        Err(e) => {
            p.invalid(format!("ROPC_JWT_KEYS_FILE: cannot read {path}: {e}"));
            return None;
        }
    };
    match ropc::jwt::KeySet::parse(text.expose_secret().as_bytes()) {
        Ok(keys) if keys.is_empty() => {
            p.invalid(format!(
                "ROPC_JWT_KEYS_FILE: {path} holds no usable key{}",
                ignored(&keys)
            ));
            None
        }
        Ok(keys) => Some(KeySource::Keys(keys)),
        Err(e) => {
            p.invalid(format!("ROPC_JWT_KEYS_FILE: {path}: {e}"));
            None
        }
    }
}

/// Why the keys of a set were left out, as `: a (why), b (why)`.
#[cfg(feature = "asymmetric")]
fn ignored(keys: &ropc::jwt::KeySet) -> String {
    let reasons: Vec<String> = keys.ignored().iter().map(ToString::to_string).collect();
    if reasons.is_empty() {
        String::new()
    } else {
        format!(" ({})", reasons.join("; "))
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(names: &[&str]) -> String {
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The exit-4 line for a token that failed verification, with the hint.
pub(crate) fn failure(source: &KeySource, e: Error) -> crate::Fail {
    let hint = match &e {
        Error::Jwt(j) => source.hint(j),
        _ => None,
    };
    with_hint(e, hint)
}

/// [`failure`] for `ropc verify`, which has nothing to verify with under
/// `ROPC_VERIFY=none`: a token that is no JWT gets no hint pointing there.
pub(crate) fn verify_failure(source: &KeySource, e: Error) -> crate::Fail {
    let hint = match &e {
        Error::Jwt(j) if !not_a_jwt(j) => source.hint(j),
        _ => None,
    };
    with_hint(e, hint)
}

fn with_hint(e: Error, hint: Option<&'static str>) -> crate::Fail {
    let mut fail = crate::Fail::from(e);
    if let Some(hint) = hint {
        fail.message = format!("{} ({hint})", fail.message);
    }
    fail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_english() {
        assert_eq!(and_list(&["A"]), "A");
        assert_eq!(and_list(&["A", "B"]), "A and B");
        assert_eq!(and_list(&["A", "B", "C"]), "A, B and C");
    }
}
