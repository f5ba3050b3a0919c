//! `ropc::jwt::KeySet` against vectors made outside ropc: the RFCs' own
//! examples (RFC 7515 A.2 and A.3, RFC 8037 A.4; `vectors/asymmetric_rfc.json`)
//! and a generated set (`tests/gen/make_asymmetric_vectors.py`: Python's
//! cryptography signs, PyJWT checks; `vectors/asymmetric.json`), for every
//! algorithm a key set verifies, with the hostile cases of RFC 8725 and the
//! JWT CVEs.

use ropc::jwt::{KeySet, Validation};
use serde_json::Value;
use std::collections::HashMap;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn items<'a>(v: &'a Value, member: &str) -> &'a [Value] {
    v[member].as_array().unwrap()
}

fn flip_last_signature_byte(token: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut sig = b64.decode(sig).unwrap();
    *sig.last_mut().unwrap() ^= 1;
    format!("{input}.{}", b64.encode(sig))
}

#[test]
fn the_rfc_examples_verify() {
    let file = load("asymmetric_rfc.json");
    let vectors = items(&file, "vectors");
    assert_eq!(vectors.len(), 3);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let keys = KeySet::parse(v["key_set"].as_str().unwrap().as_bytes()).unwrap();
        assert_eq!(keys.len(), 1, "{name}");
        let token = v["token"].as_str().unwrap();
        let mut validation = Validation::default().at(v["now"].as_i64().unwrap());
        if let Some(iss) = v["issuer"].as_str() {
            validation = validation.issuer(iss);
        }
        match v["expect"].as_str() {
            None => {
                let claims = keys
                    .verify(token, &validation)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(claims.to_value(), v["claims"], "{name}");
            }
            // RFC 8037's payload is not JSON: reaching the payload check
            // means the signature held.
            Some(kind) => {
                let err = keys.verify(token, &validation).unwrap_err();
                assert_eq!(err.kind(), kind, "{name}: {err}");
            }
        }
        // One flipped signature bit, and it is the signature that fails.
        let forged = flip_last_signature_byte(token);
        assert_eq!(
            keys.verify(&forged, &validation).unwrap_err().kind(),
            "signature",
            "{name}"
        );
    }
}

struct Generated {
    file: Value,
    sets: HashMap<String, KeySet>,
    validation: Validation,
}

fn generated() -> Generated {
    let file = load("asymmetric.json");
    let sets = file["key_sets"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, text)| {
            let set = KeySet::parse(text.as_str().unwrap().as_bytes())
                .unwrap_or_else(|e| panic!("key set {name}: {e}"));
            (name.clone(), set)
        })
        .collect();
    let validation = Validation::default()
        .at(file["now"].as_i64().unwrap())
        .issuer(file["issuer"].as_str().unwrap())
        .audience(file["audience"].as_str().unwrap());
    Generated {
        file,
        sets,
        validation,
    }
}

#[test]
fn every_valid_vector_verifies_to_its_claims() {
    let g = generated();
    let valid = items(&g.file, "valid");
    assert!(valid.len() >= 70);
    let mut algs = std::collections::BTreeSet::new();
    for v in valid {
        let name = v["name"].as_str().unwrap();
        let keys = &g.sets[v["key_set"].as_str().unwrap()];
        let token = v["token"].as_str().unwrap();
        let claims = keys
            .verify(token, &g.validation)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(claims.to_value(), g.file["claims"], "{name}");
        algs.insert(name.split('_').next().unwrap().to_owned());
    }
    // Every algorithm a key set verifies is among them.
    for alg in [
        "rs256", "rs384", "rs512", "ps256", "ps384", "ps512", "es256", "es384", "eddsa", "ed25519",
    ] {
        assert!(algs.contains(alg), "no valid vector for {alg}");
    }
}

#[test]
fn every_hostile_vector_is_refused_with_the_expected_kind() {
    let g = generated();
    let hostile = items(&g.file, "hostile");
    assert!(hostile.len() >= 250);
    let mut wrong = Vec::new();
    for v in hostile {
        let name = v["name"].as_str().unwrap();
        let expect = v["expect"].as_str().unwrap();
        let keys = &g.sets[v["key_set"].as_str().unwrap()];
        match keys.verify(v["token"].as_str().unwrap(), &g.validation) {
            Ok(_) => wrong.push(format!("{name}: accepted, expected {expect}")),
            Err(e) if e.kind() != expect => {
                wrong.push(format!("{name}: {} ({e}), expected {expect}", e.kind()));
            }
            Err(_) => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        hostile.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_key_set_document_reads_as_expected() {
    let g = generated();
    let docs = items(&g.file, "key_set_docs");
    assert!(docs.len() >= 20);
    let mut wrong = Vec::new();
    for d in docs {
        let name = d["name"].as_str().unwrap();
        let expect = &d["expect"];
        let text = d["text"].as_str().unwrap().as_bytes();
        let got = match d["via"].as_str() {
            None => KeySet::parse(text),
            Some("from_pem") => KeySet::from_pem(text),
            Some(other) => panic!("{name}: unknown reader {other}"),
        };
        let verdict = match &got {
            Ok(set) => serde_json::json!({"usable": set.len(), "ignored": set.ignored().len()}),
            Err(e) => serde_json::json!({"error": e.kind()}),
        };
        if &verdict != expect {
            wrong.push(format!("{name}: {verdict} ({got:?}), expected {expect}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
