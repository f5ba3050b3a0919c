//! `ropc::_fuzz::encode` round trip.
//!
//! Arbitrary name/value pairs are encoded; the body must hold only the bytes
//! a form serializer emits, and decoding it with the target's own decoder
//! (split on `&` and the first `=`, then `ropc_fuzz::percent_decode`, written
//! independently of `ropc::_fuzz::decode`) must give the pairs back. ropc's
//! own decoder is checked against the same pairs too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ropc_fuzz::{is_form_encoded, percent_decode};

fuzz_target!(|pairs: Vec<(String, String)>| {
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = ropc::_fuzz::encode(&borrowed);

    if pairs.is_empty() {
        assert_eq!(body.as_str(), "", "no pairs, yet a body");
        return;
    }
    let pieces: Vec<&str> = body.split('&').collect();
    assert_eq!(
        pieces.len(),
        pairs.len(),
        "a `&` leaked into a component: {:?}",
        body.as_str()
    );
    for ((name, value), piece) in pairs.iter().zip(&pieces) {
        let (n, v) = piece.split_once('=').expect("every piece has a `=`");
        assert!(
            is_form_encoded(n) && is_form_encoded(v),
            "unexpected bytes in {piece:?}"
        );
        assert_eq!(
            percent_decode(n).as_deref(),
            Some(name.as_str()),
            "name round trip"
        );
        assert_eq!(
            percent_decode(v).as_deref(),
            Some(value.as_str()),
            "value round trip"
        );
        assert_eq!(ropc::_fuzz::encoded_len(name), n.len(), "encoded_len(name)");
        assert_eq!(
            ropc::_fuzz::encoded_len(value),
            v.len(),
            "encoded_len(value)"
        );
    }

    let decoded = ropc::_fuzz::decode(&body).expect("ropc decodes its own body");
    assert_eq!(decoded.len(), pairs.len());
    for ((name, value), (n, v)) in pairs.iter().zip(&decoded) {
        assert_eq!(
            (name.as_str(), value.as_str()),
            (n.as_str(), v.as_str()),
            "ropc::_fuzz::decode"
        );
    }
});
