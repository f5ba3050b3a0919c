//! `basic_authorization` (ropc's Basic credentials) round trip.
//!
//! For arbitrary client ids and secrets, the header must be `Basic ` and
//! standard base64 (decoded here by the base64 crate) of `id:secret` (as-is
//! style) or of `form(id):form(secret)` (RFC 6749 §2.3.1 style, decoded with
//! the target's own percent-decoder). `ClientAuth::Post` gives no header.
//! ropc's own parser of the header is checked against the same values.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use ropc::ClientAuth;
use ropc::_fuzz::{basic_authorization, parse_basic_authorization};
use ropc_fuzz::{is_form_encoded, percent_decode};

fuzz_target!(|input: (String, String)| {
    let (id, secret) = input;
    assert!(basic_authorization(&id, &secret, ClientAuth::Post).is_none());

    // As-is: base64(id ":" secret).
    let header = basic_authorization(&id, &secret, ClientAuth::Basic).expect("a Basic header");
    let b64 = header.strip_prefix("Basic ").expect("the Basic scheme");
    let plain = STANDARD.decode(b64).expect("standard, padded base64");
    assert_eq!(
        plain,
        format!("{id}:{secret}").into_bytes(),
        "as-is round trip"
    );
    if !id.contains(':') {
        let (i, s) = parse_basic_authorization(&header, ClientAuth::Basic).expect("ropc parses it");
        assert_eq!((i.as_str(), s.as_str()), (id.as_str(), secret.as_str()));
    }

    // Form-encoded first: base64(form(id) ":" form(secret)).
    let header =
        basic_authorization(&id, &secret, ClientAuth::BasicFormEncoded).expect("a Basic header");
    let b64 = header.strip_prefix("Basic ").expect("the Basic scheme");
    let plain = String::from_utf8(STANDARD.decode(b64).expect("base64")).expect("ASCII");
    let (i, s) = plain.split_once(':').expect("a `:` between id and secret");
    assert!(
        is_form_encoded(i) && is_form_encoded(s),
        "unexpected bytes in {plain:?}"
    );
    assert_eq!(
        percent_decode(i).as_deref(),
        Some(id.as_str()),
        "id round trip"
    );
    assert_eq!(
        percent_decode(s).as_deref(),
        Some(secret.as_str()),
        "secret round trip"
    );
    let (i, s) =
        parse_basic_authorization(&header, ClientAuth::BasicFormEncoded).expect("ropc parses it");
    assert_eq!((i.as_str(), s.as_str()), (id.as_str(), secret.as_str()));
});
