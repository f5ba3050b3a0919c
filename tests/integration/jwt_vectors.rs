//! Test vectors made once by an independent implementation (PyJWT plus
//! Python's hmac; `tests/gen/make_vectors.py`) and committed as data.

use ropc::jwt::{Validation, verify};
use serde_json::Value;
use std::time::Duration;

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn key(v: &Value) -> Vec<u8> {
    let hex = v["key_hex"].as_str().unwrap();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn validation(v: &Value) -> Validation {
    let mut val = Validation::default().at(v["now"].as_i64().unwrap());
    if let Some(iss) = v["issuer"].as_str() {
        val = val.issuer(iss);
    }
    if let Some(aud) = v["audience"].as_str() {
        val = val.audience(aud);
    }
    if let Some(leeway) = v["leeway"].as_u64() {
        val = val.leeway(Duration::from_secs(leeway));
    }
    if let Some(max) = v.get("max_len").and_then(Value::as_u64) {
        val = val.max_token_size(usize::try_from(max).unwrap());
    }
    val
}

#[test]
fn accepts_every_valid_vector_with_its_exact_claims() {
    let vectors = load("valid.json");
    assert!(vectors.len() >= 10);
    for v in &vectors {
        let name = v["name"].as_str().unwrap();
        let token = v["token"].as_str().unwrap();
        if let Some(k) = v["key"].as_str() {
            assert_eq!(k.as_bytes(), key(v), "{name}: key and key_hex disagree");
        }
        let claims =
            verify(token, &key(v), &validation(v)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(claims.to_value(), v["claims"], "{name}");
    }
}

#[test]
fn rejects_every_adversarial_vector_with_the_expected_kind() {
    let vectors = load("adversarial.json");
    assert!(vectors.len() >= 40);
    let mut wrong = Vec::new();
    for v in &vectors {
        let name = v["name"].as_str().unwrap();
        let expect = v["expect"].as_str().unwrap();
        match verify(v["token"].as_str().unwrap(), &key(v), &validation(v)) {
            Ok(_) => wrong.push(format!("{name}: accepted, expected {expect}")),
            Err(e) if e.kind() != expect => {
                wrong.push(format!("{name}: {} ({e}), expected {expect}", e.kind()))
            }
            Err(_) => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        vectors.len(),
        wrong.join("\n")
    );
}
