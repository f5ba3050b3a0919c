//! The floor: a password grant and an HS256 check, as small as the stack
//! allows. Reads ROPC_TOKEN_URL, ROPC_CLIENT_ID, ROPC_CLIENT_SECRET,
//! ROPC_USERNAME and the password on stdin, as `ropc token` does, and prints
//! the token response. See Cargo.toml for what it is for.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{KeyInit, Mac};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let (url, id, secret, user) = (
        var("ROPC_TOKEN_URL")?,
        var("ROPC_CLIENT_ID")?,
        var("ROPC_CLIENT_SECRET")?,
        var("ROPC_USERNAME")?,
    );
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    let body = form(&[
        ("grant_type", "password"),
        ("username", &user),
        ("password", password),
    ]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header(
            "Authorization",
            format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))),
        )
        .send(body)?;
    let json: serde_json::Value = serde_json::from_slice(
        &response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec()?,
    )?;
    let token = json["access_token"].as_str().ok_or("no access_token")?;
    let mut parts = token.rsplitn(2, '.');
    let (signature, signed) = (
        parts.next().ok_or("no signature")?,
        parts.next().ok_or("no payload")?,
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(signed.as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature)?)?;
    let payload = signed.split('.').nth(1).ok_or("no payload")?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?;
    let exp = claims["exp"].as_i64().ok_or("no exp")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    if i64::try_from(now)? >= exp {
        return Err("expired".into());
    }
    println!("{}", serde_json::json!({ "token": json, "claims": claims }));
    Ok(())
}

/// `application/x-www-form-urlencoded`.
fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, s) in [k, v].iter().enumerate() {
            if j == 1 {
                out.push('=');
            }
            for b in s.bytes() {
                if b.is_ascii_alphanumeric() || b"*-._".contains(&b) {
                    out.push(char::from(b));
                } else if b == b' ' {
                    out.push('+');
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}
