//! Regression tests for inputs found by the fuzz targets in `fuzz/` (see
//! `fuzz/README.md`). Each input is kept as data in `tests/fuzz_regressions/`.

use crate::common;

// `sign_bytes`: a compact HS256 JWS over exactly the header and payload bytes
// given, as the `jwt_verify` fuzz target builds it in its signed mode.
use common::{b64, sign_bytes};
use ropc::_fuzz::{Parsed, parse_response as parse};
use ropc::jwt::{JwtError, Validation, verify};
use ropc::{ErrorCode, ResponseProblem};

const KEY: &[u8] = b"fuzz-regression-key";
const NOW: i64 = 1_700_000_000;

fn data(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fuzz_regressions/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn token(name: &str) -> String {
    String::from_utf8(data(name)).unwrap().trim_end().to_owned()
}

/// Found by `jwt_forgery`: a float claim read back through `Claims::get`,
/// `Claims::to_value` or `Serialize` was one ULP off the signed text
/// (`-2.0616078786451374e-150` came back as `-2.0616078786451376e-150`),
/// because serde_json parses floats without correct rounding unless its
/// `float_roundtrip` feature is on. `to_value` promises that numbers keep
/// their value.
#[test]
fn float_claims_keep_their_exact_value() {
    let claims = verify(
        &token("jwt_float_claim.jwt"),
        KEY,
        &Validation::default().at(NOW),
    )
    .expect("a valid token");
    let expected: f64 = "-2.0616078786451374e-150".parse().unwrap();
    let x = claims
        .get("x")
        .and_then(|v| v.as_f64())
        .expect("x is a number");
    assert_eq!(x.to_bits(), expected.to_bits(), "x = {x:e}");
    let y = claims.to_value()["y"][0]
        .as_f64()
        .expect("y[0] is a number");
    assert_eq!(y.to_bits(), (-expected).to_bits(), "y[0] = {y:e}");
    let printed = serde_json::to_string(&claims).unwrap();
    assert!(printed.contains("-2.0616078786451374e-150"), "{printed}");
}

/// Found by `token_response`: an error response whose `error_description`
/// holds a lone surrogate escape (`\ud83d` followed by plain text). RFC 8259's
/// grammar allows it, but it is not a Unicode string. The error code must
/// still come through and the description be dropped, as for a description
/// of another type; never a panic.
#[test]
fn lone_surrogate_in_error_description_is_dropped() {
    let body = data("token_response_lone_surrogate.json");
    match parse(&body) {
        Ok(Parsed::Error(e)) => {
            assert_eq!(e.code, ErrorCode::Other("i-0.0nvalid_grant".into()));
            assert_eq!(e.description, None);
            assert_eq!(e.uri, None);
        }
        other => panic!("{other:?}"),
    }
}

/// The same class, in members that matter: a lone surrogate in a token value
/// is an invalid member, not a panic and not a silently altered secret.
#[test]
fn lone_surrogates_in_token_members_are_rejected() {
    for body in [
        r#"{"access_token":"ab\ud83dcd","token_type":"Bearer"}"#,
        r#"{"access_token":"\udc00"}"#,
        r#"{"access_token":"\ud83d\u0041"}"#,
        r#"{"access_token":"ok","refresh_token":"\ud83d"}"#,
        r#"{"access_token":"ok","scope":"\ud83d"}"#,
    ] {
        match parse(body.as_bytes()) {
            Err(e) => assert!(
                matches!(e.problem, ResponseProblem::InvalidMember { .. }),
                "{body}: {e:?}"
            ),
            Ok(other) => panic!("{body}: accepted as {other:?}"),
        }
    }
}

/// The same class in a JWT payload (correctly signed): refused as a payload
/// that is not valid JSON text, never a panic.
#[test]
fn lone_surrogate_in_a_signed_payload_is_refused() {
    let err = verify(
        &token("jwt_lone_surrogate_claim.jwt"),
        KEY,
        &Validation::default().at(NOW),
    )
    .unwrap_err();
    assert!(matches!(err, JwtError::Payload(_)), "{err:?}");
}

/// Found by `jwt_verify`: a `typ` header longer than 12 bytes whose 12th byte
/// falls inside a multi-byte character (`"applicatio€/jwt"`) made
/// `acceptable_typ` slice `typ[..12]` off a char boundary and panic. The
/// header is read before the signature is checked, so any unsigned token
/// could do it. It must be refused as a bad `typ`.
#[test]
fn typ_with_a_multibyte_char_at_byte_12_is_refused_not_a_panic() {
    let err = verify(
        &token("jwt_typ_char_boundary.jwt"),
        KEY,
        &Validation::default().at(NOW),
    )
    .unwrap_err();
    assert_eq!(err, JwtError::Header("`typ` is not JWT or at+jwt"));

    // The same header with a made-up signature: refused the same way.
    let unsigned = format!(
        "{}.e30.AAAA",
        b64(r#"{"alg":"HS256","typ":"applicatio€/jwt"}"#)
    );
    let err = verify(&unsigned, KEY, &Validation::default().at(NOW)).unwrap_err();
    assert_eq!(err, JwtError::Header("`typ` is not JWT or at+jwt"));

    // Other values straddling byte 12, and a control that is accepted.
    for typ in [
        "aéééééé",
        "applicatio€",
        r"applicati\u00e9\u00e9jwt",
        "applicatioñ/at+jwt",
    ] {
        let header = format!(r#"{{"alg":"HS256","typ":"{typ}"}}"#);
        let t = sign_bytes(header.as_bytes(), br#"{"exp":2000000000}"#, KEY);
        let err = verify(&t, KEY, &Validation::default().at(NOW)).unwrap_err();
        assert_eq!(err, JwtError::Header("`typ` is not JWT or at+jwt"), "{typ}");
    }
    let t = sign_bytes(
        br#"{"alg":"HS256","typ":"Application/JWT"}"#,
        br#"{"exp":2000000000}"#,
        KEY,
    );
    assert!(verify(&t, KEY, &Validation::default().at(NOW)).is_ok());
}

/// The crash input exactly as `jwt_verify` found it, replayed the way the
/// target reads it: byte 0 = 0x80 (signed mode) | key length, the key, then
/// the header JSON up to a 0x00 byte (here none: the payload is `{}`).
#[test]
fn jwt_verify_crash_input_replayed() {
    let input = data("jwt_verify_typ_char_boundary.bin");
    let (&first, rest) = input.split_first().unwrap();
    assert_ne!(first & 0x80, 0, "signed mode");
    let (key, rest) = rest.split_at(usize::from(first & 0x7f));
    let (header, payload) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b"{}"[..]),
    };
    let t = sign_bytes(header, payload, key);
    let err = verify(&t, key, &Validation::default().at(NOW)).unwrap_err();
    assert!(matches!(err, JwtError::Header(_)), "{err:?}");
}

/// `jwt_keys` found `KeySet::parse` skipping a form feed (ASCII whitespace,
/// not JSON's) before `{`, and so reading as a JWKS what `from_jwks` refuses
/// as not JSON. Only JSON's whitespace is skipped now: both refuse it.
#[test]
#[cfg(feature = "asymmetric")]
fn key_set_formats_are_told_apart_after_json_whitespace_only() {
    use ropc::jwt::{KeySet, KeySetError};
    let input = data("jwt_keys_form_feed_before_json.json");
    assert_eq!(KeySet::from_jwks(&input).unwrap_err(), KeySetError::NotJson);
    assert_eq!(
        KeySet::parse(&input).unwrap_err(),
        KeySetError::UnknownFormat
    );
    // JSON's own whitespace, a BOM before it, are fine.
    assert!(KeySet::parse(b"\xef\xbb\xbf \t\r\n{\"keys\":[]}").is_ok());
}

/// `store_file` found the store parser taking a file cut just after a token
/// line that ends in `end` (here `access_token  aend`, no `end` line) as
/// whole, the token cut short to ` a`: it stripped a final `end\n`, not a
/// final `end` line. `FileStore::load` now calls such a file corrupt.
#[test]
#[cfg(unix)]
fn a_store_cut_after_a_token_ending_in_end_is_corrupt() {
    use std::os::unix::fs::OpenOptionsExt;

    use ropc::{Error, FileStore, StoreErrorKind, TokenStore};
    let input = data("store_file_token_ending_in_end.txt");
    assert_eq!(input, b"ropc-store 1\naccess_token  aend\n");
    assert!(ropc::_fuzz::parse_store(&input).is_err());

    let tmp = common::tempdir("fuzz-regression");
    let path = tmp.path().join("tokens");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, &input).unwrap();
    drop(f);
    match FileStore::new(&path).load() {
        Err(Error::Store(e)) => {
            assert_eq!(e.kind, StoreErrorKind::Corrupt, "{e:?}");
            assert!(e.reason.contains("no final `end` line"), "{}", e.reason);
        }
        other => panic!("loaded a cut store: {other:?}"),
    }
    // The whole file (its `end` line added) is read, the token as it came.
    let mut whole = input.clone();
    whole.extend_from_slice(b"end\n");
    let t = ropc::_fuzz::parse_store(&whole).unwrap();
    assert_eq!(t.access_token.unwrap().expose_secret(), " aend");
    tmp.close().unwrap();
}

/// `store_file` found the store parser reading `\r\n` as a line end: the
/// `client_id` value before it lost its `\r`, so the file read was not the
/// file written (every line of a store is printable ASCII). Lines end at
/// `\n` only now, and the `\r` makes the value malformed.
#[test]
fn a_store_line_ending_in_a_carriage_return_is_refused() {
    let input = data("store_file_carriage_return.txt");
    assert_eq!(input.iter().filter(|&&b| b == b'\r').count(), 1);
    assert_eq!(
        ropc::_fuzz::parse_store(&input).unwrap_err(),
        "a malformed value"
    );
    let without: Vec<u8> = input.iter().copied().filter(|&b| b != b'\r').collect();
    let t = ropc::_fuzz::parse_store(&without).unwrap();
    assert_eq!(t.client_id.as_deref(), Some("ly access_tOid.examoken=eapp"));
}
