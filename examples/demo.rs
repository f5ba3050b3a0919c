//! Verifies the RFC 7515 Appendix A.1 HS256 example token and shows a forged
//! copy refused. (The full password-grant demo against the loopback provider
//! replaces this once the client lands.)

use base64::Engine as _;
use ropc::jwt::{Validation, verify};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
    )?;
    let validation = Validation::default().issuer("joe").at(1_300_819_000);
    let claims = verify(token, &key, &validation)?;
    println!(
        "verified claims: {}",
        claims.as_json().replace(['\r', '\n'], "")
    );
    let forged = token.replacen("eyJpc3MiOiJqb2Ui", "eyJpc3MiOiJldmUi", 1);
    match verify(&forged, &key, &validation) {
        Err(e) => println!("forged copy refused: {e}"),
        Ok(_) => return Err("a forged token verified".into()),
    }
    Ok(())
}
